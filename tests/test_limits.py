"""The request limits in domain/limits.py against the numbers the .proto comments promise callers:
each limit is read out of the comment above its field, so changing either side alone fails here."""

import re
from functools import cache
from pathlib import Path

import pytest

from genaifeedback.service.domain import limits

PROTOS = Path(__file__).parent.parent / "protos" / "genaifeedback" / "v1"
UNITS = {"": 1, "KiB": 1024, "minute": 60}


@cache
def field_comments(proto: str) -> dict[str, str]:
    """`Message.field` -> the comment lines right above the field, joined (nested messages too)."""
    comments: dict[str, str] = {}
    messages: list[str | None] = []  # one entry per open brace: the message it opens, or None
    pending: list[str] = []
    for line in (PROTOS / proto).read_text().splitlines():
        text = line.strip()
        if text.startswith("//"):
            pending.append(text.removeprefix("//").strip())
            continue
        opened = re.match(r"(message|oneof|enum|service)\s+(\w+)\s*\{", text)
        field = re.match(r"(?:optional\s+|repeated\s+)?[\w.<>, ]+?\s+(\w+)\s*=\s*\d+\s*;", text)
        if opened:
            messages.append(opened.group(2) if opened.group(1) == "message" else None)
        elif field and messages:
            owner = next(name for name in reversed(messages) if name)
            comments[f"{owner}.{field.group(1)}"] = " ".join(pending)
        elif text.startswith("}"):
            messages.pop()
        pending = []
    return comments


