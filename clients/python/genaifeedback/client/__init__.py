"""A small synchronous Python client for the feedback service: stream chats, send feedback.

with FeedbackClient("127.0.0.1:50051") as client:
    with client.chat("What is MLflow?") as stream:
        for text in stream:
            print(text, end="", flush=True)
    client.thumbs_up(trace_id=stream.trace_id)
"""

from genaifeedback.client.client import (
    SERVICE_CONFIG,
    ChatResult,
    ChatStream,
    DeleteResult,
    EraseProgress,
    ErrorReason,
    FeedbackClient,
    FeedbackRecord,
    FeedbackResult,
    FeedbackSchema,
    FeedbackSchemas,
    FeedbackServiceError,
    FeedbackState,
    FeedbackStatus,
    FeedbackToken,
    FeedbackValue,
    FieldViolation,
    FieldViolationReason,
    RatingsResult,
    Usage,
    channel_options,
    create_channel,
    method_timeout,
)

__all__ = [
    "SERVICE_CONFIG",
    "ChatResult",
    "ChatStream",
    "DeleteResult",
    "EraseProgress",
    "ErrorReason",
    "FeedbackClient",
    "FeedbackRecord",
    "FeedbackResult",
    "FeedbackSchema",
    "FeedbackSchemas",
    "FeedbackServiceError",
    "FeedbackState",
    "FeedbackStatus",
    "FeedbackToken",
    "FeedbackValue",
    "FieldViolation",
    "FieldViolationReason",
    "RatingsResult",
    "Usage",
    "channel_options",
    "create_channel",
    "method_timeout",
]
