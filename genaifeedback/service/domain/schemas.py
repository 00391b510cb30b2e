"""Feedback schemas: what each feedback name may hold, checked in the call, before journaling.

A schema names a kind of value (boolean; number with an optional range, maybe integers only; one
label of a category; free text up to a length), whether a rationale is allowed, required or
forbidden, which source types may give it, and a version. Built-ins cover the guide's names; the
operator's TOML file (`--feedback-schemas-file`) adds or replaces schemas and says whether names
without one are accepted:

    unknown_names = "accept"        # or "refuse"; default "accept"

    [feedback.user_rating]
    type = "number"                 # boolean | number | category | text
    min = 1
    max = 5
    integer = true
    version = 2
    rationale = "allowed"           # allowed | required | forbidden
    sources = ["HUMAN"]             # HUMAN, LLM_JUDGE, CODE; default all three

A name without a schema, when accepted, is typed by its first value on this replica: the kind
(boolean, number, text, structured) is remembered in memory, and later values under that name must
be of the same kind. That memory is per replica and lost on restart; declare a name in the file to
have it checked the same everywhere.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from genaifeedback.service.domain.limits import MAX_STRING_VALUE_BYTES
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

logger = logging.getLogger(__name__)

Kind = Literal["boolean", "number", "category", "text"]
RationaleRule = Literal["allowed", "required", "forbidden"]
SourceTypeName = Literal["HUMAN", "LLM_JUDGE", "CODE"]
SOURCE_TYPES: tuple[SourceTypeName, ...] = ("HUMAN", "LLM_JUDGE", "CODE")
KINDS: tuple[Kind, ...] = ("boolean", "number", "category", "text")
RATIONALE_RULES: tuple[RationaleRule, ...] = ("allowed", "required", "forbidden")

# Metadata keys the service writes on each assessment; callers may not use the prefix.
RESERVED_METADATA_PREFIX = "genaifeedback."
SCHEMA_KEY = RESERVED_METADATA_PREFIX + "schema"
SCHEMA_VERSION_KEY = RESERVED_METADATA_PREFIX + "schema_version"
NORMALIZED_KEY = RESERVED_METADATA_PREFIX + "normalized"

MAX_TEXT_CHARS = MAX_STRING_VALUE_BYTES  # a text schema's longest: the contract's string_value limit
MAX_LABELS = 100
MAX_REMEMBERED_NAMES = 10_000  # names typed by their first value, per replica


@dataclass(frozen=True)
class FeedbackSchema:
    name: str
    kind: Kind
    version: int = 1
    description: str = ""
    min: float | None = None  # number
    max: float | None = None  # number
    integer: bool = False  # number
    labels: tuple[str, ...] = ()  # category
    max_length: int = MAX_TEXT_CHARS  # text, in characters
    rationale: RationaleRule = "allowed"
    sources: tuple[str, ...] = SOURCE_TYPES
    built_in: bool = False

    def normalized(self, value: float) -> float | None:
        """The value scaled to 0-1 within the schema's range (None without a closed range)."""
        if self.kind != "number" or self.min is None or self.max is None or self.max == self.min:
            return None
        return (value - self.min) / (self.max - self.min)


def _rating(name: str, description: str) -> FeedbackSchema:
    return FeedbackSchema(name, "number", min=1, max=5, integer=True, description=description, built_in=True)


BUILT_INS: dict[str, FeedbackSchema] = {
    schema.name: schema
    for schema in (
        FeedbackSchema("user_feedback", "boolean", description="thumbs up (true) or down (false)", built_in=True),
        _rating("user_rating", "the user's overall rating, 1 (worst) to 5 (best)"),
        _rating("accuracy", "how correct the answer is, 1 to 5"),
        _rating("helpfulness", "how much the answer helped, 1 to 5"),
        _rating("relevance", "how well the answer addresses the question, 1 to 5"),
    )
}


@dataclass(frozen=True)
class Violation:
    field: str  # relative to the value's field: "value", "rationale", "source.type" or "name"
    description: str
    reason: Reason


