import datetime

from genaifeedback.v1 import feedback_pb2 as _feedback_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SummaryInterval(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUMMARY_INTERVAL_UNSPECIFIED: _ClassVar[SummaryInterval]
    SUMMARY_INTERVAL_HOUR: _ClassVar[SummaryInterval]
    SUMMARY_INTERVAL_DAY: _ClassVar[SummaryInterval]

class GroupDimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_DIMENSION_UNSPECIFIED: _ClassVar[GroupDimension]
    GROUP_DIMENSION_TRACE_TAG: _ClassVar[GroupDimension]
    GROUP_DIMENSION_USER: _ClassVar[GroupDimension]
    GROUP_DIMENSION_SESSION: _ClassVar[GroupDimension]
SUMMARY_INTERVAL_UNSPECIFIED: SummaryInterval
SUMMARY_INTERVAL_HOUR: SummaryInterval
SUMMARY_INTERVAL_DAY: SummaryInterval
GROUP_DIMENSION_UNSPECIFIED: GroupDimension
GROUP_DIMENSION_TRACE_TAG: GroupDimension
GROUP_DIMENSION_USER: GroupDimension
GROUP_DIMENSION_SESSION: GroupDimension

class GetFeedbackSummaryRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "trace_tags", "user_id", "session_id", "source_type", "interval", "group_by", "group_by_tag", "group_values", "count_traces_with_feedback")
    class TraceTagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_TAGS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_TAG_FIELD_NUMBER: _ClassVar[int]
    GROUP_VALUES_FIELD_NUMBER: _ClassVar[int]
    COUNT_TRACES_WITH_FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    trace_tags: _containers.ScalarMap[str, str]
    user_id: str
    session_id: str
    source_type: _feedback_pb2.SourceType
    interval: SummaryInterval
    group_by: GroupDimension
    group_by_tag: str
    group_values: _containers.RepeatedScalarFieldContainer[str]
    count_traces_with_feedback: bool
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_tags: _Optional[_Mapping[str, str]] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., source_type: _Optional[_Union[_feedback_pb2.SourceType, str]] = ..., interval: _Optional[_Union[SummaryInterval, str]] = ..., group_by: _Optional[_Union[GroupDimension, str]] = ..., group_by_tag: _Optional[str] = ..., group_values: _Optional[_Iterable[str]] = ..., count_traces_with_feedback: _Optional[bool] = ...) -> None: ...

class GetFeedbackSummaryResponse(_message.Message):
    __slots__ = ("start_time", "end_time", "total", "buckets", "groups", "counting")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    COUNTING_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    total: FeedbackSummary
    buckets: _containers.RepeatedCompositeFieldContainer[SummaryBucket]
    groups: _containers.RepeatedCompositeFieldContainer[SummaryGroup]
    counting: SummaryCounting
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total: _Optional[_Union[FeedbackSummary, _Mapping]] = ..., buckets: _Optional[_Iterable[_Union[SummaryBucket, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[SummaryGroup, _Mapping]]] = ..., counting: _Optional[_Union[SummaryCounting, _Mapping]] = ...) -> None: ...

class SummaryBucket(_message.Message):
    __slots__ = ("start_time", "summary")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    summary: FeedbackSummary
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[_Union[FeedbackSummary, _Mapping]] = ...) -> None: ...

class SummaryGroup(_message.Message):
    __slots__ = ("value", "summary", "buckets")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    value: str
    summary: FeedbackSummary
    buckets: _containers.RepeatedCompositeFieldContainer[SummaryBucket]
    def __init__(self, value: _Optional[str] = ..., summary: _Optional[_Union[FeedbackSummary, _Mapping]] = ..., buckets: _Optional[_Iterable[_Union[SummaryBucket, _Mapping]]] = ...) -> None: ...

