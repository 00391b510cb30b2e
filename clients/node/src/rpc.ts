// The generated google.rpc messages the client decodes (Status and the standard error details),
// for callers that build such statuses themselves, e.g. in a fake server for their own tests.
export * as status from "./gen/google/rpc/status";
export * as errorDetails from "./gen/google/rpc/error_details";
export * as any from "./gen/google/protobuf/any";
