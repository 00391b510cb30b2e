package genaifeedback

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// Client talks to ChatService and FeedbackService over one gRPC connection. It is safe for
// concurrent use; make one per process and share it.
type Client struct {
	conn     *grpc.ClientConn // nil when the caller owns the connection
	chat     v1.ChatServiceClient
	feedback v1.FeedbackServiceClient
}

// New connects to the service at target ("host:port", or any gRPC target such as
// "dns:///feedback.internal:50051"). The connection is plaintext by default, as inside a service
// mesh whose sidecar does mTLS, and uses ServiceConfig as its default service config. Options are
// applied after those defaults, so they override them: for TLS pass
// grpc.WithTransportCredentials(credentials.NewTLS(...)). New does not wait for the service: the
// first call connects.
func New(target string, opts ...grpc.DialOption) (*Client, error) {
	defaults := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(ServiceConfig),
	}
	conn, err := grpc.NewClient(target, append(defaults, opts...)...)
	if err != nil {
		return nil, err
	}
	c := NewFromConn(conn)
	c.conn = conn
	return c, nil
}

// NewFromConn uses a connection the caller made and keeps owning: Close leaves it open. Dial it
// with grpc.WithDefaultServiceConfig(ServiceConfig) to get the service's timeouts and retries.
func NewFromConn(conn grpc.ClientConnInterface) *Client {
	return &Client{chat: v1.NewChatServiceClient(conn), feedback: v1.NewFeedbackServiceClient(conn)}
}

// Close closes the connection New opened. Calls in flight fail with codes.Canceled.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// CompleteChat returns the whole answer once generation has finished. It is not retried: every
// call is a new chat, recorded as a new trace.
func (c *Client) CompleteChat(ctx context.Context, req *v1.CompleteChatRequest, opts ...grpc.CallOption) (*v1.CompleteChatResponse, error) {
	var trailer metadata.MD
	resp, err := c.chat.CompleteChat(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return resp, nil
}
