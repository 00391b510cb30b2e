"""The summary arithmetic: tallies of traces and current votes become rates with their Wilson
intervals, means and distributions of scores (normalised by the schemas), and category counts.
Pure: no I/O, fast-tested."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from genaifeedback.service.domain.schemas import FeedbackSchema, Schemas

VoteKey = tuple[str, bool | float | str]  # (feedback name, value)

WILSON_Z = 1.959963984540054  # the 97.5th percentile of the standard normal: a 95% interval


@dataclass
class Tally:
    """The raw counts of one cell (everything, one bucket, one group, one group's bucket)."""

    trace_count: int = 0
    traces_with_feedback: int = 0
    votes: Counter[VoteKey] = field(default_factory=Counter)

    def add(self, other: "Tally") -> None:
        self.trace_count += other.trace_count
        self.traces_with_feedback += other.traces_with_feedback
        self.votes.update(other.votes)


@dataclass(frozen=True)
class BooleanSummary:
    name: str
    positive: int
    negative: int
    positive_rate: float
    positive_rate_low: float
    positive_rate_high: float


@dataclass(frozen=True)
class NumericSummary:
    name: str
    count: int
    mean: float
    normalized_mean: float | None
    distribution: list[tuple[float, int]]


@dataclass(frozen=True)
class CategorySummary:
    name: str
    labels: list[tuple[str, int]]


@dataclass(frozen=True)
class Summary:
    trace_count: int
    traces_with_feedback: int
    feedback_rate: float
    booleans: list[BooleanSummary]
    numbers: list[NumericSummary]
    categories: list[CategorySummary]


@dataclass(frozen=True)
class Bucket:
    start_ms: int
    summary: Summary


@dataclass(frozen=True)
class Group:
    value: str
    summary: Summary
    buckets: list[Bucket]


@dataclass(frozen=True)
class Counting:
    aggregated_by_mlflow: bool
    traces_with_feedback_counted: bool
    trace_infos_read: int
    description: str


def wilson_interval(positive: int, total: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion (0, 0 without votes)."""
    if total == 0:
        return 0.0, 0.0
    p = positive / total
    denominator = 1 + z * z / total
    center = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, center - half), min(1.0, center + half)


def summarise(tally: Tally, schemas: Schemas) -> Summary:
    """Turn a cell's counts into rates, means and distributions, typed by the schemas."""
    by_name: dict[str, Counter[bool | float | str]] = {}
    for (name, value), count in tally.votes.items():
        by_name.setdefault(name, Counter())[value] += count
    booleans, numbers, categories = [], [], []
    for name in sorted(by_name):
        values = by_name[name]
        schema = schemas.declared.get(name)
        kind = schema.kind if schema else _kind_of_values(values)
        if kind == "boolean":
            positive = sum(c for v, c in values.items() if v is True)
            negative = sum(c for v, c in values.items() if v is False)
            votes = positive + negative
            low, high = wilson_interval(positive, votes)
            booleans.append(BooleanSummary(name, positive, negative, positive / votes if votes else 0.0, low, high))
        elif kind == "number":
            numbers.append(_numeric(name, values, schema))
        elif kind == "category":
            labels = sorted((v, c) for v, c in values.items() if isinstance(v, str))
            categories.append(CategorySummary(name, labels))
        # free text and structured values have no summary
    rate = tally.traces_with_feedback / tally.trace_count if tally.trace_count else 0.0
    return Summary(tally.trace_count, tally.traces_with_feedback, rate, booleans, numbers, categories)


def _kind_of_values(values: Iterable[bool | float | str]) -> str:
    kinds = {"boolean" if isinstance(v, bool) else "number" if isinstance(v, float) else "category" for v in values}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _numeric(name: str, values: Counter[bool | float | str], schema: FeedbackSchema | None) -> NumericSummary:
    scores = Counter({v: c for v, c in values.items() if isinstance(v, float)})
    if schema and schema.integer and schema.min is not None and schema.max is not None:
        for score in range(math.ceil(schema.min), math.floor(schema.max) + 1):
            scores.setdefault(float(score), 0)
    count = sum(scores.values())
    mean = sum(v * c for v, c in scores.items()) / count if count else 0.0
    normalized = schema.normalized(mean) if schema and count else None
    return NumericSummary(name, count, mean, normalized, sorted(scores.items()))


def vote_value(value: Any) -> bool | float | str | None:
    """A feedback value as counted: booleans, numbers (as floats) and strings; None otherwise."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
