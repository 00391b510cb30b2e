"""The contract's request limits, in one place: conversion checks requests against them and the
schemas cap texts with them. tests/test_limits.py holds each one against the number the .proto
comment states, so the contract and the code cannot drift apart."""

from mlflow.tracing import constant as mlflow_tracing

KIB = 1024

# ChatService
MAX_MESSAGE_BYTES = 32 * KIB  # a message and each history turn
MAX_HISTORY_TURNS = 100
MAX_TOKENS_RANGE = (1, 8192)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_USER_OR_SESSION_CHARS = mlflow_tracing.MAX_CHARS_IN_TRACE_INFO_METADATA  # MLflow refuses the whole trace beyond it

# Shared by every service
MAX_CLIENT_REQUEST_ID_CHARS = 128
MAX_ENTRIES = 20  # tags, metadata, ratings
MAX_KEY_CHARS = 100
MAX_ENTRY_VALUE_BYTES = KIB

# FeedbackService
MAX_FEEDBACK_NAME_CHARS = 64
MAX_STRING_VALUE_BYTES = 8 * KIB
MAX_JSON_VALUE_BYTES = 64 * KIB
MAX_JSON_DEPTH = 16  # objects and lists inside each other
MAX_RATIONALE_BYTES = 16 * KIB
MAX_SOURCE_ID_CHARS = 250  # MLflow's column size
MAX_REQUEST_ID_CHARS = 128
RATING_RANGE = (1, 5)
MAX_FEEDBACK_TOKEN_CHARS = 4096  # ours are far shorter: a few hundred characters
MAX_CLIENT_CLOCK_AHEAD_SECONDS = 300
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000

# FeedbackAnalyticsService
MAX_RANGE_DAYS = 366
MAX_BUCKETS = 1000
MAX_TAG_FILTERS = 10
MAX_GROUP_VALUES = 50
MAX_FILTER_VALUE_CHARS = 250  # MLflow's tag key and metadata columns
MAX_NAMES = 20
LOOKBACK_HOURS = (1, 168)
DEFAULT_LOOKBACK_HOURS = 24