class SummaryCounting(_message.Message):
    __slots__ = ("current_votes_only", "aggregated_by_mlflow", "traces_with_feedback_counted", "trace_infos_read", "description")
    CURRENT_VOTES_ONLY_FIELD_NUMBER: _ClassVar[int]
    AGGREGATED_BY_MLFLOW_FIELD_NUMBER: _ClassVar[int]
    TRACES_WITH_FEEDBACK_COUNTED_FIELD_NUMBER: _ClassVar[int]
    TRACE_INFOS_READ_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    current_votes_only: bool
    aggregated_by_mlflow: bool
    traces_with_feedback_counted: bool
    trace_infos_read: int
    description: str
    def __init__(self, current_votes_only: _Optional[bool] = ..., aggregated_by_mlflow: _Optional[bool] = ..., traces_with_feedback_counted: _Optional[bool] = ..., trace_infos_read: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class FeedbackSummary(_message.Message):
    __slots__ = ("trace_count", "traces_with_feedback", "feedback_rate", "booleans", "numbers", "categories")
    TRACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRACES_WITH_FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_RATE_FIELD_NUMBER: _ClassVar[int]
    BOOLEANS_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    trace_count: int
    traces_with_feedback: int
    feedback_rate: float
    booleans: _containers.RepeatedCompositeFieldContainer[BooleanFeedbackSummary]
    numbers: _containers.RepeatedCompositeFieldContainer[NumericFeedbackSummary]
    categories: _containers.RepeatedCompositeFieldContainer[CategoryFeedbackSummary]
    def __init__(self, trace_count: _Optional[int] = ..., traces_with_feedback: _Optional[int] = ..., feedback_rate: _Optional[float] = ..., booleans: _Optional[_Iterable[_Union[BooleanFeedbackSummary, _Mapping]]] = ..., numbers: _Optional[_Iterable[_Union[NumericFeedbackSummary, _Mapping]]] = ..., categories: _Optional[_Iterable[_Union[CategoryFeedbackSummary, _Mapping]]] = ...) -> None: ...

class BooleanFeedbackSummary(_message.Message):
    __slots__ = ("name", "positive", "negative", "positive_rate", "positive_rate_low", "positive_rate_high")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_RATE_LOW_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_RATE_HIGH_FIELD_NUMBER: _ClassVar[int]
    name: str
    positive: int
    negative: int
    positive_rate: float
    positive_rate_low: float
    positive_rate_high: float
    def __init__(self, name: _Optional[str] = ..., positive: _Optional[int] = ..., negative: _Optional[int] = ..., positive_rate: _Optional[float] = ..., positive_rate_low: _Optional[float] = ..., positive_rate_high: _Optional[float] = ...) -> None: ...

class NumericFeedbackSummary(_message.Message):
    __slots__ = ("name", "count", "mean", "normalized_mean", "distribution")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_MEAN_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    count: int
    mean: float
    normalized_mean: float
    distribution: _containers.RepeatedCompositeFieldContainer[ScoreCount]
    def __init__(self, name: _Optional[str] = ..., count: _Optional[int] = ..., mean: _Optional[float] = ..., normalized_mean: _Optional[float] = ..., distribution: _Optional[_Iterable[_Union[ScoreCount, _Mapping]]] = ...) -> None: ...

class ScoreCount(_message.Message):
    __slots__ = ("score", "count")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    score: float
    count: int
    def __init__(self, score: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class CategoryFeedbackSummary(_message.Message):
    __slots__ = ("name", "labels")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    name: str
    labels: _containers.RepeatedCompositeFieldContainer[LabelCount]
    def __init__(self, name: _Optional[str] = ..., labels: _Optional[_Iterable[_Union[LabelCount, _Mapping]]] = ...) -> None: ...

class LabelCount(_message.Message):
    __slots__ = ("label", "count")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    label: str
    count: int
    def __init__(self, label: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ExportFeedbackRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "trace_tags", "user_id", "session_id", "source_type", "names", "only_with_feedback", "include_history", "page_token")
    class TraceTagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TRACE_TAGS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    ONLY_WITH_FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    trace_tags: _containers.ScalarMap[str, str]
    user_id: str
    session_id: str
    source_type: _feedback_pb2.SourceType
    names: _containers.RepeatedScalarFieldContainer[str]
    only_with_feedback: bool
    include_history: bool
    page_token: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_tags: _Optional[_Mapping[str, str]] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., source_type: _Optional[_Union[_feedback_pb2.SourceType, str]] = ..., names: _Optional[_Iterable[str]] = ..., only_with_feedback: _Optional[bool] = ..., include_history: _Optional[bool] = ..., page_token: _Optional[str] = ...) -> None: ...

class ExportFeedbackResponse(_message.Message):
    __slots__ = ("trace", "page_token")
    TRACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trace: ExportedTrace
    page_token: str
    def __init__(self, trace: _Optional[_Union[ExportedTrace, _Mapping]] = ..., page_token: _Optional[str] = ...) -> None: ...

class ExportedTrace(_message.Message):
    __slots__ = ("trace_id", "start_time", "user_id", "session_id", "tags", "request_preview", "response_preview", "feedback", "history")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    start_time: _timestamp_pb2.Timestamp
    user_id: str
    session_id: str
    tags: _containers.ScalarMap[str, str]
    request_preview: str
    response_preview: str
    feedback: _containers.RepeatedCompositeFieldContainer[ExportedFeedback]
    history: _containers.RepeatedCompositeFieldContainer[ExportedFeedback]
    def __init__(self, trace_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., request_preview: _Optional[str] = ..., response_preview: _Optional[str] = ..., feedback: _Optional[_Iterable[_Union[ExportedFeedback, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[ExportedFeedback, _Mapping]]] = ...) -> None: ...

class ExportedFeedback(_message.Message):
    __slots__ = ("assessment_id", "trace_id", "name", "value", "source", "rationale", "create_time", "metadata", "valid", "overrides", "span_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    trace_id: str
    name: str
    value: _struct_pb2.Value
    source: _feedback_pb2.FeedbackSource
    rationale: str
    create_time: _timestamp_pb2.Timestamp
    metadata: _containers.ScalarMap[str, str]
    valid: bool
    overrides: str
    span_id: str
    def __init__(self, assessment_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., source: _Optional[_Union[_feedback_pb2.FeedbackSource, _Mapping]] = ..., rationale: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., valid: _Optional[bool] = ..., overrides: _Optional[str] = ..., span_id: _Optional[str] = ...) -> None: ...

class WatchFeedbackRequest(_message.Message):
    __slots__ = ("cursor", "lookback_hours", "source_type", "names")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LOOKBACK_HOURS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    lookback_hours: int
    source_type: _feedback_pb2.SourceType
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cursor: _Optional[str] = ..., lookback_hours: _Optional[int] = ..., source_type: _Optional[_Union[_feedback_pb2.SourceType, str]] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchFeedbackResponse(_message.Message):
    __slots__ = ("feedback", "cursor")
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    feedback: ExportedFeedback
    cursor: str
    def __init__(self, feedback: _Optional[_Union[ExportedFeedback, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...
