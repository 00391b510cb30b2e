"""The operator's schema file (`--feedback-schemas-file`, TOML; its format is in schemas.py),
validated by pydantic models and reported in the file's own terms: every problem at once, each
naming its [feedback.NAME] table and setting."""

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from genaifeedback.service.domain.schemas import (
    BUILT_INS,
    KINDS,
    MAX_LABELS,
    MAX_TEXT_CHARS,
    RATIONALE_RULES,
    SOURCE_TYPES,
    FeedbackSchema,
    Kind,
    RationaleRule,
    Schemas,
    SourceTypeName,
)


class SchemaFileError(ValueError):
    """The schema file cannot be used; the message says where and why."""


class _File(BaseModel):
    """The file's top level: which names are accepted, and one [feedback.NAME] table per schema."""

    model_config = ConfigDict(extra="forbid", strict=True)
    unknown_names: Literal["accept", "refuse"] = "accept"
    feedback: dict[str, dict[str, Any]] = {}


class _Table(BaseModel):
    """The settings every [feedback.NAME] table has; a subclass per kind adds that kind's."""

    model_config = ConfigDict(extra="forbid", strict=True)
    type: Kind
    version: int = Field(1, ge=1, le=2**31 - 1)
    description: str = ""
    rationale: RationaleRule = "allowed"
    sources: list[SourceTypeName] = Field(default_factory=lambda: list(SOURCE_TYPES), min_length=1)

    def named(self, name: str) -> FeedbackSchema:
        own: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in self if k not in _Table.model_fields
        }
        chosen = set(self.sources)
        sources = tuple(s for s in SOURCE_TYPES if s in chosen)
        return FeedbackSchema(
            name, self.type, self.version, self.description, rationale=self.rationale, sources=sources, **own
        )


class _Boolean(_Table):
    type: Literal["boolean"]


class _Number(_Table):
    type: Literal["number"]
    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)
    integer: bool = False

    @model_validator(mode="after")
    def _below(self) -> "_Number":
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise PydanticCustomError(_OWN, f"min ({self.min:g}) must be below max ({self.max:g})")
        return self


class _Category(_Table):
    type: Literal["category"]
    labels: list[str]  # TOML arrays are lists: a strict tuple would refuse them

    @field_validator("labels")
    @classmethod
    def _distinct(cls, labels: list[str]) -> list[str]:
        if not labels or any(not label.strip() for label in labels):
            raise PydanticCustomError(_OWN, "must be a non-empty list of non-empty strings")
        if len(labels) != len(set(labels)):
            raise PydanticCustomError(_OWN, "each label may appear once")
        if len(labels) > MAX_LABELS or any(len(label.encode()) > MAX_TEXT_CHARS for label in labels):
            raise PydanticCustomError(_OWN, f"at most {MAX_LABELS} labels, each at most {MAX_TEXT_CHARS} bytes")
        return labels


class _Text(_Table):
    type: Literal["text"]
    max_length: int = Field(MAX_TEXT_CHARS, ge=1, le=MAX_TEXT_CHARS)


_OWN = "schema_file"  # the error type of the models' own checks, whose message is already the file's
_TABLES: dict[str, type[_Table]] = {"boolean": _Boolean, "number": _Number, "category": _Category, "text": _Text}
_SAYS = {  # what a setting must be, by its name ({value!r}: what the file has)
    "unknown_names": 'must be "accept" or "refuse", not {value!r}',
    "feedback": "must be tables, one per name: [feedback.NAME]",
    "version": "must be a whole number from 1, not {value!r}",
    "description": "must be a string",
    "rationale": f"must be one of {', '.join(RATIONALE_RULES)}, not {{value!r}}",
    "sources": f"must be a non-empty list of {', '.join(SOURCE_TYPES)}, not {{value!r}}",
    "min": "must be a finite number, not {value!r}",
    "max": "must be a finite number, not {value!r}",
    "integer": "must be true or false, not {value!r}",
    "labels": "must be a non-empty list of non-empty strings",
    "max_length": f"must be a whole number from 1 to {MAX_TEXT_CHARS}, not {{value!r}}",
}


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
    try:
        _File.model_validate(document)
    except ValidationError as error:
        problems += _described(
            error, document, "", "unknown setting (expected `unknown_names` and [feedback.NAME] tables)"
        )
    tables = document.get("feedback", {})
    declared = dict(BUILT_INS)
    for name, table in tables.items() if isinstance(tables, dict) else ():
        where = f"[feedback.{name}]"
        if not name_pattern.fullmatch(name):
            problems.append(
                f"{where}: a feedback name starts with a letter and holds only letters, digits, `_` and `-`"
                " (no dots), at most 64 characters"
            )
        elif not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
        elif table.get("type") not in _TABLES:
            problems.append(f"{where} type: must be one of {', '.join(KINDS)}, not {table.get('type')!r}")
        else:
            model = _TABLES[table["type"]]
            try:
                declared[name] = model.model_validate(table).named(name)
            except ValidationError as error:
                settings = ", ".join(sorted(model.model_fields))
                unknown = f"not a setting of a {table['type']} schema (its settings: {settings})"
                problems += _described(error, table, where + " ", unknown)
    return Schemas(declared=declared, accept_unknown=document.get("unknown_names") != "refuse")


def _described(error: ValidationError, given: dict[str, Any], where: str, unknown: str) -> list[str]:
    """pydantic's errors in the file's terms: one line per setting, saying what it must be."""
    lines: dict[str, None] = {}  # ordered, and once per setting (a list's items fail one by one)
    for problem in error.errors():
        key = str(problem["loc"][0]) if problem["loc"] else ""
        if key == "feedback" and len(problem["loc"]) > 1:
            continue  # a table that is no table: said when the tables are read
        if problem["type"] == _OWN:
            text = problem["msg"]
        elif problem["type"] == "extra_forbidden":
            text = unknown
        else:
            text = _SAYS[key].format(value=given.get(key))
        lines[f"{where}{key}: {text}" if key else f"{where.rstrip()}: {text}"] = None
    return list(lines)
