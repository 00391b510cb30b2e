import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeedbackState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEEDBACK_STATE_UNSPECIFIED: _ClassVar[FeedbackState]
    FEEDBACK_STATE_PENDING: _ClassVar[FeedbackState]
    FEEDBACK_STATE_STORED: _ClassVar[FeedbackState]
    FEEDBACK_STATE_EXPIRED: _ClassVar[FeedbackState]
    FEEDBACK_STATE_REJECTED: _ClassVar[FeedbackState]
    FEEDBACK_STATE_DELETED: _ClassVar[FeedbackState]

class SourceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_TYPE_UNSPECIFIED: _ClassVar[SourceType]
    SOURCE_TYPE_HUMAN: _ClassVar[SourceType]
    SOURCE_TYPE_LLM_JUDGE: _ClassVar[SourceType]
    SOURCE_TYPE_CODE: _ClassVar[SourceType]

class RationaleRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RATIONALE_RULE_UNSPECIFIED: _ClassVar[RationaleRule]
    RATIONALE_RULE_ALLOWED: _ClassVar[RationaleRule]
    RATIONALE_RULE_REQUIRED: _ClassVar[RationaleRule]
    RATIONALE_RULE_FORBIDDEN: _ClassVar[RationaleRule]
FEEDBACK_STATE_UNSPECIFIED: FeedbackState
FEEDBACK_STATE_PENDING: FeedbackState
FEEDBACK_STATE_STORED: FeedbackState
FEEDBACK_STATE_EXPIRED: FeedbackState
FEEDBACK_STATE_REJECTED: FeedbackState
FEEDBACK_STATE_DELETED: FeedbackState
SOURCE_TYPE_UNSPECIFIED: SourceType
SOURCE_TYPE_HUMAN: SourceType
SOURCE_TYPE_LLM_JUDGE: SourceType
SOURCE_TYPE_CODE: SourceType
RATIONALE_RULE_UNSPECIFIED: RationaleRule
RATIONALE_RULE_ALLOWED: RationaleRule
RATIONALE_RULE_REQUIRED: RationaleRule
RATIONALE_RULE_FORBIDDEN: RationaleRule

class SubmitFeedbackRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "span_id", "name", "bool_value", "number_value", "string_value", "json_value", "source", "rationale", "metadata", "request_id", "wait_until_stored", "client_time", "feedback_token")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    JSON_VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_UNTIL_STORED_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    span_id: str
    name: str
    bool_value: bool
    number_value: float
    string_value: str
    json_value: _struct_pb2.Value
    source: FeedbackSource
    rationale: str
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    wait_until_stored: bool
    client_time: _timestamp_pb2.Timestamp
    feedback_token: str
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., span_id: _Optional[str] = ..., name: _Optional[str] = ..., bool_value: _Optional[bool] = ..., number_value: _Optional[float] = ..., string_value: _Optional[str] = ..., json_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., source: _Optional[_Union[FeedbackSource, _Mapping]] = ..., rationale: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ..., wait_until_stored: _Optional[bool] = ..., client_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., feedback_token: _Optional[str] = ...) -> None: ...

class SubmitFeedbackResponse(_message.Message):
    __slots__ = ("assessment_id", "trace_id", "state")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    trace_id: str
    state: FeedbackState
    def __init__(self, assessment_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., state: _Optional[_Union[FeedbackState, str]] = ...) -> None: ...

class FeedbackSource(_message.Message):
    __slots__ = ("type", "id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    type: SourceType
    id: str
    def __init__(self, type: _Optional[_Union[SourceType, str]] = ..., id: _Optional[str] = ...) -> None: ...

class SubmitRatingsRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "span_id", "ratings", "source", "rationale", "metadata", "request_id", "wait_until_stored", "client_time", "feedback_token")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_UNTIL_STORED_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    span_id: str
    ratings: _containers.RepeatedCompositeFieldContainer[DimensionRating]
    source: FeedbackSource
    rationale: str
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    wait_until_stored: bool
    client_time: _timestamp_pb2.Timestamp
    feedback_token: str
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., span_id: _Optional[str] = ..., ratings: _Optional[_Iterable[_Union[DimensionRating, _Mapping]]] = ..., source: _Optional[_Union[FeedbackSource, _Mapping]] = ..., rationale: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ..., wait_until_stored: _Optional[bool] = ..., client_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., feedback_token: _Optional[str] = ...) -> None: ...

