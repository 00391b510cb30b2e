package io.github.genaifeedback.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * ChatService streams a GenAI model's answer and records every call as one
 * MLflow trace, whose id a caller later passes to FeedbackService.
 * Each method's "Retries:" and "Deadline:" are the policy of the shipped
 * service config (clients/service_config.json), which the project's clients
 * apply; any gRPC client can load the same file.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class ChatServiceGrpc {

  private ChatServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "genaifeedback.v1.ChatService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ChatRequest,
      io.github.genaifeedback.v1.ChatResponse> getChatMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Chat",
      requestType = io.github.genaifeedback.v1.ChatRequest.class,
      responseType = io.github.genaifeedback.v1.ChatResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ChatRequest,
      io.github.genaifeedback.v1.ChatResponse> getChatMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ChatRequest, io.github.genaifeedback.v1.ChatResponse> getChatMethod;
    if ((getChatMethod = ChatServiceGrpc.getChatMethod) == null) {
      synchronized (ChatServiceGrpc.class) {
        if ((getChatMethod = ChatServiceGrpc.getChatMethod) == null) {
          ChatServiceGrpc.getChatMethod = getChatMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.ChatRequest, io.github.genaifeedback.v1.ChatResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Chat"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ChatRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ChatResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ChatServiceMethodDescriptorSupplier("Chat"))
              .build();
        }
      }
    }
    return getChatMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CompleteChatRequest,
      io.github.genaifeedback.v1.CompleteChatResponse> getCompleteChatMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CompleteChat",
      requestType = io.github.genaifeedback.v1.CompleteChatRequest.class,
      responseType = io.github.genaifeedback.v1.CompleteChatResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CompleteChatRequest,
      io.github.genaifeedback.v1.CompleteChatResponse> getCompleteChatMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CompleteChatRequest, io.github.genaifeedback.v1.CompleteChatResponse> getCompleteChatMethod;
    if ((getCompleteChatMethod = ChatServiceGrpc.getCompleteChatMethod) == null) {
      synchronized (ChatServiceGrpc.class) {
        if ((getCompleteChatMethod = ChatServiceGrpc.getCompleteChatMethod) == null) {
          ChatServiceGrpc.getCompleteChatMethod = getCompleteChatMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.CompleteChatRequest, io.github.genaifeedback.v1.CompleteChatResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CompleteChat"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CompleteChatRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CompleteChatResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ChatServiceMethodDescriptorSupplier("CompleteChat"))
              .build();
        }
      }
    }
    return getCompleteChatMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ChatServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ChatServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ChatServiceStub>() {
        @java.lang.Override
        public ChatServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ChatServiceStub(channel, callOptions);
        }
      };
    return ChatServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static ChatServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ChatServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ChatServiceBlockingV2Stub>() {
        @java.lang.Override
        public ChatServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ChatServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return ChatServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ChatServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ChatServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ChatServiceBlockingStub>() {
        @java.lang.Override
        public ChatServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ChatServiceBlockingStub(channel, callOptions);
        }
      };
    return ChatServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ChatServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ChatServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ChatServiceFutureStub>() {
        @java.lang.Override
        public ChatServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ChatServiceFutureStub(channel, callOptions);
        }
      };
    return ChatServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Chat streams the answer to one user message. The stream always starts with
     * a `started` event carrying the MLflow trace id (so feedback can be given even
     * if the caller hangs up early), then `token` events carrying the generated
     * chunks in order (one chunk per event while the caller keeps up, several when
     * it falls behind; see ChatToken), then one `finished` event. If generation fails, the stream ends with a
     * non-OK status instead of `finished`; its google.rpc.ErrorInfo metadata
     * `trace_id` (and, for plain clients, the trailing metadata key
     * `mlflow-trace-id`) names the trace, which records the error. If the caller
     * cancels, generation stops and the trace is recorded as cancelled.
     * Errors (ErrorInfo reasons in ErrorReason): INVALID_ARGUMENT
     * (INVALID_FIELD, MALFORMED_REQUEST); UNAVAILABLE (TRACE_BACKLOG_FULL,
     * MODEL_UNAVAILABLE); RESOURCE_EXHAUSTED (MODEL_RATE_LIMITED);
     * FAILED_PRECONDITION (MODEL_REJECTED); DEADLINE_EXCEEDED
     * (GENERATION_TIMEOUT); INTERNAL (GENERATION_FAILED, INTERNAL_ERROR).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline; never retried (a retry would be a second
     * chat and a second trace).
     * </pre>
     */
    default void chat(io.github.genaifeedback.v1.ChatRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ChatResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getChatMethod(), responseObserver);
    }

    /**
     * <pre>
     * CompleteChat is Chat for callers that do not want a stream: it returns the
     * whole answer and the trace id once generation has finished.
     * Timeout and retries: as Chat (600 s, never retried).
     * </pre>
     */
    default void completeChat(io.github.genaifeedback.v1.CompleteChatRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CompleteChatResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCompleteChatMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service ChatService.
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static abstract class ChatServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return ChatServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service ChatService.
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class ChatServiceStub
      extends io.grpc.stub.AbstractAsyncStub<ChatServiceStub> {
    private ChatServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ChatServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ChatServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Chat streams the answer to one user message. The stream always starts with
     * a `started` event carrying the MLflow trace id (so feedback can be given even
     * if the caller hangs up early), then `token` events carrying the generated
     * chunks in order (one chunk per event while the caller keeps up, several when
     * it falls behind; see ChatToken), then one `finished` event. If generation fails, the stream ends with a
     * non-OK status instead of `finished`; its google.rpc.ErrorInfo metadata
     * `trace_id` (and, for plain clients, the trailing metadata key
     * `mlflow-trace-id`) names the trace, which records the error. If the caller
     * cancels, generation stops and the trace is recorded as cancelled.
     * Errors (ErrorInfo reasons in ErrorReason): INVALID_ARGUMENT
     * (INVALID_FIELD, MALFORMED_REQUEST); UNAVAILABLE (TRACE_BACKLOG_FULL,
     * MODEL_UNAVAILABLE); RESOURCE_EXHAUSTED (MODEL_RATE_LIMITED);
     * FAILED_PRECONDITION (MODEL_REJECTED); DEADLINE_EXCEEDED
     * (GENERATION_TIMEOUT); INTERNAL (GENERATION_FAILED, INTERNAL_ERROR).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline; never retried (a retry would be a second
     * chat and a second trace).
     * </pre>
     */
    public void chat(io.github.genaifeedback.v1.ChatRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ChatResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getChatMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CompleteChat is Chat for callers that do not want a stream: it returns the
     * whole answer and the trace id once generation has finished.
     * Timeout and retries: as Chat (600 s, never retried).
     * </pre>
     */
    public void completeChat(io.github.genaifeedback.v1.CompleteChatRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CompleteChatResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCompleteChatMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service ChatService.
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class ChatServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<ChatServiceBlockingV2Stub> {
    private ChatServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ChatServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ChatServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Chat streams the answer to one user message. The stream always starts with
     * a `started` event carrying the MLflow trace id (so feedback can be given even
     * if the caller hangs up early), then `token` events carrying the generated
     * chunks in order (one chunk per event while the caller keeps up, several when
     * it falls behind; see ChatToken), then one `finished` event. If generation fails, the stream ends with a
     * non-OK status instead of `finished`; its google.rpc.ErrorInfo metadata
     * `trace_id` (and, for plain clients, the trailing metadata key
     * `mlflow-trace-id`) names the trace, which records the error. If the caller
     * cancels, generation stops and the trace is recorded as cancelled.
     * Errors (ErrorInfo reasons in ErrorReason): INVALID_ARGUMENT
     * (INVALID_FIELD, MALFORMED_REQUEST); UNAVAILABLE (TRACE_BACKLOG_FULL,
     * MODEL_UNAVAILABLE); RESOURCE_EXHAUSTED (MODEL_RATE_LIMITED);
     * FAILED_PRECONDITION (MODEL_REJECTED); DEADLINE_EXCEEDED
     * (GENERATION_TIMEOUT); INTERNAL (GENERATION_FAILED, INTERNAL_ERROR).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline; never retried (a retry would be a second
     * chat and a second trace).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.genaifeedback.v1.ChatResponse>
        chat(io.github.genaifeedback.v1.ChatRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getChatMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CompleteChat is Chat for callers that do not want a stream: it returns the
     * whole answer and the trace id once generation has finished.
     * Timeout and retries: as Chat (600 s, never retried).
     * </pre>
     */
    public io.github.genaifeedback.v1.CompleteChatResponse completeChat(io.github.genaifeedback.v1.CompleteChatRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCompleteChatMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service ChatService.
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class ChatServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<ChatServiceBlockingStub> {
    private ChatServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ChatServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ChatServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Chat streams the answer to one user message. The stream always starts with
     * a `started` event carrying the MLflow trace id (so feedback can be given even
     * if the caller hangs up early), then `token` events carrying the generated
     * chunks in order (one chunk per event while the caller keeps up, several when
     * it falls behind; see ChatToken), then one `finished` event. If generation fails, the stream ends with a
     * non-OK status instead of `finished`; its google.rpc.ErrorInfo metadata
     * `trace_id` (and, for plain clients, the trailing metadata key
     * `mlflow-trace-id`) names the trace, which records the error. If the caller
     * cancels, generation stops and the trace is recorded as cancelled.
     * Errors (ErrorInfo reasons in ErrorReason): INVALID_ARGUMENT
     * (INVALID_FIELD, MALFORMED_REQUEST); UNAVAILABLE (TRACE_BACKLOG_FULL,
     * MODEL_UNAVAILABLE); RESOURCE_EXHAUSTED (MODEL_RATE_LIMITED);
     * FAILED_PRECONDITION (MODEL_REJECTED); DEADLINE_EXCEEDED
     * (GENERATION_TIMEOUT); INTERNAL (GENERATION_FAILED, INTERNAL_ERROR).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline; never retried (a retry would be a second
     * chat and a second trace).
     * </pre>
     */
    public java.util.Iterator<io.github.genaifeedback.v1.ChatResponse> chat(
        io.github.genaifeedback.v1.ChatRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getChatMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CompleteChat is Chat for callers that do not want a stream: it returns the
     * whole answer and the trace id once generation has finished.
     * Timeout and retries: as Chat (600 s, never retried).
     * </pre>
     */
    public io.github.genaifeedback.v1.CompleteChatResponse completeChat(io.github.genaifeedback.v1.CompleteChatRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCompleteChatMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service ChatService.
   * <pre>
   * ChatService streams a GenAI model's answer and records every call as one
   * MLflow trace, whose id a caller later passes to FeedbackService.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class ChatServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<ChatServiceFutureStub> {
    private ChatServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ChatServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ChatServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * CompleteChat is Chat for callers that do not want a stream: it returns the
     * whole answer and the trace id once generation has finished.
     * Timeout and retries: as Chat (600 s, never retried).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.CompleteChatResponse> completeChat(
        io.github.genaifeedback.v1.CompleteChatRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCompleteChatMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHAT = 0;
  private static final int METHODID_COMPLETE_CHAT = 1;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CHAT:
          serviceImpl.chat((io.github.genaifeedback.v1.ChatRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ChatResponse>) responseObserver);
          break;
        case METHODID_COMPLETE_CHAT:
          serviceImpl.completeChat((io.github.genaifeedback.v1.CompleteChatRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CompleteChatResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getChatMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.ChatRequest,
              io.github.genaifeedback.v1.ChatResponse>(
                service, METHODID_CHAT)))
        .addMethod(
          getCompleteChatMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.CompleteChatRequest,
              io.github.genaifeedback.v1.CompleteChatResponse>(
                service, METHODID_COMPLETE_CHAT)))
        .build();
  }

  private static abstract class ChatServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ChatServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.github.genaifeedback.v1.ChatProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ChatService");
    }
  }

  private static final class ChatServiceFileDescriptorSupplier
      extends ChatServiceBaseDescriptorSupplier {
    ChatServiceFileDescriptorSupplier() {}
  }

  private static final class ChatServiceMethodDescriptorSupplier
      extends ChatServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    ChatServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ChatServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ChatServiceFileDescriptorSupplier())
              .addMethod(getChatMethod())
              .addMethod(getCompleteChatMethod())
              .build();
        }
      }
    }
    return result;
  }
}
