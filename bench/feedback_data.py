"""Generate a feedback data set straight into an MLflow tracking database, fast.

Runs in the full-`mlflow` environment (`.venv-mlflow/bin/python bench/feedback_data.py ...`): it
writes with MLflow's own SQLAlchemy models (trace infos, tags, metadata, feedback assessments built
by `SqlAssessments.from_mlflow_entity`), in bulk, so 100,000 traces take seconds instead of the
hours that one REST call per trace and per vote would. Used by tests/test_analytics.py (which then
changes and deletes votes through MLflow's REST API, so those go through MLflow's own logic) and by
bench/analytics.py; with `--copy` (PostgreSQL only), by bench/cluster.py's million traces.
Deterministic for a seed.

The data: traces spread over `--days` days before `--end-ms`, three models (trace tag `model`),
twenty users with sessions (`mlflow.trace.user`, `mlflow.trace.session`), `chat.outcome` ok or error;
on a share of them, human feedback: a thumb (`user_feedback`), 1-5 ratings on `accuracy`,
`helpfulness` and `relevance`, sometimes a `topic` category and a `user_rating`; and an LLM judge's
boolean `grounded` on some. Each trace with feedback carries the feedback marker the service keeps
(`genaifeedback.has_feedback`), unless `--no-markers` (data from before the service kept it).
"""

import argparse
import base64
import json
import random
import sys

MODELS = ("model-a", "model-b", "model-c")
USERS = tuple(f"user-{n:02d}" for n in range(20))
TOPICS = ("billing", "bug", "other")
DIMENSIONS = ("accuracy", "helpfulness", "relevance")
THUMBS_UP_SHARE = {"model-a": 0.8, "model-b": 0.6, "model-c": 0.4}


def generate(
    traces: int, end_ms: int, days: float, seed: int, feedback_share: float, distinct_ms: int = 0
) -> list[dict]:
    """The data set as plain dicts: each trace with its tags, metadata and feedback votes.
    `distinct_ms`: start the traces in only that many distinct milliseconds (ties, for paging tests)."""
    rng = random.Random(seed)
    span_ms = int(days * 86_400_000)
    moments = [end_ms - 1 - n * 1000 for n in range(distinct_ms)]
    items = []
    for index in range(traces):
        model = MODELS[index % len(MODELS)]
        user = rng.choice(USERS)
        trace = {
            "trace_id": f"tr-{rng.getrandbits(128):032x}",
            "question": f"Question {index} about MLflow?",
            "timestamp_ms": rng.choice(moments) if moments else end_ms - 1 - rng.randrange(span_ms),
            "tags": {"model": model, "chat.outcome": "ok" if rng.random() < 0.9 else "error"},
            "user": user,
            "session": f"{user}-session-{rng.randrange(5)}",
            "votes": [],
        }
        if rng.random() < feedback_share:
            votes = trace["votes"]
            votes.append(("user_feedback", rng.random() < THUMBS_UP_SHARE[model], "HUMAN", user))
            if rng.random() < 0.6:
                bias = MODELS.index(model)
                for dimension in DIMENSIONS:
                    votes.append((dimension, max(1, min(5, rng.randint(1, 5) + (1 - bias))), "HUMAN", user))
            if rng.random() < 0.25:
                votes.append(("topic", rng.choice(TOPICS), "HUMAN", user))
            if rng.random() < 0.15:
                votes.append(("user_rating", rng.randint(1, 5), "HUMAN", user))
            if rng.random() < 0.3:
                votes.append(("grounded", rng.random() < 0.7, "LLM_JUDGE", "judge-v1"))
        items.append(trace)
    return items


MARKER = ("genaifeedback.has_feedback", "true")  # genaifeedback/service/domain/feedback/trace_state.py


