package genaifeedback

import _ "embed"

// ServiceConfig is the service's gRPC service config (JSON): per-method timeouts, and the retry
// policy of FeedbackService (UNAVAILABLE, up to 5 attempts with exponential backoff). New applies
// it with grpc.WithDefaultServiceConfig; pass it yourself to a connection you dial on your own.
//
// service_config.json is a copy of the repository's clients/service_config.json, made by
// `make proto` and checked by `make proto-check`; edit the original, never the copy.
//
//go:embed service_config.json
var ServiceConfig string