# (proto file, Message.field, the comment's wording with {} where the number stands, the limit: its
# name in limits.py, maybe an index into a (low, high) range and the unit the comment counts in)
STATED = [
    ("chat.proto", "ChatRequest.message", "at most {} KiB of UTF-8", "MAX_MESSAGE_BYTES/KiB"),
    ("chat.proto", "ChatMessage.content", "at most {} KiB of UTF-8", "MAX_MESSAGE_BYTES/KiB"),
    ("chat.proto", "ChatRequest.history", "At most {} turns", "MAX_HISTORY_TURNS"),
    ("chat.proto", "ChatRequest.client_request_id", "at most {} characters", "MAX_CLIENT_REQUEST_ID_CHARS"),
    ("chat.proto", "ChatRequest.user_id", "at most {} characters", "MAX_USER_OR_SESSION_CHARS"),
    ("chat.proto", "ChatRequest.session_id", "at most {} characters", "MAX_USER_OR_SESSION_CHARS"),
    ("chat.proto", "ChatRequest.tags", "at most {};", "MAX_ENTRIES"),
    ("chat.proto", "ChatRequest.tags", "keys at most {} characters", "MAX_KEY_CHARS"),
    ("chat.proto", "ChatRequest.tags", "values at most {} KiB", "MAX_ENTRY_VALUE_BYTES/KiB"),
    ("chat.proto", "GenerationOptions.max_tokens", "({} to", "MAX_TOKENS_RANGE[0]"),
    ("chat.proto", "GenerationOptions.max_tokens", "to {})", "MAX_TOKENS_RANGE[1]"),
    ("chat.proto", "GenerationOptions.temperature", "temperature, {} to", "TEMPERATURE_RANGE[0]"),
    ("chat.proto", "GenerationOptions.temperature", "to {}.", "TEMPERATURE_RANGE[1]"),
    ("feedback.proto", "SubmitFeedbackRequest.client_request_id", "at most {} characters",
     "MAX_CLIENT_REQUEST_ID_CHARS"),
    ("feedback.proto", "SubmitFeedbackRequest.name", "at most {} characters", "MAX_FEEDBACK_NAME_CHARS"),
    ("feedback.proto", "SubmitFeedbackRequest.string_value", "at most {} KiB", "MAX_STRING_VALUE_BYTES/KiB"),
    ("feedback.proto", "SubmitFeedbackRequest.json_value", "at most {} KiB as JSON",
     "MAX_JSON_VALUE_BYTES/KiB"),
    ("feedback.proto", "SubmitFeedbackRequest.json_value", "nested at most {} deep", "MAX_JSON_DEPTH"),
    ("feedback.proto", "SubmitFeedbackRequest.rationale", "At most {} KiB", "MAX_RATIONALE_BYTES/KiB"),
    ("feedback.proto", "SubmitFeedbackRequest.metadata", "at most {} entries", "MAX_ENTRIES"),
    ("feedback.proto", "SubmitFeedbackRequest.metadata", "1 to {} characters", "MAX_KEY_CHARS"),
    ("feedback.proto", "SubmitFeedbackRequest.metadata", "values at most {} KiB",
     "MAX_ENTRY_VALUE_BYTES/KiB"),
    ("feedback.proto", "SubmitFeedbackRequest.request_id", "at most {} characters", "MAX_REQUEST_ID_CHARS"),
    ("feedback.proto", "SubmitFeedbackRequest.client_time", "At most {} minutes",
     "MAX_CLIENT_CLOCK_AHEAD_SECONDS/minute"),
    ("feedback.proto", "FeedbackSource.id", "at most {} characters", "MAX_SOURCE_ID_CHARS"),
    ("feedback.proto", "SubmitRatingsRequest.ratings", "1 to {} entries", "MAX_ENTRIES"),
    ("feedback.proto", "SubmitRatingsRequest.rationale", "At most {} KiB", "MAX_RATIONALE_BYTES/KiB"),
    ("feedback.proto", "DimensionRating.score", "integer from {} (worst)", "RATING_RANGE[0]"),
    ("feedback.proto", "DimensionRating.score", "to {} (best)", "RATING_RANGE[1]"),
    ("feedback.proto", "CorrectFeedbackRequest.rationale", "at most {} KiB", "MAX_RATIONALE_BYTES/KiB"),
    ("feedback.proto", "ListFeedbackRequest.page_size", "1 to {},", "MAX_PAGE_SIZE"),
    ("feedback.proto", "SubmitFeedbackRequest.feedback_token", "at most {} characters", "MAX_FEEDBACK_TOKEN_CHARS"),
    ("feedback.proto", "CreateFeedbackTokenRequest.user_id", "at most {} characters", "MAX_USER_OR_SESSION_CHARS"),
    ("feedback.proto", "CreateFeedbackTokenRequest.names", "at most {},", "MAX_NAMES"),
    ("feedback.proto", "ListFeedbackRequest.page_size", "default {}.", "DEFAULT_PAGE_SIZE"),
    ("analytics.proto", "GetFeedbackSummaryRequest.end_time", "at most {} days", "MAX_RANGE_DAYS"),
    ("analytics.proto", "GetFeedbackSummaryRequest.trace_tags", "At most {};", "MAX_TAG_FILTERS"),
    ("analytics.proto", "GetFeedbackSummaryRequest.trace_tags", "at most {} characters",
     "MAX_FILTER_VALUE_CHARS"),
    ("analytics.proto", "GetFeedbackSummaryRequest.interval", "At most {} buckets", "MAX_BUCKETS"),
    ("analytics.proto", "GetFeedbackSummaryRequest.group_values", "(at most {})", "MAX_GROUP_VALUES"),
    ("analytics.proto", "ExportFeedbackRequest.names", "(at most {})", "MAX_NAMES"),
    ("analytics.proto", "WatchFeedbackRequest.names", "(at most {})", "MAX_NAMES"),
    ("analytics.proto", "WatchFeedbackRequest.lookback_hours", "({} to", "LOOKBACK_HOURS[0]"),
    ("analytics.proto", "WatchFeedbackRequest.lookback_hours", "to {};", "LOOKBACK_HOURS[1]"),
    ("analytics.proto", "WatchFeedbackRequest.lookback_hours", "default {})", "DEFAULT_LOOKBACK_HOURS"),
]  # fmt: skip


def value_of(limit: str) -> float:
    named, _, unit = limit.partition("/")
    name, index = re.fullmatch(r"(\w+)(?:\[(\d)\])?", named).groups()
    value = getattr(limits, name)
    return (value if index is None else value[int(index)]) / UNITS[unit]


@pytest.mark.parametrize(("proto", "field", "wording", "limit"), STATED, ids=[f"{s[1]}:{s[2]}" for s in STATED])
def test_each_limit_is_the_number_its_proto_comment_states(proto, field, wording, limit):
    comment = field_comments(proto)[field]
    pattern = re.escape(wording).replace(r"\{\}", r"(\d+(?:\.\d+)?)")
    stated = re.search(pattern, comment)
    assert stated, f"{proto} {field}: no `{wording}` in its comment: {comment!r}"
    assert float(stated.group(1)) == value_of(limit), f"{proto} {field} says {stated.group(0)!r}, {limit} differs"


def test_every_limit_is_held_against_the_contract():
    named = {name for name in vars(limits) if name.isupper() and name != "KIB"}
    checked = {re.match(r"\w+", limit).group(0) for *_, limit in STATED}
    assert named == checked, named ^ checked
