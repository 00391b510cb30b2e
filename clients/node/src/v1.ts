// The generated genaifeedback.v1 messages, enums and grpc-js stubs, one namespace per .proto file.
export * as chat from "./gen/genaifeedback/v1/chat";
export * as feedback from "./gen/genaifeedback/v1/feedback";
export * as errors from "./gen/genaifeedback/v1/errors";