def load(db_uri: str, experiment_id: int, items: list[dict], seed: int, markers: bool = True) -> int:
    """Insert the traces and their feedback; returns the number of assessments written."""
    from mlflow.entities import AssessmentSource, Feedback
    from mlflow.store.tracking.dbmodels.models import (
        SqlAssessments,
        SqlSpan,
        SqlTraceInfo,
        SqlTraceMetadata,
        SqlTraceTag,
    )
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracing.constant import (
        TRACE_SCHEMA_VERSION,
        TRACE_SCHEMA_VERSION_KEY,
        SpansLocation,
        TraceMetadataKey,
        TraceTagKey,
    )

    store = SqlAlchemyStore(db_uri, "/tmp/unused-artifacts")
    rng = random.Random(seed + 1)
    written = 0
    with store.ManagedSessionMaker(read_only=False) as session:
        for start in range(0, len(items), 5000):
            rows: list = []
            for item in items[start : start + 5000]:
                trace_id, timestamp = item["trace_id"], item["timestamp_ms"]
                rows.append(
                    SqlTraceInfo(
                        request_id=trace_id,
                        experiment_id=experiment_id,
                        timestamp_ms=timestamp,
                        execution_time_ms=1200,
                        status="OK",
                        trace_name="chat",
                        session_id=item["session"],
                        request_preview=item["question"],
                        response_preview="An open source platform for the ML lifecycle.",
                    )
                )
                # The spans live in the database (as with OTLP), so get_trace works on these traces.
                tags = {**item["tags"], TraceTagKey.SPANS_LOCATION: SpansLocation.TRACKING_STORE.value}
                if markers and item["votes"]:
                    tags[MARKER[0]] = MARKER[1]
                rows += [SqlTraceTag(request_id=trace_id, key=k, value=v) for k, v in tags.items()]
                rows.append(_root_span(SqlSpan, experiment_id, trace_id, timestamp, rng))
                metadata = {
                    TraceMetadataKey.TRACE_USER: item["user"],
                    TraceMetadataKey.TRACE_SESSION: item["session"],
                    TRACE_SCHEMA_VERSION_KEY: str(TRACE_SCHEMA_VERSION),
                }
                rows += [SqlTraceMetadata(request_id=trace_id, key=k, value=v) for k, v in metadata.items()]
                for name, value, source_type, source_id in item["votes"]:
                    feedback = Feedback(
                        name=name, value=value, source=AssessmentSource(source_type=source_type, source_id=source_id)
                    )
                    feedback.trace_id = trace_id
                    feedback.assessment_id = f"a-{rng.getrandbits(128):032x}"
                    row = SqlAssessments.from_mlflow_entity(feedback)
                    row.experiment_id = experiment_id
                    row.trace_timestamp_ms = timestamp
                    rows.append(row)
                    written += 1
            session.add_all(rows)
            session.commit()  # a chunk at a time: one huge transaction holds SQLite's lock for minutes
    return written


COPY_CHUNK = 20_000  # traces generated and copied per transaction


def copy_load(
    db_uri: str, experiment_id: int, traces: int, end_ms: int, days: float, seed: int, share: float, markers: bool = True
) -> int:
    """PostgreSQL only, for a million traces: the same data set streamed into MLflow's tables with
    COPY, a chunk at a time (minutes, where `load` would take an hour and hold every row in memory).

    Rows carry the columns MLflow's models define, as `load` fills them. Each assessment's columns are
    copied from the row SqlAssessments.from_mlflow_entity builds for its (name, value, source), of
    which there are a few hundred, so the denormalized analytics columns (aggregate_value,
    is_numeric_value) are MLflow's own; only the ids, the experiment and the trace time differ per row.
    No spans: the summary never reads them (get_trace on these traces finds none). Returns the number
    of assessments written."""
    import psycopg
    from mlflow.entities import AssessmentSource, Feedback
    from mlflow.store.tracking.dbmodels.models import SqlAssessments
    from mlflow.tracing.constant import (
        TRACE_SCHEMA_VERSION,
        TRACE_SCHEMA_VERSION_KEY,
        SpansLocation,
        TraceMetadataKey,
        TraceTagKey,
    )

    columns = [column.name for column in SqlAssessments.__table__.columns]
    templates: dict[tuple, dict] = {}

    def assessment(vote: tuple, trace_id: str, timestamp_ms: int, assessment_id: str) -> tuple:
        key = (*vote, type(vote[1]))  # True and 1 are equal keys otherwise
        if key not in templates:
            name, value, source_type, source_id = vote
            feedback = Feedback(name=name, value=value, source=AssessmentSource(source_type, source_id))
            row = SqlAssessments.from_mlflow_entity(feedback)
            templates[key] = {column: getattr(row, column) for column in columns}
        values = {
            **templates[key],
            "assessment_id": assessment_id,
            "trace_id": trace_id,
            "experiment_id": experiment_id,
            "trace_timestamp_ms": timestamp_ms,
        }
        return tuple(values[column] for column in columns)

    rng = random.Random(seed + 1)
    written = 0
    libpq = "postgresql" + db_uri[db_uri.index("://") :]  # postgresql+psycopg://… as psycopg takes it
    with psycopg.connect(libpq) as conn, conn.cursor() as cursor:
        for start in range(0, traces, COPY_CHUNK):
            items = generate(min(COPY_CHUNK, traces - start), end_ms, days, seed + start, share)
            info = "request_id, experiment_id, timestamp_ms, execution_time_ms, status, trace_name, session_id, "
            info += "request_preview, response_preview"
            with cursor.copy(f"COPY trace_info ({info}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(
                        (item["trace_id"], experiment_id, item["timestamp_ms"], 1200, "OK", "chat", item["session"],
                         item["question"], "An open source platform for the ML lifecycle.")
                    )  # fmt: skip
            with cursor.copy("COPY trace_tags (request_id, key, value) FROM STDIN") as copy:
                for item in items:
                    tags = {**item["tags"], TraceTagKey.SPANS_LOCATION: SpansLocation.TRACKING_STORE.value}
                    if markers and item["votes"]:
                        tags[MARKER[0]] = MARKER[1]
                    for key, value in tags.items():
                        copy.write_row((item["trace_id"], key, value))
            with cursor.copy("COPY trace_request_metadata (request_id, key, value) FROM STDIN") as copy:
                for item in items:
                    copy.write_row((item["trace_id"], TraceMetadataKey.TRACE_USER, item["user"]))
                    copy.write_row((item["trace_id"], TraceMetadataKey.TRACE_SESSION, item["session"]))
                    copy.write_row((item["trace_id"], TRACE_SCHEMA_VERSION_KEY, str(TRACE_SCHEMA_VERSION)))
            with cursor.copy(f"COPY assessments ({', '.join(columns)}) FROM STDIN") as copy:
                for item in items:
                    for vote in item["votes"]:
                        assessment_id = f"a-{rng.getrandbits(128):032x}"
                        copy.write_row(assessment(vote, item["trace_id"], item["timestamp_ms"], assessment_id))
                        written += 1
            conn.commit()
    return written