class DimensionRating(_message.Message):
    __slots__ = ("name", "score")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    score: int
    def __init__(self, name: _Optional[str] = ..., score: _Optional[int] = ...) -> None: ...

class SubmitRatingsResponse(_message.Message):
    __slots__ = ("trace_id", "assessment_ids", "state")
    class AssessmentIdsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    assessment_ids: _containers.ScalarMap[str, str]
    state: FeedbackState
    def __init__(self, trace_id: _Optional[str] = ..., assessment_ids: _Optional[_Mapping[str, str]] = ..., state: _Optional[_Union[FeedbackState, str]] = ...) -> None: ...

class GetFeedbackStatusRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "assessment_id", "request_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    assessment_id: str
    request_id: str
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., assessment_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetFeedbackStatusResponse(_message.Message):
    __slots__ = ("state", "trace_id", "assessment_ids", "reason")
    class AssessmentIdsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    state: FeedbackState
    trace_id: str
    assessment_ids: _containers.ScalarMap[str, str]
    reason: str
    def __init__(self, state: _Optional[_Union[FeedbackState, str]] = ..., trace_id: _Optional[str] = ..., assessment_ids: _Optional[_Mapping[str, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ListFeedbackSchemasRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFeedbackSchemasResponse(_message.Message):
    __slots__ = ("schemas", "unknown_names_accepted")
    SCHEMAS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_NAMES_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    schemas: _containers.RepeatedCompositeFieldContainer[FeedbackSchema]
    unknown_names_accepted: bool
    def __init__(self, schemas: _Optional[_Iterable[_Union[FeedbackSchema, _Mapping]]] = ..., unknown_names_accepted: _Optional[bool] = ...) -> None: ...

class FeedbackSchema(_message.Message):
    __slots__ = ("name", "version", "description", "boolean", "number", "category", "text", "rationale", "source_types", "built_in")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPES_FIELD_NUMBER: _ClassVar[int]
    BUILT_IN_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    description: str
    boolean: BooleanType
    number: NumberType
    category: CategoryType
    text: TextType
    rationale: RationaleRule
    source_types: _containers.RepeatedScalarFieldContainer[SourceType]
    built_in: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., description: _Optional[str] = ..., boolean: _Optional[_Union[BooleanType, _Mapping]] = ..., number: _Optional[_Union[NumberType, _Mapping]] = ..., category: _Optional[_Union[CategoryType, _Mapping]] = ..., text: _Optional[_Union[TextType, _Mapping]] = ..., rationale: _Optional[_Union[RationaleRule, str]] = ..., source_types: _Optional[_Iterable[_Union[SourceType, str]]] = ..., built_in: _Optional[bool] = ...) -> None: ...

class BooleanType(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NumberType(_message.Message):
    __slots__ = ("min", "max", "integer_only")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    INTEGER_ONLY_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    integer_only: bool
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ..., integer_only: _Optional[bool] = ...) -> None: ...

class CategoryType(_message.Message):
    __slots__ = ("labels",)
    LABELS_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, labels: _Optional[_Iterable[str]] = ...) -> None: ...

class TextType(_message.Message):
    __slots__ = ("max_length",)
    MAX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    max_length: int
    def __init__(self, max_length: _Optional[int] = ...) -> None: ...

class GetFeedbackRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "assessment_id")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    assessment_id: str
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., assessment_id: _Optional[str] = ...) -> None: ...

class GetFeedbackResponse(_message.Message):
    __slots__ = ("feedback",)
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    feedback: FeedbackRecord
    def __init__(self, feedback: _Optional[_Union[FeedbackRecord, _Mapping]] = ...) -> None: ...

