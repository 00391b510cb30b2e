package io.github.genaifeedback.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
 * attached to the chat's trace. Every write is idempotent by its
 * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
 * One current vote per rater: feedback with a source id replaces that
 * source's earlier vote of the same name on the same trace and span, which
 * stays in MLflow as history (MLflow's override chain; see
 * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
 * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
 * EraseFeedbackBySource).
 * Acknowledged means durable: a call that returns OK has journaled its
 * feedback on the replica's disk, and it reaches MLflow exactly once, even if
 * the trace is still being exported (by this or another replica), MLflow is
 * down for a while, or the replica restarts. The response's `state` says
 * whether it is in MLflow already (STORED) or on its way (PENDING); set
 * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
 * GetFeedbackStatus later. Feedback whose trace does not appear within the
 * server's attach window (10 minutes by default) becomes EXPIRED.
 * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
 * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
 * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
 * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
 * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
 * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
 * take the write yet, safe to retry with the same request_id;
 * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
 * writable before the call's deadline; with a `feedback_token`,
 * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
 * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
 * Feedback tokens let an end user (a browser, or a backend forwarding the
 * user's click) rate one answer and nothing else: Chat's final event carries
 * one, CreateFeedbackToken mints one for a stored trace. With a token, the
 * source is the token's user (HUMAN), one current vote per user.
 * Each method's "Retries:" and "Deadline:" are the policy of the shipped
 * service config (clients/service_config.json), which the project's clients
 * apply; any gRPC client can load the same file.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class FeedbackServiceGrpc {

  private FeedbackServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "genaifeedback.v1.FeedbackService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitFeedbackRequest,
      io.github.genaifeedback.v1.SubmitFeedbackResponse> getSubmitFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SubmitFeedback",
      requestType = io.github.genaifeedback.v1.SubmitFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.SubmitFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitFeedbackRequest,
      io.github.genaifeedback.v1.SubmitFeedbackResponse> getSubmitFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitFeedbackRequest, io.github.genaifeedback.v1.SubmitFeedbackResponse> getSubmitFeedbackMethod;
    if ((getSubmitFeedbackMethod = FeedbackServiceGrpc.getSubmitFeedbackMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getSubmitFeedbackMethod = FeedbackServiceGrpc.getSubmitFeedbackMethod) == null) {
          FeedbackServiceGrpc.getSubmitFeedbackMethod = getSubmitFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.SubmitFeedbackRequest, io.github.genaifeedback.v1.SubmitFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SubmitFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.SubmitFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.SubmitFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("SubmitFeedback"))
              .build();
        }
      }
    }
    return getSubmitFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitRatingsRequest,
      io.github.genaifeedback.v1.SubmitRatingsResponse> getSubmitRatingsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SubmitRatings",
      requestType = io.github.genaifeedback.v1.SubmitRatingsRequest.class,
      responseType = io.github.genaifeedback.v1.SubmitRatingsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitRatingsRequest,
      io.github.genaifeedback.v1.SubmitRatingsResponse> getSubmitRatingsMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.SubmitRatingsRequest, io.github.genaifeedback.v1.SubmitRatingsResponse> getSubmitRatingsMethod;
    if ((getSubmitRatingsMethod = FeedbackServiceGrpc.getSubmitRatingsMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getSubmitRatingsMethod = FeedbackServiceGrpc.getSubmitRatingsMethod) == null) {
          FeedbackServiceGrpc.getSubmitRatingsMethod = getSubmitRatingsMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.SubmitRatingsRequest, io.github.genaifeedback.v1.SubmitRatingsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SubmitRatings"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.SubmitRatingsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.SubmitRatingsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("SubmitRatings"))
              .build();
        }
      }
    }
    return getSubmitRatingsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackStatusRequest,
      io.github.genaifeedback.v1.GetFeedbackStatusResponse> getGetFeedbackStatusMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetFeedbackStatus",
      requestType = io.github.genaifeedback.v1.GetFeedbackStatusRequest.class,
      responseType = io.github.genaifeedback.v1.GetFeedbackStatusResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackStatusRequest,
      io.github.genaifeedback.v1.GetFeedbackStatusResponse> getGetFeedbackStatusMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackStatusRequest, io.github.genaifeedback.v1.GetFeedbackStatusResponse> getGetFeedbackStatusMethod;
    if ((getGetFeedbackStatusMethod = FeedbackServiceGrpc.getGetFeedbackStatusMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getGetFeedbackStatusMethod = FeedbackServiceGrpc.getGetFeedbackStatusMethod) == null) {
          FeedbackServiceGrpc.getGetFeedbackStatusMethod = getGetFeedbackStatusMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.GetFeedbackStatusRequest, io.github.genaifeedback.v1.GetFeedbackStatusResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetFeedbackStatus"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackStatusRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackStatusResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("GetFeedbackStatus"))
              .build();
        }
      }
    }
    return getGetFeedbackStatusMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackSchemasRequest,
      io.github.genaifeedback.v1.ListFeedbackSchemasResponse> getListFeedbackSchemasMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListFeedbackSchemas",
      requestType = io.github.genaifeedback.v1.ListFeedbackSchemasRequest.class,
      responseType = io.github.genaifeedback.v1.ListFeedbackSchemasResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackSchemasRequest,
      io.github.genaifeedback.v1.ListFeedbackSchemasResponse> getListFeedbackSchemasMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackSchemasRequest, io.github.genaifeedback.v1.ListFeedbackSchemasResponse> getListFeedbackSchemasMethod;
    if ((getListFeedbackSchemasMethod = FeedbackServiceGrpc.getListFeedbackSchemasMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getListFeedbackSchemasMethod = FeedbackServiceGrpc.getListFeedbackSchemasMethod) == null) {
          FeedbackServiceGrpc.getListFeedbackSchemasMethod = getListFeedbackSchemasMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.ListFeedbackSchemasRequest, io.github.genaifeedback.v1.ListFeedbackSchemasResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListFeedbackSchemas"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ListFeedbackSchemasRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ListFeedbackSchemasResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("ListFeedbackSchemas"))
              .build();
        }
      }
    }
    return getListFeedbackSchemasMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackRequest,
      io.github.genaifeedback.v1.GetFeedbackResponse> getGetFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetFeedback",
      requestType = io.github.genaifeedback.v1.GetFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.GetFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackRequest,
      io.github.genaifeedback.v1.GetFeedbackResponse> getGetFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.GetFeedbackRequest, io.github.genaifeedback.v1.GetFeedbackResponse> getGetFeedbackMethod;
    if ((getGetFeedbackMethod = FeedbackServiceGrpc.getGetFeedbackMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getGetFeedbackMethod = FeedbackServiceGrpc.getGetFeedbackMethod) == null) {
          FeedbackServiceGrpc.getGetFeedbackMethod = getGetFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.GetFeedbackRequest, io.github.genaifeedback.v1.GetFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.GetFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("GetFeedback"))
              .build();
        }
      }
    }
    return getGetFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackRequest,
      io.github.genaifeedback.v1.ListFeedbackResponse> getListFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListFeedback",
      requestType = io.github.genaifeedback.v1.ListFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.ListFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackRequest,
      io.github.genaifeedback.v1.ListFeedbackResponse> getListFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.ListFeedbackRequest, io.github.genaifeedback.v1.ListFeedbackResponse> getListFeedbackMethod;
    if ((getListFeedbackMethod = FeedbackServiceGrpc.getListFeedbackMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getListFeedbackMethod = FeedbackServiceGrpc.getListFeedbackMethod) == null) {
          FeedbackServiceGrpc.getListFeedbackMethod = getListFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.ListFeedbackRequest, io.github.genaifeedback.v1.ListFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ListFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.ListFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("ListFeedback"))
              .build();
        }
      }
    }
    return getListFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CorrectFeedbackRequest,
      io.github.genaifeedback.v1.CorrectFeedbackResponse> getCorrectFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CorrectFeedback",
      requestType = io.github.genaifeedback.v1.CorrectFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.CorrectFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CorrectFeedbackRequest,
      io.github.genaifeedback.v1.CorrectFeedbackResponse> getCorrectFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CorrectFeedbackRequest, io.github.genaifeedback.v1.CorrectFeedbackResponse> getCorrectFeedbackMethod;
    if ((getCorrectFeedbackMethod = FeedbackServiceGrpc.getCorrectFeedbackMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getCorrectFeedbackMethod = FeedbackServiceGrpc.getCorrectFeedbackMethod) == null) {
          FeedbackServiceGrpc.getCorrectFeedbackMethod = getCorrectFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.CorrectFeedbackRequest, io.github.genaifeedback.v1.CorrectFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CorrectFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CorrectFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CorrectFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("CorrectFeedback"))
              .build();
        }
      }
    }
    return getCorrectFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.DeleteFeedbackRequest,
      io.github.genaifeedback.v1.DeleteFeedbackResponse> getDeleteFeedbackMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteFeedback",
      requestType = io.github.genaifeedback.v1.DeleteFeedbackRequest.class,
      responseType = io.github.genaifeedback.v1.DeleteFeedbackResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.DeleteFeedbackRequest,
      io.github.genaifeedback.v1.DeleteFeedbackResponse> getDeleteFeedbackMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.DeleteFeedbackRequest, io.github.genaifeedback.v1.DeleteFeedbackResponse> getDeleteFeedbackMethod;
    if ((getDeleteFeedbackMethod = FeedbackServiceGrpc.getDeleteFeedbackMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getDeleteFeedbackMethod = FeedbackServiceGrpc.getDeleteFeedbackMethod) == null) {
          FeedbackServiceGrpc.getDeleteFeedbackMethod = getDeleteFeedbackMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.DeleteFeedbackRequest, io.github.genaifeedback.v1.DeleteFeedbackResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteFeedback"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.DeleteFeedbackRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.DeleteFeedbackResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("DeleteFeedback"))
              .build();
        }
      }
    }
    return getDeleteFeedbackMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.EraseFeedbackBySourceRequest,
      io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> getEraseFeedbackBySourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "EraseFeedbackBySource",
      requestType = io.github.genaifeedback.v1.EraseFeedbackBySourceRequest.class,
      responseType = io.github.genaifeedback.v1.EraseFeedbackBySourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.EraseFeedbackBySourceRequest,
      io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> getEraseFeedbackBySourceMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.EraseFeedbackBySourceRequest, io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> getEraseFeedbackBySourceMethod;
    if ((getEraseFeedbackBySourceMethod = FeedbackServiceGrpc.getEraseFeedbackBySourceMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getEraseFeedbackBySourceMethod = FeedbackServiceGrpc.getEraseFeedbackBySourceMethod) == null) {
          FeedbackServiceGrpc.getEraseFeedbackBySourceMethod = getEraseFeedbackBySourceMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.EraseFeedbackBySourceRequest, io.github.genaifeedback.v1.EraseFeedbackBySourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "EraseFeedbackBySource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.EraseFeedbackBySourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.EraseFeedbackBySourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("EraseFeedbackBySource"))
              .build();
        }
      }
    }
    return getEraseFeedbackBySourceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CreateFeedbackTokenRequest,
      io.github.genaifeedback.v1.CreateFeedbackTokenResponse> getCreateFeedbackTokenMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateFeedbackToken",
      requestType = io.github.genaifeedback.v1.CreateFeedbackTokenRequest.class,
      responseType = io.github.genaifeedback.v1.CreateFeedbackTokenResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CreateFeedbackTokenRequest,
      io.github.genaifeedback.v1.CreateFeedbackTokenResponse> getCreateFeedbackTokenMethod() {
    io.grpc.MethodDescriptor<io.github.genaifeedback.v1.CreateFeedbackTokenRequest, io.github.genaifeedback.v1.CreateFeedbackTokenResponse> getCreateFeedbackTokenMethod;
    if ((getCreateFeedbackTokenMethod = FeedbackServiceGrpc.getCreateFeedbackTokenMethod) == null) {
      synchronized (FeedbackServiceGrpc.class) {
        if ((getCreateFeedbackTokenMethod = FeedbackServiceGrpc.getCreateFeedbackTokenMethod) == null) {
          FeedbackServiceGrpc.getCreateFeedbackTokenMethod = getCreateFeedbackTokenMethod =
              io.grpc.MethodDescriptor.<io.github.genaifeedback.v1.CreateFeedbackTokenRequest, io.github.genaifeedback.v1.CreateFeedbackTokenResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateFeedbackToken"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CreateFeedbackTokenRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.genaifeedback.v1.CreateFeedbackTokenResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FeedbackServiceMethodDescriptorSupplier("CreateFeedbackToken"))
              .build();
        }
      }
    }
    return getCreateFeedbackTokenMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static FeedbackServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceStub>() {
        @java.lang.Override
        public FeedbackServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackServiceStub(channel, callOptions);
        }
      };
    return FeedbackServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static FeedbackServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceBlockingV2Stub>() {
        @java.lang.Override
        public FeedbackServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return FeedbackServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static FeedbackServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceBlockingStub>() {
        @java.lang.Override
        public FeedbackServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackServiceBlockingStub(channel, callOptions);
        }
      };
    return FeedbackServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static FeedbackServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FeedbackServiceFutureStub>() {
        @java.lang.Override
        public FeedbackServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FeedbackServiceFutureStub(channel, callOptions);
        }
      };
    return FeedbackServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * SubmitFeedback records one feedback value (thumbs up/down, a score, a
     * category, a comment or a structured value) on a trace. A feedback sent the
     * instant a Chat stream finishes lands: the service waits for the trace to be
     * stored first.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    default void submitFeedback(io.github.genaifeedback.v1.SubmitFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSubmitFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * SubmitRatings records several rated dimensions (for example accuracy,
     * helpfulness and relevance, each 1 to 5) on one trace, one assessment per
     * dimension: all of them are recorded, or none.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    default void submitRatings(io.github.genaifeedback.v1.SubmitRatingsRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitRatingsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSubmitRatingsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetFeedbackStatus tells what became of a feedback: PENDING, STORED,
     * EXPIRED or REJECTED (with the reason). Ask the replica that took it (it
     * remembers its feedback for a day), or any replica once it is STORED.
     * NOT_FOUND (FEEDBACK_NOT_FOUND) if neither this replica nor MLflow knows it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    default void getFeedbackStatus(io.github.genaifeedback.v1.GetFeedbackStatusRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackStatusResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetFeedbackStatusMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListFeedbackSchemas returns the feedback schemas in force on this replica:
     * the built-in ones and those of the operator's schema file. A client can
     * build its UI from them (a thumb, a scale, a list of labels, a text box).
     * SubmitFeedback and SubmitRatings check every value against its name's
     * schema and refuse one that breaks it (INVALID_ARGUMENT, INVALID_FIELD,
     * with field violations such as SCHEMA_MISMATCH or OUT_OF_RANGE).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    default void listFeedbackSchemas(io.github.genaifeedback.v1.ListFeedbackSchemasRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackSchemasResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListFeedbackSchemasMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetFeedback reads one stored feedback back from MLflow, with its place in
     * its vote's history (whether it is current, what it replaced, what
     * replaced it). NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    default void getFeedback(io.github.genaifeedback.v1.GetFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListFeedback lists stored feedback on one trace, or given by one source
     * (across traces, within a time range), current votes only unless history is
     * asked for, a page at a time (AIP-158).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    default void listFeedback(io.github.genaifeedback.v1.ListFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * CorrectFeedback replaces a stored feedback's value with a corrected one,
     * given by an expert or a later judge with a reason: the correction
     * overrides the original (which stays in MLflow, no longer current), so the
     * chain of what was said, and why it changed, is kept.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    default void correctFeedback(io.github.genaifeedback.v1.CorrectFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CorrectFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCorrectFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteFeedback deletes one feedback together with its whole history (the
     * rater's earlier votes it replaced and any correction of it), or every
     * feedback on a trace. Deletion is final: a late retry of a deleted
     * feedback's request_id, or a delivery still on its way, does not bring it
     * back (the service keeps a tombstone on the trace).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); deletion is final, so
     * a retry cannot bring anything back.
     * </pre>
     */
    default void deleteFeedback(io.github.genaifeedback.v1.DeleteFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.DeleteFeedbackResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteFeedbackMethod(), responseObserver);
    }

    /**
     * <pre>
     * EraseFeedbackBySource deletes every feedback one source gave (for example
     * to honour a user's erasure request), on every trace of the service's
     * experiment, with tombstones as DeleteFeedback. It streams its progress as
     * it goes; the last message has `done` set and the totals.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline (the walk covers the whole experiment);
     * retried on UNAVAILABLE before the first response, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); erasing again is safe.
     * </pre>
     */
    default void eraseFeedbackBySource(io.github.genaifeedback.v1.EraseFeedbackBySourceRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getEraseFeedbackBySourceMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateFeedbackToken mints a feedback token (as Chat's final event
     * carries) for a trace that is stored in MLflow, or whose chat is in flight
     * on this replica: for a backend that hands its end user a token later than
     * the chat, or a new one once the first expired. The token is empty when the
     * server issues no tokens (no signing keys configured). NOT_FOUND
     * (TRACE_NOT_FOUND) when no such trace is known; UNAVAILABLE
     * (MLFLOW_UNAVAILABLE) when MLflow cannot tell, safe to retry.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); a retry mints another
     * token for the same binding.
     * </pre>
     */
    default void createFeedbackToken(io.github.genaifeedback.v1.CreateFeedbackTokenRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CreateFeedbackTokenResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateFeedbackTokenMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service FeedbackService.
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static abstract class FeedbackServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return FeedbackServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service FeedbackService.
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackServiceStub
      extends io.grpc.stub.AbstractAsyncStub<FeedbackServiceStub> {
    private FeedbackServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * SubmitFeedback records one feedback value (thumbs up/down, a score, a
     * category, a comment or a structured value) on a trace. A feedback sent the
     * instant a Chat stream finishes lands: the service waits for the trace to be
     * stored first.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public void submitFeedback(io.github.genaifeedback.v1.SubmitFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSubmitFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * SubmitRatings records several rated dimensions (for example accuracy,
     * helpfulness and relevance, each 1 to 5) on one trace, one assessment per
     * dimension: all of them are recorded, or none.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public void submitRatings(io.github.genaifeedback.v1.SubmitRatingsRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitRatingsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSubmitRatingsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetFeedbackStatus tells what became of a feedback: PENDING, STORED,
     * EXPIRED or REJECTED (with the reason). Ask the replica that took it (it
     * remembers its feedback for a day), or any replica once it is STORED.
     * NOT_FOUND (FEEDBACK_NOT_FOUND) if neither this replica nor MLflow knows it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public void getFeedbackStatus(io.github.genaifeedback.v1.GetFeedbackStatusRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackStatusResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetFeedbackStatusMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListFeedbackSchemas returns the feedback schemas in force on this replica:
     * the built-in ones and those of the operator's schema file. A client can
     * build its UI from them (a thumb, a scale, a list of labels, a text box).
     * SubmitFeedback and SubmitRatings check every value against its name's
     * schema and refuse one that breaks it (INVALID_ARGUMENT, INVALID_FIELD,
     * with field violations such as SCHEMA_MISMATCH or OUT_OF_RANGE).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public void listFeedbackSchemas(io.github.genaifeedback.v1.ListFeedbackSchemasRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackSchemasResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListFeedbackSchemasMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetFeedback reads one stored feedback back from MLflow, with its place in
     * its vote's history (whether it is current, what it replaced, what
     * replaced it). NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public void getFeedback(io.github.genaifeedback.v1.GetFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListFeedback lists stored feedback on one trace, or given by one source
     * (across traces, within a time range), current votes only unless history is
     * asked for, a page at a time (AIP-158).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public void listFeedback(io.github.genaifeedback.v1.ListFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CorrectFeedback replaces a stored feedback's value with a corrected one,
     * given by an expert or a later judge with a reason: the correction
     * overrides the original (which stays in MLflow, no longer current), so the
     * chain of what was said, and why it changed, is kept.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public void correctFeedback(io.github.genaifeedback.v1.CorrectFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CorrectFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCorrectFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteFeedback deletes one feedback together with its whole history (the
     * rater's earlier votes it replaced and any correction of it), or every
     * feedback on a trace. Deletion is final: a late retry of a deleted
     * feedback's request_id, or a delivery still on its way, does not bring it
     * back (the service keeps a tombstone on the trace).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); deletion is final, so
     * a retry cannot bring anything back.
     * </pre>
     */
    public void deleteFeedback(io.github.genaifeedback.v1.DeleteFeedbackRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.DeleteFeedbackResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteFeedbackMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * EraseFeedbackBySource deletes every feedback one source gave (for example
     * to honour a user's erasure request), on every trace of the service's
     * experiment, with tombstones as DeleteFeedback. It streams its progress as
     * it goes; the last message has `done` set and the totals.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline (the walk covers the whole experiment);
     * retried on UNAVAILABLE before the first response, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); erasing again is safe.
     * </pre>
     */
    public void eraseFeedbackBySource(io.github.genaifeedback.v1.EraseFeedbackBySourceRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getEraseFeedbackBySourceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreateFeedbackToken mints a feedback token (as Chat's final event
     * carries) for a trace that is stored in MLflow, or whose chat is in flight
     * on this replica: for a backend that hands its end user a token later than
     * the chat, or a new one once the first expired. The token is empty when the
     * server issues no tokens (no signing keys configured). NOT_FOUND
     * (TRACE_NOT_FOUND) when no such trace is known; UNAVAILABLE
     * (MLFLOW_UNAVAILABLE) when MLflow cannot tell, safe to retry.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); a retry mints another
     * token for the same binding.
     * </pre>
     */
    public void createFeedbackToken(io.github.genaifeedback.v1.CreateFeedbackTokenRequest request,
        io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CreateFeedbackTokenResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateFeedbackTokenMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service FeedbackService.
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<FeedbackServiceBlockingV2Stub> {
    private FeedbackServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * SubmitFeedback records one feedback value (thumbs up/down, a score, a
     * category, a comment or a structured value) on a trace. A feedback sent the
     * instant a Chat stream finishes lands: the service waits for the trace to be
     * stored first.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.SubmitFeedbackResponse submitFeedback(io.github.genaifeedback.v1.SubmitFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSubmitFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SubmitRatings records several rated dimensions (for example accuracy,
     * helpfulness and relevance, each 1 to 5) on one trace, one assessment per
     * dimension: all of them are recorded, or none.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.SubmitRatingsResponse submitRatings(io.github.genaifeedback.v1.SubmitRatingsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSubmitRatingsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFeedbackStatus tells what became of a feedback: PENDING, STORED,
     * EXPIRED or REJECTED (with the reason). Ask the replica that took it (it
     * remembers its feedback for a day), or any replica once it is STORED.
     * NOT_FOUND (FEEDBACK_NOT_FOUND) if neither this replica nor MLflow knows it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackStatusResponse getFeedbackStatus(io.github.genaifeedback.v1.GetFeedbackStatusRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetFeedbackStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListFeedbackSchemas returns the feedback schemas in force on this replica:
     * the built-in ones and those of the operator's schema file. A client can
     * build its UI from them (a thumb, a scale, a list of labels, a text box).
     * SubmitFeedback and SubmitRatings check every value against its name's
     * schema and refuse one that breaks it (INVALID_ARGUMENT, INVALID_FIELD,
     * with field violations such as SCHEMA_MISMATCH or OUT_OF_RANGE).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.ListFeedbackSchemasResponse listFeedbackSchemas(io.github.genaifeedback.v1.ListFeedbackSchemasRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListFeedbackSchemasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFeedback reads one stored feedback back from MLflow, with its place in
     * its vote's history (whether it is current, what it replaced, what
     * replaced it). NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackResponse getFeedback(io.github.genaifeedback.v1.GetFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListFeedback lists stored feedback on one trace, or given by one source
     * (across traces, within a time range), current votes only unless history is
     * asked for, a page at a time (AIP-158).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.ListFeedbackResponse listFeedback(io.github.genaifeedback.v1.ListFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CorrectFeedback replaces a stored feedback's value with a corrected one,
     * given by an expert or a later judge with a reason: the correction
     * overrides the original (which stays in MLflow, no longer current), so the
     * chain of what was said, and why it changed, is kept.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.CorrectFeedbackResponse correctFeedback(io.github.genaifeedback.v1.CorrectFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCorrectFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteFeedback deletes one feedback together with its whole history (the
     * rater's earlier votes it replaced and any correction of it), or every
     * feedback on a trace. Deletion is final: a late retry of a deleted
     * feedback's request_id, or a delivery still on its way, does not bring it
     * back (the service keeps a tombstone on the trace).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); deletion is final, so
     * a retry cannot bring anything back.
     * </pre>
     */
    public io.github.genaifeedback.v1.DeleteFeedbackResponse deleteFeedback(io.github.genaifeedback.v1.DeleteFeedbackRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * EraseFeedbackBySource deletes every feedback one source gave (for example
     * to honour a user's erasure request), on every trace of the service's
     * experiment, with tombstones as DeleteFeedback. It streams its progress as
     * it goes; the last message has `done` set and the totals.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline (the walk covers the whole experiment);
     * retried on UNAVAILABLE before the first response, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); erasing again is safe.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.genaifeedback.v1.EraseFeedbackBySourceResponse>
        eraseFeedbackBySource(io.github.genaifeedback.v1.EraseFeedbackBySourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getEraseFeedbackBySourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateFeedbackToken mints a feedback token (as Chat's final event
     * carries) for a trace that is stored in MLflow, or whose chat is in flight
     * on this replica: for a backend that hands its end user a token later than
     * the chat, or a new one once the first expired. The token is empty when the
     * server issues no tokens (no signing keys configured). NOT_FOUND
     * (TRACE_NOT_FOUND) when no such trace is known; UNAVAILABLE
     * (MLFLOW_UNAVAILABLE) when MLflow cannot tell, safe to retry.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); a retry mints another
     * token for the same binding.
     * </pre>
     */
    public io.github.genaifeedback.v1.CreateFeedbackTokenResponse createFeedbackToken(io.github.genaifeedback.v1.CreateFeedbackTokenRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateFeedbackTokenMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service FeedbackService.
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<FeedbackServiceBlockingStub> {
    private FeedbackServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * SubmitFeedback records one feedback value (thumbs up/down, a score, a
     * category, a comment or a structured value) on a trace. A feedback sent the
     * instant a Chat stream finishes lands: the service waits for the trace to be
     * stored first.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.SubmitFeedbackResponse submitFeedback(io.github.genaifeedback.v1.SubmitFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSubmitFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * SubmitRatings records several rated dimensions (for example accuracy,
     * helpfulness and relevance, each 1 to 5) on one trace, one assessment per
     * dimension: all of them are recorded, or none.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.SubmitRatingsResponse submitRatings(io.github.genaifeedback.v1.SubmitRatingsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSubmitRatingsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFeedbackStatus tells what became of a feedback: PENDING, STORED,
     * EXPIRED or REJECTED (with the reason). Ask the replica that took it (it
     * remembers its feedback for a day), or any replica once it is STORED.
     * NOT_FOUND (FEEDBACK_NOT_FOUND) if neither this replica nor MLflow knows it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackStatusResponse getFeedbackStatus(io.github.genaifeedback.v1.GetFeedbackStatusRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetFeedbackStatusMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListFeedbackSchemas returns the feedback schemas in force on this replica:
     * the built-in ones and those of the operator's schema file. A client can
     * build its UI from them (a thumb, a scale, a list of labels, a text box).
     * SubmitFeedback and SubmitRatings check every value against its name's
     * schema and refuse one that breaks it (INVALID_ARGUMENT, INVALID_FIELD,
     * with field violations such as SCHEMA_MISMATCH or OUT_OF_RANGE).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.ListFeedbackSchemasResponse listFeedbackSchemas(io.github.genaifeedback.v1.ListFeedbackSchemasRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListFeedbackSchemasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFeedback reads one stored feedback back from MLflow, with its place in
     * its vote's history (whether it is current, what it replaced, what
     * replaced it). NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.GetFeedbackResponse getFeedback(io.github.genaifeedback.v1.GetFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListFeedback lists stored feedback on one trace, or given by one source
     * (across traces, within a time range), current votes only unless history is
     * asked for, a page at a time (AIP-158).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public io.github.genaifeedback.v1.ListFeedbackResponse listFeedback(io.github.genaifeedback.v1.ListFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CorrectFeedback replaces a stored feedback's value with a corrected one,
     * given by an expert or a later judge with a reason: the correction
     * overrides the original (which stays in MLflow, no longer current), so the
     * chain of what was said, and why it changed, is kept.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public io.github.genaifeedback.v1.CorrectFeedbackResponse correctFeedback(io.github.genaifeedback.v1.CorrectFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCorrectFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteFeedback deletes one feedback together with its whole history (the
     * rater's earlier votes it replaced and any correction of it), or every
     * feedback on a trace. Deletion is final: a late retry of a deleted
     * feedback's request_id, or a delivery still on its way, does not bring it
     * back (the service keeps a tombstone on the trace).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); deletion is final, so
     * a retry cannot bring anything back.
     * </pre>
     */
    public io.github.genaifeedback.v1.DeleteFeedbackResponse deleteFeedback(io.github.genaifeedback.v1.DeleteFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteFeedbackMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * EraseFeedbackBySource deletes every feedback one source gave (for example
     * to honour a user's erasure request), on every trace of the service's
     * experiment, with tombstones as DeleteFeedback. It streams its progress as
     * it goes; the last message has `done` set and the totals.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 600 s deadline (the walk covers the whole experiment);
     * retried on UNAVAILABLE before the first response, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); erasing again is safe.
     * </pre>
     */
    public java.util.Iterator<io.github.genaifeedback.v1.EraseFeedbackBySourceResponse> eraseFeedbackBySource(
        io.github.genaifeedback.v1.EraseFeedbackBySourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getEraseFeedbackBySourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateFeedbackToken mints a feedback token (as Chat's final event
     * carries) for a trace that is stored in MLflow, or whose chat is in flight
     * on this replica: for a backend that hands its end user a token later than
     * the chat, or a new one once the first expired. The token is empty when the
     * server issues no tokens (no signing keys configured). NOT_FOUND
     * (TRACE_NOT_FOUND) when no such trace is known; UNAVAILABLE
     * (MLFLOW_UNAVAILABLE) when MLflow cannot tell, safe to retry.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); a retry mints another
     * token for the same binding.
     * </pre>
     */
    public io.github.genaifeedback.v1.CreateFeedbackTokenResponse createFeedbackToken(io.github.genaifeedback.v1.CreateFeedbackTokenRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateFeedbackTokenMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service FeedbackService.
   * <pre>
   * FeedbackService records feedback on chats as MLflow `Feedback` assessments,
   * attached to the chat's trace. Every write is idempotent by its
   * `request_id`, which every write must carry (REQUEST_ID_REQUIRED without it).
   * One current vote per rater: feedback with a source id replaces that
   * source's earlier vote of the same name on the same trace and span, which
   * stays in MLflow as history (MLflow's override chain; see
   * FeedbackSource.id). Feedback can be read back (GetFeedback, ListFeedback),
   * corrected (CorrectFeedback) and deleted for good (DeleteFeedback,
   * EraseFeedbackBySource).
   * Acknowledged means durable: a call that returns OK has journaled its
   * feedback on the replica's disk, and it reaches MLflow exactly once, even if
   * the trace is still being exported (by this or another replica), MLflow is
   * down for a while, or the replica restarts. The response's `state` says
   * whether it is in MLflow already (STORED) or on its way (PENDING); set
   * `wait_until_stored` to wait for MLflow within the call's deadline, or ask
   * GetFeedbackStatus later. Feedback whose trace does not appear within the
   * server's attach window (10 minutes by default) becomes EXPIRED.
   * Errors (each with a google.rpc.ErrorInfo whose reason is listed in
   * ErrorReason): INVALID_ARGUMENT (INVALID_FIELD with google.rpc.BadRequest
   * field violations, or MALFORMED_REQUEST) for a malformed request; NOT_FOUND
   * (TRACE_NOT_FOUND) when no trace matches the target; ALREADY_EXISTS
   * (REQUEST_ID_REUSED) when a request_id is reused for a different action;
   * UNAVAILABLE (MLFLOW_UNAVAILABLE, TRACE_NOT_STORED_YET) when MLflow cannot
   * take the write yet, safe to retry with the same request_id;
   * DEADLINE_EXCEEDED (TRACE_WAIT_TIMEOUT) when the trace did not become
   * writable before the call's deadline; with a `feedback_token`,
   * UNAUTHENTICATED (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) and
   * PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH). A failed call writes nothing.
   * Feedback tokens let an end user (a browser, or a backend forwarding the
   * user's click) rate one answer and nothing else: Chat's final event carries
   * one, CreateFeedbackToken mints one for a stored trace. With a token, the
   * source is the token's user (HUMAN), one current vote per user.
   * Each method's "Retries:" and "Deadline:" are the policy of the shipped
   * service config (clients/service_config.json), which the project's clients
   * apply; any gRPC client can load the same file.
   * </pre>
   */
  public static final class FeedbackServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<FeedbackServiceFutureStub> {
    private FeedbackServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FeedbackServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FeedbackServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * SubmitFeedback records one feedback value (thumbs up/down, a score, a
     * category, a comment or a structured value) on a trace. A feedback sent the
     * instant a Chat stream finishes lands: the service waits for the trace to be
     * stored first.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.SubmitFeedbackResponse> submitFeedback(
        io.github.genaifeedback.v1.SubmitFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSubmitFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * SubmitRatings records several rated dimensions (for example accuracy,
     * helpfulness and relevance, each 1 to 5) on one trace, one assessment per
     * dimension: all of them are recorded, or none.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.SubmitRatingsResponse> submitRatings(
        io.github.genaifeedback.v1.SubmitRatingsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSubmitRatingsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetFeedbackStatus tells what became of a feedback: PENDING, STORED,
     * EXPIRED or REJECTED (with the reason). Ask the replica that took it (it
     * remembers its feedback for a day), or any replica once it is STORED.
     * NOT_FOUND (FEEDBACK_NOT_FOUND) if neither this replica nor MLflow knows it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.GetFeedbackStatusResponse> getFeedbackStatus(
        io.github.genaifeedback.v1.GetFeedbackStatusRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetFeedbackStatusMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListFeedbackSchemas returns the feedback schemas in force on this replica:
     * the built-in ones and those of the operator's schema file. A client can
     * build its UI from them (a thumb, a scale, a list of labels, a text box).
     * SubmitFeedback and SubmitRatings check every value against its name's
     * schema and refuse one that breaks it (INVALID_ARGUMENT, INVALID_FIELD,
     * with field violations such as SCHEMA_MISMATCH or OUT_OF_RANGE).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.ListFeedbackSchemasResponse> listFeedbackSchemas(
        io.github.genaifeedback.v1.ListFeedbackSchemasRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListFeedbackSchemasMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetFeedback reads one stored feedback back from MLflow, with its place in
     * its vote's history (whether it is current, what it replaced, what
     * replaced it). NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.GetFeedbackResponse> getFeedback(
        io.github.genaifeedback.v1.GetFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListFeedback lists stored feedback on one trace, or given by one source
     * (across traces, within a time range), current votes only unless history is
     * asked for, a page at a time (AIP-158).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); it only reads.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.ListFeedbackResponse> listFeedback(
        io.github.genaifeedback.v1.ListFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CorrectFeedback replaces a stored feedback's value with a corrected one,
     * given by an expert or a later judge with a reason: the correction
     * overrides the original (which stays in MLflow, no longer current), so the
     * chain of what was said, and why it changed, is kept.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s). A retry resends the same
     * request_id, so it is recorded once.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.CorrectFeedbackResponse> correctFeedback(
        io.github.genaifeedback.v1.CorrectFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCorrectFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteFeedback deletes one feedback together with its whole history (the
     * rater's earlier votes it replaced and any correction of it), or every
     * feedback on a trace. Deletion is final: a late retry of a deleted
     * feedback's request_id, or a delivery still on its way, does not bring it
     * back (the service keeps a tombstone on the trace).
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); deletion is final, so
     * a retry cannot bring anything back.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.DeleteFeedbackResponse> deleteFeedback(
        io.github.genaifeedback.v1.DeleteFeedbackRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteFeedbackMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CreateFeedbackToken mints a feedback token (as Chat's final event
     * carries) for a trace that is stored in MLflow, or whose chat is in flight
     * on this replica: for a backend that hands its end user a token later than
     * the chat, or a new one once the first expired. The token is empty when the
     * server issues no tokens (no signing keys configured). NOT_FOUND
     * (TRACE_NOT_FOUND) when no such trace is known; UNAVAILABLE
     * (MLFLOW_UNAVAILABLE) when MLflow cannot tell, safe to retry.
     * Timeout and retries (clients/service_config.json, which every client
     * applies): a 30 s deadline; retried on UNAVAILABLE, up to 5 attempts with
     * exponential backoff (0.2 s, doubling, at most 5 s); a retry mints another
     * token for the same binding.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.genaifeedback.v1.CreateFeedbackTokenResponse> createFeedbackToken(
        io.github.genaifeedback.v1.CreateFeedbackTokenRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateFeedbackTokenMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_SUBMIT_FEEDBACK = 0;
  private static final int METHODID_SUBMIT_RATINGS = 1;
  private static final int METHODID_GET_FEEDBACK_STATUS = 2;
  private static final int METHODID_LIST_FEEDBACK_SCHEMAS = 3;
  private static final int METHODID_GET_FEEDBACK = 4;
  private static final int METHODID_LIST_FEEDBACK = 5;
  private static final int METHODID_CORRECT_FEEDBACK = 6;
  private static final int METHODID_DELETE_FEEDBACK = 7;
  private static final int METHODID_ERASE_FEEDBACK_BY_SOURCE = 8;
  private static final int METHODID_CREATE_FEEDBACK_TOKEN = 9;

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
        case METHODID_SUBMIT_FEEDBACK:
          serviceImpl.submitFeedback((io.github.genaifeedback.v1.SubmitFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitFeedbackResponse>) responseObserver);
          break;
        case METHODID_SUBMIT_RATINGS:
          serviceImpl.submitRatings((io.github.genaifeedback.v1.SubmitRatingsRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.SubmitRatingsResponse>) responseObserver);
          break;
        case METHODID_GET_FEEDBACK_STATUS:
          serviceImpl.getFeedbackStatus((io.github.genaifeedback.v1.GetFeedbackStatusRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackStatusResponse>) responseObserver);
          break;
        case METHODID_LIST_FEEDBACK_SCHEMAS:
          serviceImpl.listFeedbackSchemas((io.github.genaifeedback.v1.ListFeedbackSchemasRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackSchemasResponse>) responseObserver);
          break;
        case METHODID_GET_FEEDBACK:
          serviceImpl.getFeedback((io.github.genaifeedback.v1.GetFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.GetFeedbackResponse>) responseObserver);
          break;
        case METHODID_LIST_FEEDBACK:
          serviceImpl.listFeedback((io.github.genaifeedback.v1.ListFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.ListFeedbackResponse>) responseObserver);
          break;
        case METHODID_CORRECT_FEEDBACK:
          serviceImpl.correctFeedback((io.github.genaifeedback.v1.CorrectFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CorrectFeedbackResponse>) responseObserver);
          break;
        case METHODID_DELETE_FEEDBACK:
          serviceImpl.deleteFeedback((io.github.genaifeedback.v1.DeleteFeedbackRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.DeleteFeedbackResponse>) responseObserver);
          break;
        case METHODID_ERASE_FEEDBACK_BY_SOURCE:
          serviceImpl.eraseFeedbackBySource((io.github.genaifeedback.v1.EraseFeedbackBySourceRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.EraseFeedbackBySourceResponse>) responseObserver);
          break;
        case METHODID_CREATE_FEEDBACK_TOKEN:
          serviceImpl.createFeedbackToken((io.github.genaifeedback.v1.CreateFeedbackTokenRequest) request,
              (io.grpc.stub.StreamObserver<io.github.genaifeedback.v1.CreateFeedbackTokenResponse>) responseObserver);
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
          getSubmitFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.SubmitFeedbackRequest,
              io.github.genaifeedback.v1.SubmitFeedbackResponse>(
                service, METHODID_SUBMIT_FEEDBACK)))
        .addMethod(
          getSubmitRatingsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.SubmitRatingsRequest,
              io.github.genaifeedback.v1.SubmitRatingsResponse>(
                service, METHODID_SUBMIT_RATINGS)))
        .addMethod(
          getGetFeedbackStatusMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.GetFeedbackStatusRequest,
              io.github.genaifeedback.v1.GetFeedbackStatusResponse>(
                service, METHODID_GET_FEEDBACK_STATUS)))
        .addMethod(
          getListFeedbackSchemasMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.ListFeedbackSchemasRequest,
              io.github.genaifeedback.v1.ListFeedbackSchemasResponse>(
                service, METHODID_LIST_FEEDBACK_SCHEMAS)))
        .addMethod(
          getGetFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.GetFeedbackRequest,
              io.github.genaifeedback.v1.GetFeedbackResponse>(
                service, METHODID_GET_FEEDBACK)))
        .addMethod(
          getListFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.ListFeedbackRequest,
              io.github.genaifeedback.v1.ListFeedbackResponse>(
                service, METHODID_LIST_FEEDBACK)))
        .addMethod(
          getCorrectFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.CorrectFeedbackRequest,
              io.github.genaifeedback.v1.CorrectFeedbackResponse>(
                service, METHODID_CORRECT_FEEDBACK)))
        .addMethod(
          getDeleteFeedbackMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.DeleteFeedbackRequest,
              io.github.genaifeedback.v1.DeleteFeedbackResponse>(
                service, METHODID_DELETE_FEEDBACK)))
        .addMethod(
          getEraseFeedbackBySourceMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.EraseFeedbackBySourceRequest,
              io.github.genaifeedback.v1.EraseFeedbackBySourceResponse>(
                service, METHODID_ERASE_FEEDBACK_BY_SOURCE)))
        .addMethod(
          getCreateFeedbackTokenMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.genaifeedback.v1.CreateFeedbackTokenRequest,
              io.github.genaifeedback.v1.CreateFeedbackTokenResponse>(
                service, METHODID_CREATE_FEEDBACK_TOKEN)))
        .build();
  }

  private static abstract class FeedbackServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    FeedbackServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.github.genaifeedback.v1.FeedbackProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("FeedbackService");
    }
  }

  private static final class FeedbackServiceFileDescriptorSupplier
      extends FeedbackServiceBaseDescriptorSupplier {
    FeedbackServiceFileDescriptorSupplier() {}
  }

  private static final class FeedbackServiceMethodDescriptorSupplier
      extends FeedbackServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    FeedbackServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (FeedbackServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new FeedbackServiceFileDescriptorSupplier())
              .addMethod(getSubmitFeedbackMethod())
              .addMethod(getSubmitRatingsMethod())
              .addMethod(getGetFeedbackStatusMethod())
              .addMethod(getListFeedbackSchemasMethod())
              .addMethod(getGetFeedbackMethod())
              .addMethod(getListFeedbackMethod())
              .addMethod(getCorrectFeedbackMethod())
              .addMethod(getDeleteFeedbackMethod())
              .addMethod(getEraseFeedbackBySourceMethod())
              .addMethod(getCreateFeedbackTokenMethod())
              .build();
        }
      }
    }
    return result;
  }
}