def _root_span(span_model, experiment_id: int, trace_id: str, timestamp_ms: int, rng: random.Random):
    """One `chat` span, stored the way MLflow stores an OTLP span (its JSON in `content`)."""
    span_id = rng.getrandbits(64).to_bytes(8, "big")
    start_ns, end_ns = timestamp_ms * 1_000_000, (timestamp_ms + 1200) * 1_000_000
    content = {
        "trace_id": base64.b64encode(bytes.fromhex(trace_id[3:])).decode(),
        "span_id": base64.b64encode(span_id).decode(),
        "parent_span_id": None,
        "name": "chat",
        "start_time_unix_nano": start_ns,
        "end_time_unix_nano": end_ns,
        "events": [],
        "status": {"code": "STATUS_CODE_OK", "message": ""},
        "attributes": {
            "mlflow.traceRequestId": json.dumps(trace_id),
            "mlflow.spanType": json.dumps("CHAT_MODEL"),
            "mlflow.spanInputs": json.dumps({"messages": [{"role": "user", "content": "What is MLflow?"}]}),
            "mlflow.spanOutputs": json.dumps("An open source platform for the ML lifecycle."),
        },
        "links": [],
    }
    return span_model(
        trace_id=trace_id,
        experiment_id=experiment_id,
        span_id=span_id.hex(),
        parent_span_id=None,
        name="chat",
        type="CHAT_MODEL",
        status="OK",
        start_time_unix_nano=start_ns,
        end_time_unix_nano=end_ns,
        content=json.dumps(content),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="MLflow backend store URI, e.g. sqlite:////path/mlflow.db")
    parser.add_argument("--experiment-id", type=int, required=True)
    parser.add_argument("--traces", type=int, required=True)
    parser.add_argument("--end-ms", type=int, required=True)
    parser.add_argument("--days", type=float, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--feedback-share", type=float, default=0.7)
    parser.add_argument("--distinct-ms", type=int, default=0, help="start all traces in this many milliseconds")
    parser.add_argument("--no-markers", action="store_true", help="leave out the service's feedback marker")
    parser.add_argument(
        "--copy", action="store_true", help="PostgreSQL only: bulk-insert with COPY, a chunk at a time (no spans)"
    )
    args = parser.parse_args()
    if args.copy:
        written = copy_load(
            args.db, args.experiment_id, args.traces, args.end_ms, args.days, args.seed, args.feedback_share,
            markers=not args.no_markers,
        )
        json.dump({"traces": args.traces, "assessments": written}, sys.stdout)
        return
    items = generate(args.traces, args.end_ms, args.days, args.seed, args.feedback_share, args.distinct_ms)
    written = load(args.db, args.experiment_id, items, args.seed, markers=not args.no_markers)
    json.dump({"traces": len(items), "assessments": written}, sys.stdout)


if __name__ == "__main__":
    main()