@dataclass
class Schemas:
    """The schemas in force on this replica, and the kinds of undeclared names seen so far."""

    declared: dict[str, FeedbackSchema] = field(default_factory=lambda: dict(BUILT_INS))
    accept_unknown: bool = True
    _first_kinds: dict[str, str] = field(default_factory=dict)
    _full: bool = False

    def listed(self) -> list[FeedbackSchema]:
        return [self.declared[name] for name in sorted(self.declared)]

    def check(self, name: str, value: Any, rationale: str, source_type: str) -> list[Violation]:
        """Every way this feedback breaks its name's schema (empty: it fits)."""
        schema = self.declared.get(name)
        if schema is None:
            return self._check_undeclared(name, value)
        problems: list[Violation] = []
        problems += _check_value(schema, value)
        if schema.rationale == "required" and not rationale:
            problems.append(Violation("rationale", f"`{name}` requires a rationale", Reason.REQUIRED))
        elif schema.rationale == "forbidden" and rationale:
            problems.append(Violation("rationale", f"`{name}` takes no rationale", Reason.SCHEMA_MISMATCH))
        if source_type not in schema.sources:
            allowed = ", ".join(schema.sources)
            problems.append(Violation("source.type", f"`{name}` may only come from {allowed}", Reason.SCHEMA_MISMATCH))
        return problems

    def _check_undeclared(self, name: str, value: Any) -> list[Violation]:
        if not self.accept_unknown:
            refused = f"`{name}` has no feedback schema, and this server accepts no others"
            return [Violation("name", refused, Reason.SCHEMA_MISMATCH)]
        first = self._first_kinds.get(name)
        if first is not None and first != _kind_of(value):
            return [
                Violation(
                    "value",
                    f"`{name}` has no schema and was first given {_KIND_WORDS[first]} here: "
                    f"its values must stay of that kind, not {_KIND_WORDS[_kind_of(value)]}",
                    Reason.SCHEMA_MISMATCH,
                )
            ]
        return []

    def remember(self, name: str, value: Any) -> None:
        """Type an undeclared name by its first value (call once the whole request is valid)."""
        if name in self.declared or name in self._first_kinds:
            return
        if len(self._first_kinds) >= MAX_REMEMBERED_NAMES:
            if not self._full:
                self._full = True
                logger.warning("%d undeclared feedback names typed; further ones are not typed", MAX_REMEMBERED_NAMES)
            return
        self._first_kinds[name] = _kind_of(value)

    def metadata(self, name: str, value: Any) -> dict[str, str]:
        """What the service adds to the assessment's metadata: the schema, and a number's 0-1 score."""
        schema = self.declared.get(name)
        if schema is None:
            return {}
        added = {SCHEMA_KEY: schema.name, SCHEMA_VERSION_KEY: str(schema.version)}
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            normalized = schema.normalized(float(value))
            if normalized is not None:
                added[NORMALIZED_KEY] = repr(round(normalized, 6))
        return added


def callers_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """The metadata a caller gave, without what the service added (which a schema's new version changes)."""
    return {k: v for k, v in metadata.items() if not k.startswith(RESERVED_METADATA_PREFIX)}


_KIND_WORDS = {"boolean": "a boolean", "number": "a number", "text": "a text", "structured": "a structured value"}


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "structured"


def _check_value(schema: FeedbackSchema, value: Any) -> list[Violation]:
    expected = {
        "boolean": "a boolean (bool_value)",
        "number": "a number",
        "category": "one of its labels (string_value)",
        "text": "a text (string_value)",
    }[schema.kind]
    kind = _kind_of(value)
    wanted = {"boolean": "boolean", "number": "number", "category": "text", "text": "text"}[schema.kind]
    if kind != wanted:
        return _value_problem(f"`{schema.name}` takes {expected}, not {_KIND_WORDS[kind]}")
    if schema.kind == "number":
        if schema.integer and not float(value).is_integer():
            return _value_problem(f"`{schema.name}` takes whole numbers only, not {value:g}")
        if (schema.min is not None and value < schema.min) or (schema.max is not None and value > schema.max):
            return _value_problem(f"`{schema.name}` must be {_range(schema)}, not {value:g}", Reason.OUT_OF_RANGE)
    if schema.kind == "category" and value not in schema.labels:
        return _value_problem(f"`{schema.name}` must be one of: {', '.join(schema.labels)}")
    if schema.kind == "text" and len(value) > schema.max_length:
        return _value_problem(f"`{schema.name}` must be at most {schema.max_length} characters", Reason.TOO_LONG)
    return []


def _value_problem(description: str, reason: Reason = Reason.SCHEMA_MISMATCH) -> list[Violation]:
    return [Violation("value", description, reason)]


def _range(schema: FeedbackSchema) -> str:
    if schema.min is not None and schema.max is not None:
        return f"from {schema.min:g} to {schema.max:g}"
    return f"at least {schema.min:g}" if schema.min is not None else f"at most {schema.max:g}"
