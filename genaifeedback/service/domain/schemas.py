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
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

logger = logging.getLogger(__name__)

Kind = Literal["boolean", "number", "category", "text"]
RationaleRule = Literal["allowed", "required", "forbidden"]
SOURCE_TYPES = ("HUMAN", "LLM_JUDGE", "CODE")
KINDS: tuple[Kind, ...] = ("boolean", "number", "category", "text")
RATIONALE_RULES: tuple[RationaleRule, ...] = ("allowed", "required", "forbidden")

# Metadata keys the service writes on each assessment; callers may not use the prefix.
RESERVED_METADATA_PREFIX = "genaifeedback."
SCHEMA_KEY = RESERVED_METADATA_PREFIX + "schema"
SCHEMA_VERSION_KEY = RESERVED_METADATA_PREFIX + "schema_version"
NORMALIZED_KEY = RESERVED_METADATA_PREFIX + "normalized"

MAX_TEXT_CHARS = 8 * 1024  # the contract's limit of a string_value (8 KiB)
MAX_LABELS = 100
MAX_REMEMBERED_NAMES = 10_000  # names typed by their first value, per replica


class SchemaFileError(ValueError):
    """The schema file cannot be used; the message says where and why."""


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


# --- the operator's file

_KEYS_BY_KIND = {
    "boolean": set(),
    "number": {"min", "max", "integer"},
    "category": {"labels"},
    "text": {"max_length"},
}
_COMMON_KEYS = {"type", "version", "description", "rationale", "sources"}


def load(path: Path | None, name_pattern: re.Pattern[str]) -> Schemas:
    """The built-ins, with the file's schemas over them. Raises SchemaFileError saying what is wrong."""
    if path is None:
        return Schemas()
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise SchemaFileError(f"feedback schemas file {path}: cannot read it: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SchemaFileError(f"feedback schemas file {path}: not valid TOML: {error}") from None
    problems: list[str] = []
    schemas = _parse(document, name_pattern, problems)
    if problems:
        raise SchemaFileError(f"feedback schemas file {path} is invalid:\n  " + "\n  ".join(problems))
    return schemas


def _parse(document: dict[str, Any], name_pattern: re.Pattern[str], problems: list[str]) -> Schemas:
    for key in sorted(set(document) - {"unknown_names", "feedback"}):
        problems.append(f"{key}: unknown setting (expected `unknown_names` and [feedback.NAME] tables)")
    unknown = document.get("unknown_names", "accept")
    if unknown not in ("accept", "refuse"):
        problems.append(f'unknown_names: must be "accept" or "refuse", not {unknown!r}')
    tables = document.get("feedback", {})
    if not isinstance(tables, dict):
        problems.append("feedback: must be tables, one per name: [feedback.NAME]")
        tables = {}
    declared = dict(BUILT_INS)
    for name, table in tables.items():
        where = f"[feedback.{name}]"
        if not name_pattern.fullmatch(name):
            problems.append(
                f"{where}: a feedback name starts with a letter and holds only letters, digits, `_` and `-`"
                " (no dots), at most 64 characters"
            )
            continue
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        schema = _schema(name, table, where, problems)
        if schema is not None:
            declared[name] = schema
    return Schemas(declared=declared, accept_unknown=unknown != "refuse")


def _schema(name: str, table: dict[str, Any], where: str, problems: list[str]) -> FeedbackSchema | None:
    before = len(problems)
    kind = table.get("type")
    if kind not in KINDS:
        problems.append(f"{where} type: must be one of {', '.join(KINDS)}, not {kind!r}")
        return None
    for key in sorted(set(table) - _COMMON_KEYS - _KEYS_BY_KIND[kind]):
        allowed = sorted(_COMMON_KEYS | _KEYS_BY_KIND[kind])
        problems.append(f"{where} {key}: not a setting of a {kind} schema (its settings: {', '.join(allowed)})")
    version = table.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2**31 - 1:
        problems.append(f"{where} version: must be a whole number from 1, not {version!r}")
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where} description: must be a string")
    rationale = table.get("rationale", "allowed")
    if rationale not in RATIONALE_RULES:
        problems.append(f"{where} rationale: must be one of {', '.join(RATIONALE_RULES)}, not {rationale!r}")
    sources = table.get("sources", list(SOURCE_TYPES))
    if not isinstance(sources, list) or not sources or any(s not in SOURCE_TYPES for s in sources):
        problems.append(f"{where} sources: must be a non-empty list of {', '.join(SOURCE_TYPES)}, not {sources!r}")
        sources = list(SOURCE_TYPES)
    fields: dict[str, Any] = {}
    if kind == "number":
        for bound in ("min", "max"):
            value = table.get(bound)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            ):
                problems.append(f"{where} {bound}: must be a finite number, not {value!r}")
            else:
                fields[bound] = None if value is None else float(value)
        integer = table.get("integer", False)
        if not isinstance(integer, bool):
            problems.append(f"{where} integer: must be true or false, not {integer!r}")
        fields["integer"] = integer is True
        low, high = fields.get("min"), fields.get("max")
        if low is not None and high is not None and low >= high:
            problems.append(f"{where}: min ({low:g}) must be below max ({high:g})")
    elif kind == "category":
        labels = table.get("labels")
        if (
            not isinstance(labels, list)
            or not labels
            or any(not isinstance(label, str) or not label.strip() for label in labels)
        ):
            problems.append(f"{where} labels: must be a non-empty list of non-empty strings")
        elif len(labels) != len(set(labels)):
            problems.append(f"{where} labels: each label may appear once")
        elif len(labels) > MAX_LABELS or any(len(label.encode()) > MAX_TEXT_CHARS for label in labels):
            problems.append(f"{where} labels: at most {MAX_LABELS} labels, each at most {MAX_TEXT_CHARS} bytes")
        else:
            fields["labels"] = tuple(labels)
    elif kind == "text":
        max_length = table.get("max_length", MAX_TEXT_CHARS)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_CHARS:
            problems.append(
                f"{where} max_length: must be a whole number from 1 to {MAX_TEXT_CHARS}, not {max_length!r}"
            )
        else:
            fields["max_length"] = max_length
    if len(problems) > before:
        return None
    return FeedbackSchema(
        name, kind, version=version, description=description, rationale=rationale, sources=_ordered(sources), **fields
    )


def _ordered(sources: Iterable[str]) -> tuple[str, ...]:
    chosen = set(sources)
    return tuple(s for s in SOURCE_TYPES if s in chosen)
