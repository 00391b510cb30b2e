"""Which traces a walk or an aggregation covers, and that selection in MLflow's two filter syntaxes.

Values never hold a quote or a backtick (the conversion layer refuses them): MLflow's filter
syntax has no escapes.
"""

from dataclasses import dataclass, field, replace

from mlflow.tracing.constant import TraceMetadataKey, TraceMetricSearchKey


@dataclass(frozen=True)
class TraceSelection:
    """Traces started in [start_ms, end_ms) (None: unbounded) with all these tags, user and session."""

    start_ms: int | None = None
    end_ms: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    user_id: str = ""
    session_id: str = ""

    def narrowed(
        self, tags: dict[str, str] | None = None, user_id: str = "", session_id: str = ""
    ) -> "TraceSelection | None":
        """Those of these traces that also have these tags, user and session; None when none can."""
        tags = tags or {}
        if (
            any(self.tags.get(key, value) != value for key, value in tags.items())
            or (user_id and self.user_id not in ("", user_id))
            or (session_id and self.session_id not in ("", session_id))
        ):
            return None
        return replace(
            self,
            tags={**self.tags, **tags},
            user_id=self.user_id or user_id,
            session_id=self.session_id or session_id,
        )

    def search_filter(self) -> str:
        """As a SearchTracesV3 filter (ANDed clauses in one string)."""
        clauses = []
        if self.start_ms is not None:
            clauses.append(f"trace.timestamp_ms >= {self.start_ms}")
        if self.end_ms is not None:
            clauses.append(f"trace.timestamp_ms < {self.end_ms}")
        clauses += [f"tags.`{key}` = '{value}'" for key, value in sorted(self.tags.items())]
        clauses += [f"metadata.`{key}` = '{value}'" for key, value in self._metadata()]
        return " AND ".join(clauses)

    def metric_filters(self) -> list[str]:
        """As QueryTraceMetrics filters (a list, ANDed); the time range goes in the query itself."""
        view, tag, metadata = TraceMetricSearchKey.VIEW_TYPE, TraceMetricSearchKey.TAG, TraceMetricSearchKey.METADATA
        filters = [f"{view}.{tag}.`{key}` = '{value}'" for key, value in sorted(self.tags.items())]
        return filters + [f"{view}.{metadata}.`{key}` = '{value}'" for key, value in self._metadata()]

    def _metadata(self) -> list[tuple[str, str]]:
        wanted = ((TraceMetadataKey.TRACE_USER, self.user_id), (TraceMetadataKey.TRACE_SESSION, self.session_id))
        return [(key, value) for key, value in wanted if value]