class FeedbackRecord(_message.Message):
    __slots__ = ("assessment_id", "trace_id", "span_id", "name", "bool_value", "number_value", "string_value", "json_value", "source", "rationale", "metadata", "create_time", "update_time", "current", "overrides", "overridden_by")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    JSON_VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_BY_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    trace_id: str
    span_id: str
    name: str
    bool_value: bool
    number_value: float
    string_value: str
    json_value: _struct_pb2.Value
    source: FeedbackSource
    rationale: str
    metadata: _containers.ScalarMap[str, str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    current: bool
    overrides: str
    overridden_by: str
    def __init__(self, assessment_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., span_id: _Optional[str] = ..., name: _Optional[str] = ..., bool_value: _Optional[bool] = ..., number_value: _Optional[float] = ..., string_value: _Optional[str] = ..., json_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., source: _Optional[_Union[FeedbackSource, _Mapping]] = ..., rationale: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current: _Optional[bool] = ..., overrides: _Optional[str] = ..., overridden_by: _Optional[str] = ...) -> None: ...

class ListFeedbackRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "source_id", "name", "start_time", "end_time", "include_history", "page_size", "page_token")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    source_id: str
    name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    include_history: bool
    page_size: int
    page_token: str
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., source_id: _Optional[str] = ..., name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., include_history: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFeedbackResponse(_message.Message):
    __slots__ = ("feedback", "next_page_token")
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feedback: _containers.RepeatedCompositeFieldContainer[FeedbackRecord]
    next_page_token: str
    def __init__(self, feedback: _Optional[_Iterable[_Union[FeedbackRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CorrectFeedbackRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "assessment_id", "bool_value", "number_value", "string_value", "json_value", "source", "rationale", "metadata", "request_id", "wait_until_stored")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    JSON_VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_UNTIL_STORED_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    assessment_id: str
    bool_value: bool
    number_value: float
    string_value: str
    json_value: _struct_pb2.Value
    source: FeedbackSource
    rationale: str
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    wait_until_stored: bool
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., assessment_id: _Optional[str] = ..., bool_value: _Optional[bool] = ..., number_value: _Optional[float] = ..., string_value: _Optional[str] = ..., json_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., source: _Optional[_Union[FeedbackSource, _Mapping]] = ..., rationale: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ..., wait_until_stored: _Optional[bool] = ...) -> None: ...

class CorrectFeedbackResponse(_message.Message):
    __slots__ = ("assessment_id", "trace_id", "state")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    trace_id: str
    state: FeedbackState
    def __init__(self, assessment_id: _Optional[str] = ..., trace_id: _Optional[str] = ..., state: _Optional[_Union[FeedbackState, str]] = ...) -> None: ...

class DeleteFeedbackRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "assessment_id", "all_on_trace")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ALL_ON_TRACE_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    assessment_id: str
    all_on_trace: bool
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., assessment_id: _Optional[str] = ..., all_on_trace: _Optional[bool] = ...) -> None: ...

class DeleteFeedbackResponse(_message.Message):
    __slots__ = ("trace_id", "deleted_assessment_ids")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    DELETED_ASSESSMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    deleted_assessment_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, trace_id: _Optional[str] = ..., deleted_assessment_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class EraseFeedbackBySourceRequest(_message.Message):
    __slots__ = ("source_id", "source_type")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    source_type: SourceType
    def __init__(self, source_id: _Optional[str] = ..., source_type: _Optional[_Union[SourceType, str]] = ...) -> None: ...

class EraseFeedbackBySourceResponse(_message.Message):
    __slots__ = ("traces_scanned", "feedback_deleted", "traces_changed", "done")
    TRACES_SCANNED_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_DELETED_FIELD_NUMBER: _ClassVar[int]
    TRACES_CHANGED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    traces_scanned: int
    feedback_deleted: int
    traces_changed: int
    done: bool
    def __init__(self, traces_scanned: _Optional[int] = ..., feedback_deleted: _Optional[int] = ..., traces_changed: _Optional[int] = ..., done: _Optional[bool] = ...) -> None: ...

class CreateFeedbackTokenRequest(_message.Message):
    __slots__ = ("trace_id", "client_request_id", "user_id", "names")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    client_request_id: str
    user_id: str
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, trace_id: _Optional[str] = ..., client_request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateFeedbackTokenResponse(_message.Message):
    __slots__ = ("feedback_token", "trace_id", "user_id", "names", "expire_time")
    FEEDBACK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    feedback_token: str
    trace_id: str
    user_id: str
    names: _containers.RepeatedScalarFieldContainer[str]
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, feedback_token: _Optional[str] = ..., trace_id: _Optional[str] = ..., user_id: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
