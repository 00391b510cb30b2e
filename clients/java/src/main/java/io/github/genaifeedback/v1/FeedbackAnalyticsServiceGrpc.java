package io.github.genaifeedback.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * FeedbackAnalyticsService answers questions about the feedback recorded on
 * the experiment's traces: how many traces got feedback, how many thumbs were
 * up, what the ratings look like, over time and per group.
 * Only current votes count: an assessment that a later vote overrode (MLflow
 * marks it not valid) and a deleted one are not counted. The figures are
 * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
 * downloading traces; the response's `counting` says how each figure was
 * counted.
 * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
 * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
 * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
 * reached or fails, safe to retry.
 * Each method's "Retries:" and "Deadline:" are the policy of the shipped
 * service config (clients/service_config.json), which the project's clients
 * apply; any gRPC client can load the same file.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class FeedbackAnalyticsServiceGrpc {

  private FeedbackAnalyticsServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "genaifeedback.v1.FeedbackAnalyticsService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackSummaryRequest,
      io.github.genaifeedback.v1.GetFeedbackSummaryResponse> getGetFeedbackSummaryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetFeedbackSummary",
      requestType = io.github.genaifeedback.v1.GetFeedbackSummaryRequest.class,
      responseType = io.github.genaifeedback.v1.GetFeedbackSummaryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackSummaryRequest,
      io.github.genaifeedback.v1.GetFeedbackSummaryResponse> getGetFeedbackSummaryMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackSummaryRequest, io.github.genaifeedback.v1.GetFeedbackSummaryResponse> getGetFeedbackSummaryMethod;
    if ((getGetFeedbackSummaryMethod = FeedbackAnalyticsServiceGrpc.getGetFeedbackSummaryMethod) == null) {
      synchronized (FeedbackAnalyticsServiceGrpc.class) {
        if ((getGetFeedbackSummaryMethod = FeedbackAnalyticsServiceGrpc.getGetFeedbackSummaryMethod) == null) {
          FeedbackAnalyticsServiceGrpc.getGetFeedbackSummaryMethod = getGetFeedbackSummaryMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.GetFeedbackSummaryRequest, io.github.genaifeedback.v1.GetFeedbackSummaryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetFeedbackSummary"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackSummaryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackSummaryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackAnalyticsServiceMethodDescriptorSupplier("GetFeedbackSummary"))
              .build();
        }
      }
    }
    return getGetFeedbackSummaryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ExportFeedbackRequest,
      io.github.genaifeedback.v1.ExportFeedbackResponse> getExportFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ExportFeedback",
      requestType = io.github.genaifeedback.v1.ExportFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.ExportFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ExportFeedbackRequest,
      io.github.genaifeedback.v1.ExportFeedbackResponse> getExportFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ExportFeedbackRequest, io.github.genaifeedback.v1.ExportFeedbackResponse> getExportFeedbackMethod;
    if ((getExportFeedbackMethod = FeedbackAnalyticsServiceGrpc.getExportFeedbackMethod) == null) {
      synchronized (FeedbackAnalyticsServiceGrpc.class) {
        if ((getExportFeedbackMethod = FeedbackAnalyticsServiceGrpc.getExportFeedbackMethod) == null) {
          FeedbackAnalyticsServiceGrpc.getExportFeedbackMethod = getExportFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.ExportFeedbackRequest, io.github.genaifeedback.v1.ExportFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ExportFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ExportFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ExportFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackAnalyticsServiceMethodDescriptorSupplier("ExportFeedback"))
              .build();
        }
      }
    }
    return getExportFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.WatchFeedbackRequest,
      io.github.genaifeedback.v1.WatchFeedbackResponse> getWatchFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchFeedback",
      requestType = io.github.genaifeedback.v1.WatchFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.WatchFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.WatchFeedbackRequest,
      io.github.genaifeedback.v1.WatchFeedbackResponse> getWatchFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.WatchFeedbackRequest, io.github.genaifeedback.v1.WatchFeedbackResponse> getWatchFeedbackMethod;
    if ((getWatchFeedbackMethod = FeedbackAnalyticsServiceGrpc.getWatchFeedbackMethod) == null) {
      synchronized (FeedbackAnalyticsServiceGrpc.class) {
        if ((getWatchFeedbackMethod = FeedbackAnalyticsServiceGrpc.getWatchFeedbackMethod) == null) {
          FeedbackAnalyticsServiceGrpc.getWatchFeedbackMethod = getWatchFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.WatchFeedbackRequest, io.github.genaifeedback.v1.WatchFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.WatchFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.WatchFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackAnalyticsServiceMethodDescriptorSupplier("WatchFeedback"))
              .build();
        }
      }
    }
    return getWatchFeedbackMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static FeedbackAnalyticsServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceStub>() {
        @java.lang.Override
        public FeedbackAnalyticsServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackAnalyticsServiceStub(channel, callOptions);
        }
      };
    return FeedbackAnalyticsServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static FeedbackAnalyticsServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceBlockingV2Stub>() {
        @java.lang.Override
        public FeedbackAnalyticsServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackAnalyticsServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return FeedbackAnalyticsServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static FeedbackAnalyticsServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceBlockingStub>() {
        @java.lang.Override
        public FeedbackAnalyticsServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackAnalyticsServiceBlockingStub(channel, callOptions);
        }
      };
    return FeedbackAnalyticsServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static FeedbackAnalyticsServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackAnalyticsServiceFutureStub>() {
        @java.lang.Override
        public FeedbackAnalyticsServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackAnalyticsServiceFutureStub(channel, callOptions);
        }
      };
    return FeedbackAnalyticsServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * GetFeedbackSummary returns, for a time range (default: the last 24 hours)
     * and optional filters, the number of traces, the traces with feedback and
     * the feedback rate, and per feedback name: thumbs up and down with the
     * positive rate and its 95% Wilson interval, the count, mean and score
     * distribution of numeric ratings, the count per label of categories.
     * Optionally also per time bucket (hour or day) and per group (a trace tag,
     * the user or the session), so that "positive rate per model per day" is
     * one call.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE, up to 3 attempts with
     * exponential backoff (0.5 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    default void getFeedbackSummary(io.github.genaifeedback.v1.GetFeedbackSummaryRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackSummaryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetFeedbackSummaryMethod(), responseObserver);
    }

    /**
     * <pre>
     * ExportFeedback streams the traces of a time range (oldest first) with
     * their current feedback, and on request their feedback history, filtered
     * like the summary: to build evaluation data sets. Each message carries a
     * page token; a new call with the last token received resumes after that
     * trace, so that across calls every trace is sent exactly once (traces
     * stored later with an older start time than the token's are not sent).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE before the first
     * response, up to 3 attempts with exponential backoff (0.5 s, doubling, at
     * most 5 s); after that, resume with the last page token.
     * </pre>
     */
    default void exportFeedback(io.github.genaifeedback.v1.ExportFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ExportFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getExportFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchFeedback streams feedback as it is recorded, by any replica: it
     * follows MLflow (polling it) and sends each assessment created after the
     * cursor once, oldest first, with a cursor to resume from. The initial
     * metadata `watch-cursor` holds the cursor it starts from, sent at once.
     * It runs until the caller cancels it or the deadline passes.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): no deadline (it runs until cancelled); retried on UNAVAILABLE
     * before the first response, up to 3 attempts with exponential backoff
     * (0.5 s, doubling, at most 5 s); after that, resume from the last cursor.
     * </pre>
     */
    default void watchFeedback(io.github.genaifeedback.v1.WatchFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.WatchFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchFeedbackMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service FeedbackAnalyticsService.
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static abstract class FeedbackAnalyticsServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return FeedbackAnalyticsServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service FeedbackAnalyticsService.
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackAnalyticsServiceStub
      extends io.grpc.stub.AbstractAsyncStub<FeedbackAnalyticsServiceStub> {
    private FeedbackAnalyticsServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackAnalyticsServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackAnalyticsServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * GetFeedbackSummary returns, for a time range (default: the last 24 hours)
     * and optional filters, the number of traces, the traces with feedback and
     * the feedback rate, and per feedback name: thumbs up and down with the
     * positive rate and its 95% Wilson interval, the count, mean and score
     * distribution of numeric ratings, the count per label of categories.
     * Optionally also per time bucket (hour or day) and per group (a trace tag,
     * the user or the session), so that "positive rate per model per day" is
     * one call.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE, up to 3 attempts with
     * exponential backoff (0.5 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public void getFeedbackSummary(io.github.genaifeedback.v1.GetFeedbackSummaryRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackSummaryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetFeedbackSummaryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ExportFeedback streams the traces of a time range (oldest first) with
     * their current feedback, and on request their feedback history, filtered
     * like the summary: to build evaluation data sets. Each message carries a
     * page token; a new call with the last token received resumes after that
     * trace, so that across calls every trace is sent exactly once (traces
     * stored later with an older start time than the token's are not sent).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE before the first
     * response, up to 3 attempts with exponential backoff (0.5 s, doubling, at
     * most 5 s); after that, resume with the last page token.
     * </pre>
     */
    public void exportFeedback(io.github.genaifeedback.v1.ExportFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ExportFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getExportFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchFeedback streams feedback as it is recorded, by any replica: it
     * follows MLflow (polling it) and sends each assessment created after the
     * cursor once, oldest first, with a cursor to resume from. The initial
     * metadata `watch-cursor` holds the cursor it starts from, sent at once.
     * It runs until the caller cancels it or the deadline passes.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): no deadline (it runs until cancelled); retried on UNAVAILABLE
     * before the first response, up to 3 attempts with exponential backoff
     * (0.5 s, doubling, at most 5 s); after that, resume from the last cursor.
     * </pre>
     */
    public void watchFeedback(io.github.genaifeedback.v1.WatchFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.WatchFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchFeedbackMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service FeedbackAnalyticsService.
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackAnalyticsServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<FeedbackAnalyticsServiceBlockingV2Stub> {
    private FeedbackAnalyticsServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackAnalyticsServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackAnalyticsServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * GetFeedbackSummary returns, for a time range (default: the last 24 hours)
     * and optional filters, the number of traces, the traces with feedback and
     * the feedback rate, and per feedback name: thumbs up and down with the
     * positive rate and its 95% Wilson interval, the count, mean and score
     * distribution of numeric ratings, the count per label of categories.
     * Optionally also per time bucket (hour or day) and per group (a trace tag,
     * the user or the session), so that "positive rate per model per day" is
     * one call.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE, up to 3 attempts with
     * exponential backoff (0.5 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackSummaryResponse getFeedbackSummary(io.github.genaifeedback.v1.GetFeedbackSummaryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetFeedbackSummaryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ExportFeedback streams the traces of a time range (oldest first) with
     * their current feedback, and on request their feedback history, filtered
     * like the summary: to build evaluation data sets. Each message carries a
     * page token; a new call with the last token received resumes after that
     * trace, so that across calls every trace is sent exactly once (traces
     * stored later with an older start time than the token's are not sent).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE before the first
     * response, up to 3 attempts with exponential backoff (0.5 s, doubling, at
     * most 5 s); after that, resume with the last page token.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.genaifeedback.v1.ExportFeedbackResponse>
        exportFeedback(io.github.genaifeedback.v1.ExportFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getExportFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchFeedback streams feedback as it is recorded, by any replica: it
     * follows MLflow (polling it) and sends each assessment created after the
     * cursor once, oldest first, with a cursor to resume from. The initial
     * metadata `watch-cursor` holds the cursor it starts from, sent at once.
     * It runs until the caller cancels it or the deadline passes.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): no deadline (it runs until cancelled); retried on UNAVAILABLE
     * before the first response, up to 3 attempts with exponential backoff
     * (0.5 s, doubling, at most 5 s); after that, resume from the last cursor.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.genaifeedback.v1.WatchFeedbackResponse>
        watchFeedback(io.github.genaifeedback.v1.WatchFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchFeedbackMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service FeedbackAnalyticsService.
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackAnalyticsServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<FeedbackAnalyticsServiceBlockingStub> {
    private FeedbackAnalyticsServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackAnalyticsServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackAnalyticsServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * GetFeedbackSummary returns, for a time range (default: the last 24 hours)
     * and optional filters, the number of traces, the traces with feedback and
     * the feedback rate, and per feedback name: thumbs up and down with the
     * positive rate and its 95% Wilson interval, the count, mean and score
     * distribution of numeric ratings, the count per label of categories.
     * Optionally also per time bucket (hour or day) and per group (a trace tag,
     * the user or the session), so that "positive rate per model per day" is
     * one call.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE, up to 3 attempts with
     * exponential backoff (0.5 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackSummaryResponse getFeedbackSummary(io.github.genaifeedback.v1.GetFeedbackSummaryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetFeedbackSummaryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ExportFeedback streams the traces of a time range (oldest first) with
     * their current feedback, and on request their feedback history, filtered
     * like the summary: to build evaluation data sets. Each message carries a
     * page token; a new call with the last token received resumes after that
     * trace, so that across calls every trace is sent exactly once (traces
     * stored later with an older start time than the token's are not sent).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE before the first
     * response, up to 3 attempts with exponential backoff (0.5 s, doubling, at
     * most 5 s); after that, resume with the last page token.
     * </pre>
     */
    public java.util.Iterator<io.github.genaifeedback.v1.ExportFeedbackResponse> exportFeedback(
        io.github.genaifeedback.v1.ExportFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getExportFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchFeedback streams feedback as it is recorded, by any replica: it
     * follows MLflow (polling it) and sends each assessment created after the
     * cursor once, oldest first, with a cursor to resume from. The initial
     * metadata `watch-cursor` holds the cursor it starts from, sent at once.
     * It runs until the caller cancels it or the deadline passes.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): no deadline (it runs until cancelled); retried on UNAVAILABLE
     * before the first response, up to 3 attempts with exponential backoff
     * (0.5 s, doubling, at most 5 s); after that, resume from the last cursor.
     * </pre>
     */
    public java.util.Iterator<io.github.genaifeedback.v1.WatchFeedbackResponse> watchFeedback(
        io.github.genaifeedback.v1.WatchFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchFeedbackMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service FeedbackAnalyticsService.
   * <pre>
   * FeedbackAnalyticsService answers questions about the feedback recorded on
   * the experiment's traces: how many traces got feedback, how many thumbs were
   * up, what the ratings look like, over time and per group.
   * Only current votes count: an assessment that a later vote overrode (MLflow
   * marks it not valid) and a deleted one are not counted. The figures are
   * computed inside MLflow's database (MLflow's QueryTraceMetrics), not by
   * downloading traces; the response's `counting` says how each figure was
   * counted.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with field violations) for a
   * malformed request; UNAVAILABLE (MLFLOW_UNAVAILABLE) when MLflow cannot be
   * reached or fails, safe to retry.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackAnalyticsServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<FeedbackAnalyticsServiceFutureStub> {
    private FeedbackAnalyticsServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackAnalyticsServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackAnalyticsServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * GetFeedbackSummary returns, for a time range (default: the last 24 hours)
     * and optional filters, the number of traces, the traces with feedback and
     * the feedback rate, and per feedback name: thumbs up and down with the
     * positive rate and its 95% Wilson interval, the count, mean and score
     * distribution of numeric ratings, the count per label of categories.
     * Optionally also per time bucket (hour or day) and per group (a trace tag,
     * the user or the session), so that "positive rate per model per day" is
     * one call.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 300 s deadline; retried on UNAVAILABLE, up to 3 attempts with
     * exponential backoff (0.5 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.GetFeedbackSummaryResponse> getFeedbackSummary(
        io.github.genaifeedback.v1.GetFeedbackSummaryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetFeedbackSummaryMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_GET_FEEDBACK_SUMMARY = 0;
  private static final int METHODID_EXPORT_FEEDBACK = 1;
  private static final int METHODID_WATCH_FEEDBACK = 2;

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
        case METHODID_GET_FEEDBACK_SUMMARY:
          serviceImpl.getFeedbackSummary((io.github.genaifeedback.v1.GetFeedbackSummaryRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackSummaryResponse>) responseObserver);
          break;
        case METHODID_EXPORT_FEEDBACK:
          serviceImpl.exportFeedback((io.github.genaifeedback.v1.ExportFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ExportFeedbackResponse>) responseObserver);
          break;
        case METHODID_WATCH_FEEDBACK:
          serviceImpl.watchFeedback((io.github.genaifeedback.v1.WatchFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.WatchFeedbackResponse>) responseObserver);
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
          getGetFeedbackSummaryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.GetFeedbackSummaryRequest,
              io.github.genaifeedback.v1.GetFeedbackSummaryResponse>(
                service, METHODID_GET_FEEDBACK_SUMMARY)))
        .addMethod(
          getExportFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.ExportFeedbackRequest,
              io.github.genaifeedback.v1.ExportFeedbackResponse>(
                service, METHODID_EXPORT_FEEDBACK)))
        .addMethod(
          getWatchFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.WatchFeedbackRequest,
              io.github.genaifeedback.v1.WatchFeedbackResponse>(
                service, METHODID_WATCH_FEEDBACK)))
        .build();
  }

  private static abstract class FeedbackAnalyticsServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    FeedbackAnalyticsServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.github.genaifeedback.v1.AnalyticsProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("FeedbackAnalyticsService");
    }
  }

  private static final class FeedbackAnalyticsServiceFileDescriptorSupplier
      extends FeedbackAnalyticsServiceBaseDescriptorSupplier {
    FeedbackAnalyticsServiceFileDescriptorSupplier() {}
  }

  private static final class FeedbackAnalyticsServiceMethodDescriptorSupplier
      extends FeedbackAnalyticsServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    FeedbackAnalyticsServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (FeedbackAnalyticsServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new FeedbackAnalyticsServiceFileDescriptorSupplier())
              .addMethod(getGetFeedbackSummaryMethod())
              .addMethod(getExportFeedbackMethod())
              .addMethod(getWatchFeedbackMethod())
              .build();
        }
      }
    }
    return result;
  }
}
