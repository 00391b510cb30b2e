"""feedbackctl: chat with the service and send feedback from a shell.

    feedbackctl chat "What is MLflow?"
    feedbackctl chat "What is MLflow?"
    feedbackctl feedback --trace-id tr-... --up --comment "spot on" --wait
    feedbackctl feedback --trace-id tr-... --rating 4
    feedbackctl rate --client-request-id my-id accuracy=4 helpfulness=5
    feedbackctl status --client-request-id my-id --assessment-id a-...
    feedbackctl schemas
    feedbackctl --json schemas
    feedbackctl list --trace-id tr-... --history
    feedbackctl list --source-id alice --name user_feedback --start 2026-11-01
    feedbackctl get --trace-id tr-... --assessment-id a-...
    feedbackctl correct --trace-id tr-... --assessment-id a-... --rating 2 --source-id expert-7 --comment "why"
    feedbackctl delete --trace-id tr-... --assessment-id a-...      (or --all)
    feedbackctl erase --source-id alice
    feedbackctl summary --since 7d --interval day --group-by tag:model --plot feedback.png
    feedbackctl export --since 7d --only-with-feedback --format csv -o feedback.csv

feedback and rate print the state: PENDING (durably taken, on its way to MLflow) or STORED (in
MLflow; --wait waits for it within the call's deadline). status prints PENDING, STORED, EXPIRED,
REJECTED (with the reason) or DELETED. --rating writes `user_rating` (an integer from 1 to 5, unless the
service's schemas say otherwise) unless --name says another name. schemas lists what each feedback
name may hold. --client-time (ISO 8601) on feedback and rate says when the user voted: a rater's
latest vote is the current one. list prints the stored feedback, one per line (current votes only unless
--history); get one, with its history links; correct overrides a stored feedback with an expert's
value and reason; delete removes a feedback with its history (or --all on the trace), for good;
erase deletes everything one source gave, on every trace, showing its progress on stderr.
name may hold. summary prints the feedback summary of a time range (default: the last 24 hours):
thumbs with their positive rate and 95% interval, ratings with their mean and distribution,
categories, and with --interval and --group-by a sparkline per figure and a section per group;
--plot FILE.png draws the time series and the score distributions (needs matplotlib: the
client's `plot` extra). export writes traces with their current feedback (--history: and the
votes later replaced) as JSON Lines (one trace a line) or CSV (one feedback a row), and says on
stderr the page token to resume after the last trace written.

--json (before the command) prints one JSON object instead of text, errors included (on stderr).
(`feedback --json VALUE`, after the command, is a structured feedback value.)

Exit status: 0 on success, 1 when the service refuses or fails, 2 on bad usage, 130 on Ctrl-C.
Errors go to stderr: code (reason): message, then each bad field [its reason], the trace id of a
failed chat, and how long to wait before retrying when the service says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from genaifeedback.client.client import (
    EraseProgress,
    FeedbackClient,
    FeedbackRecord,
    FeedbackSchema,
    FeedbackServiceError,
)
from genaifeedback.client.datasets import (
    DEFAULT_MAX_SCORE,
    dataset_record,
    low_rated_because,
    merge_into_dataset,
    mlflow_datasets,
)

DEFAULT_TARGET = "127.0.0.1:50051"


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _rating(text: str) -> tuple[str, int]:
    name, score = _key_value(text)
    try:
        return name, int(score)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected DIMENSION=INTEGER, got {text!r}") from None


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-11-28T09:30:00Z, got {text!r}"
        ) from None


def _add_value_flags(parser: argparse.ArgumentParser, rating_help: str) -> None:
    """The value flags feedback and correct share (exactly one may be given)."""
    value = parser.add_mutually_exclusive_group()
    value.add_argument("--up", dest="value", action="store_const", const=True, help="thumbs up")
    value.add_argument("--down", dest="value", action="store_const", const=False, help="thumbs down")
    value.add_argument("--rating", type=float, metavar="N", help=rating_help)
    value.add_argument("--value", dest="value", metavar="TEXT", help="a category or free text")
    value.add_argument("--json", dest="json_value", metavar="JSON", help="a JSON object or array")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedbackctl", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--target",
        default=os.environ.get("FEEDBACK_SERVICE_TARGET", DEFAULT_TARGET),
        help="service address (default: $FEEDBACK_SERVICE_TARGET or %(default)s)",
    )
    parser.add_argument(
        "--json",
        dest="as_json",
        action="store_true",
        help="print one JSON object instead of text (errors too, on stderr)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="stream an answer; its trace id goes to stderr")
    chat.add_argument("message")
    chat.add_argument("--user-id", default="")
    chat.add_argument("--session-id", default="")
    chat.add_argument("--client-request-id", help="your id for this chat (default: a new UUID)")
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--tag", type=_key_value, action="append", default=[], metavar="KEY=VALUE")

    # Which trace: what feedback, rate and status share.
    targeted = argparse.ArgumentParser(add_help=False)
    target = targeted.add_mutually_exclusive_group(required=True)
    target.add_argument("--trace-id")
    target.add_argument("--client-request-id")

    # What feedback and rate share besides: who is speaking, how the write goes.
    common = argparse.ArgumentParser(add_help=False, parents=[targeted])
    common.add_argument(
        "--wait", action="store_true", help="answer once it is in MLflow (STORED), or PENDING just before the deadline"
    )
    common.add_argument(
        "--request-id", help="idempotency key: the same one again records nothing new (default: a new UUID)"
    )
    common.add_argument("--source", choices=["HUMAN", "LLM_JUDGE", "CODE"], default="HUMAN")
    common.add_argument("--source-id", default="")
    common.add_argument("--meta", type=_key_value, action="append", default=[], metavar="KEY=VALUE")
    common.add_argument("--span-id", default="")
    common.add_argument(
        "--client-time",
        type=_moment,
        metavar="TIME",
        help="when the user gave it (ISO 8601): a rater's latest vote is current (default: when the service gets it)",
    )

    feedback = commands.add_parser("feedback", parents=[common], help="record one feedback on a trace")
    _add_value_flags(feedback, "the user's rating, recorded as user_rating (1 to 5 unless the schemas say otherwise)")
    feedback.add_argument("--comment", default="", help="why; given alone, it is the feedback (a free text)")
    feedback.add_argument(
        "--name", help="default: user_feedback (user_rating for --rating, user_comment for a bare --comment)"
    )

    rate = commands.add_parser("rate", parents=[common], help="rate several dimensions of a trace at once")
    rate.add_argument("ratings", nargs="+", type=_rating, metavar="DIMENSION=SCORE")
    rate.add_argument("--comment", default="", help="why; stored with every dimension")

    status = commands.add_parser(
        "status", parents=[targeted], help="where a feedback is: PENDING, STORED, EXPIRED, REJECTED or DELETED"
    )
    which = status.add_mutually_exclusive_group(required=True)
    which.add_argument("--request-id", help="the request id it was sent with (and the same target)")
    which.add_argument("--assessment-id", help="the assessment id feedback or rate printed")

    commands.add_parser("schemas", help="the feedback schemas in force: what each feedback name may hold")

    listing = commands.add_parser("list", help="stored feedback on a trace, or given by a source on any trace")
    scope = listing.add_mutually_exclusive_group(required=True)
    scope.add_argument("--trace-id")
    scope.add_argument("--client-request-id")
    scope.add_argument("--source-id", help="the feedback this source id gave, on any trace")
    listing.add_argument("--name", default="", help="only feedback with this name")
    listing.add_argument("--history", action="store_true", help="also the votes that were replaced")
    listing.add_argument("--start", type=_moment, help="only feedback given at or after this time (ISO 8601)")
    listing.add_argument("--end", type=_moment, help="only feedback given before this time (ISO 8601)")
    listing.add_argument("--page-size", type=int, help="records fetched per call (default: the service's, 100)")

    get = commands.add_parser("get", parents=[targeted], help="one stored feedback, with its history links")
    get.add_argument("--assessment-id", required=True)

    correct = commands.add_parser(
        "correct", parents=[targeted], help="override a stored feedback with a corrected value and the reason"
    )
    correct.add_argument("--assessment-id", required=True, help="the feedback to correct")
    _add_value_flags(correct, "the corrected number")
    correct.add_argument("--comment", required=True, help="why the value was wrong (required)")
    correct.add_argument("--source-id", required=True, help="who corrects it, e.g. an expert's user id (required)")
    correct.add_argument("--source", choices=["HUMAN", "LLM_JUDGE", "CODE"], default="HUMAN")
    correct.add_argument("--meta", type=_key_value, action="append", default=[], metavar="KEY=VALUE")
    correct.add_argument("--request-id", help="idempotency key (default: a new UUID)")
    correct.add_argument("--wait", action="store_true", help="answer once it is in MLflow (STORED)")

    delete = commands.add_parser(
        "delete", parents=[targeted], help="delete a feedback with its history, or every feedback on the trace"
    )
    what = delete.add_mutually_exclusive_group(required=True)
    what.add_argument("--assessment-id", help="this feedback, with every earlier version and correction of it")
    what.add_argument("--all", action="store_true", help="every feedback on the trace")

    erase = commands.add_parser("erase", help="delete every feedback one source gave, on every trace")
    erase.add_argument("--source-id", required=True)
    erase.add_argument("--source", choices=["HUMAN", "LLM_JUDGE", "CODE"], help="only this source type (default: any)")
    erase.add_argument(
        "--timeout",
        type=float,
        help="seconds the whole erasure may take (at most, and by default, the service config's 600)",
    )
    _add_summary_parser(commands)
    _add_export_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, client: FeedbackClient | None = None) -> int:
    """Run one command; returns the exit status. Tests pass their own `client`."""
    parser = _parser()
    args = parser.parse_args(argv)
    own_client = client is None
    client = client or FeedbackClient(args.target)
    try:
        if args.command == "chat":
            return _chat(client, args)
        if args.command == "feedback":
            return _feedback(client, args, parser)
        if args.command == "rate":
            return _rate(client, args, parser)
        if args.command == "schemas":
            return _schemas(client, args)
        if args.command == "list":
            return _list(client, args)
        if args.command == "get":
            return _get(client, args)
        if args.command == "correct":
            return _correct(client, args, parser)
        if args.command == "delete":
            return _delete(client, args)
        if args.command == "erase":
            return _erase(client, args)
        if args.command == "summary":
            return _summary(client, args, parser)
        if args.command == "export":
            return _export(client, args, parser)
        return _status(client, args)
    except FeedbackServiceError as error:
        if args.as_json:
            _print_json(_error_json(error), file=sys.stderr)
            return 1
        reason = f" ({error.reason})" if error.reason else ""
        print(f"error: {error.code.name}{reason}: {error.message}", file=sys.stderr)
        for violation in error.field_violations:
            why = f" [{violation.reason}]" if violation.reason else ""
            print(f"  {violation.field}: {violation.description}{why}", file=sys.stderr)
        if error.trace_id:
            print(f"trace_id: {error.trace_id}", file=sys.stderr)
        if error.retry_delay is not None:
            print(f"retry after: {error.retry_delay:g}s", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    finally:
        if own_client:
            client.close()


def _chat(client: FeedbackClient, args: argparse.Namespace) -> int:
    if args.as_json:
        result = client.complete_chat(
            args.message,
            client_request_id=args.client_request_id,
            user_id=args.user_id,
            session_id=args.session_id,
            tags=dict(args.tag),
            max_tokens=args.max_tokens,
        )
        _print_json(dataclasses.asdict(result))
        return 0
    stream = client.chat(
        args.message,
        client_request_id=args.client_request_id,
        user_id=args.user_id,
        session_id=args.session_id,
        tags=dict(args.tag),
        max_tokens=args.max_tokens,
    )
    try:
        with stream:  # leaving early (Ctrl-C) cancels the call
            for text in stream:
                sys.stdout.write(text)
                sys.stdout.flush()
    except FeedbackServiceError:
        if stream.text:
            sys.stdout.write("\n")  # end the partial answer's line before the error
        raise
    except KeyboardInterrupt:
        print(
            f"\ncancelled; trace_id: {stream.trace_id or '-'} client_request_id: {stream.client_request_id}",
            file=sys.stderr,
        )
        return 130
    sys.stdout.write("\n")
    print(
        f"trace_id: {stream.trace_id} client_request_id: {stream.client_request_id} "
        f"finish_reason: {stream.finish_reason or '-'} "
        f"tokens: {stream.usage.input_tokens}/{stream.usage.output_tokens}",
        file=sys.stderr,
    )
    return 0


def _value(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The value the flags give (--up/--down/--rating/--value/--json); None if none was given."""
    if args.rating is not None:
        return args.rating
    if args.json_value is None:
        return args.value
    try:
        value = json.loads(args.json_value)
    except ValueError as error:
        parser.error(f"--json: {error}")
    if not isinstance(value, (dict, list)):
        parser.error("--json needs an object or an array; use --up/--down/--rating/--value for the others")
    return value


def _feedback(client: FeedbackClient, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    value, name, rationale = _value(args, parser), args.name, args.comment
    if args.rating is not None:
        name = name or "user_rating"
    elif value is None:
        if not rationale:
            parser.error("give a value (--up, --down, --rating, --value or --json) or a --comment")
        value, name, rationale = rationale, name or "user_comment", ""
    result = client.submit_feedback(
        trace_id=args.trace_id,
        client_request_id=args.client_request_id,
        value=value,
        name=name or "user_feedback",
        rationale=rationale,
        source=args.source,
        source_id=args.source_id,
        metadata=dict(args.meta),
        span_id=args.span_id,
        request_id=args.request_id,
        wait_until_stored=args.wait,
        client_time=args.client_time,
    )
    if args.as_json:
        _print_json(dataclasses.asdict(result))
        return 0
    print(f"assessment_id: {result.assessment_id} trace_id: {result.trace_id or '-'} state: {result.state or '-'}")
    return 0


def _rate(client: FeedbackClient, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    ratings = dict(args.ratings)
    if len(ratings) != len(args.ratings):
        parser.error("each dimension may be rated once")
    result = client.submit_ratings(
        trace_id=args.trace_id,
        client_request_id=args.client_request_id,
        ratings=ratings,
        rationale=args.comment,
        source=args.source,
        source_id=args.source_id,
        metadata=dict(args.meta),
        span_id=args.span_id,
        request_id=args.request_id,
        wait_until_stored=args.wait,
        client_time=args.client_time,
    )
    if args.as_json:
        _print_json(dataclasses.asdict(result))
        return 0
    print(f"trace_id: {result.trace_id or '-'} state: {result.state or '-'}")
    for dimension, assessment_id in sorted(result.assessment_ids.items()):
        print(f"{dimension}: {assessment_id}")
    return 0


def _status(client: FeedbackClient, args: argparse.Namespace) -> int:
    status = client.get_feedback_status(
        trace_id=args.trace_id,
        client_request_id=args.client_request_id,
        request_id=args.request_id,
        assessment_id=args.assessment_id,
    )
    if args.as_json:
        _print_json(dataclasses.asdict(status))
        return 0
    reason = f" reason: {status.reason}" if status.reason else ""
    print(f"state: {status.state or '-'} trace_id: {status.trace_id or '-'}{reason}")
    for name, assessment_id in sorted(status.assessment_ids.items()):
        print(f"{name}: {assessment_id}")
    return 0


def _schemas(client: FeedbackClient, args: argparse.Namespace) -> int:
    listed = client.list_feedback_schemas()
    if args.as_json:
        _print_json(dataclasses.asdict(listed))
        return 0
    for schema in listed.schemas.values():
        origin = "built-in" if schema.built_in else "schema file"
        print(f"{schema.name} (v{schema.version}, {origin}): {_describe_schema(schema)}")
    print("other names: " + ("accepted, each typed by its first value" if listed.unknown_names_accepted else "refused"))
    return 0


def _describe_schema(schema: FeedbackSchema) -> str:
    if schema.type == "number":
        kind = "integer" if schema.integer_only else "number"
        low = "" if schema.min is None else f"{schema.min:g}"
        high = "" if schema.max is None else f"{schema.max:g}"
        text = f"{kind} {low}..{high}" if low or high else kind
    elif schema.type == "category":
        text = "one of " + ", ".join(schema.labels)
    elif schema.type == "text":
        text = f"text of at most {schema.max_length} characters"
    else:
        text = schema.type or "a type newer than feedbackctl"
    text += f"; rationale {(schema.rationale or '?').lower()}"
    if schema.source_types != ("HUMAN", "LLM_JUDGE", "CODE"):
        text += "; only from " + ", ".join(schema.source_types)
    return text + (f" - {schema.description}" if schema.description else "")


def _list(client: FeedbackClient, args: argparse.Namespace) -> int:
    records = client.list_feedback(
        trace_id=args.trace_id,
        client_request_id=args.client_request_id,
        source_id=args.source_id,
        name=args.name,
        start=args.start,
        end=args.end,
        include_history=args.history,
        page_size=args.page_size,
    )
    if args.as_json:
        _print_json({"feedback": [dataclasses.asdict(record) for record in records]})
        return 0
    for record in records:  # printed page by page, as they come
        print(_describe_record(record))
    return 0


def _describe_record(record: FeedbackRecord) -> str:
    """One line: id, trace, name=value, who, when, and where it stands in its vote's history."""
    when = record.create_time.isoformat() if record.create_time else "-"
    standing = "current" if record.current else f"replaced by {record.overridden_by or '-'}"
    if record.overrides:
        standing += f", replaces {record.overrides}"
    line = (
        f"{record.assessment_id} {record.trace_id} {record.name}={json.dumps(record.value, ensure_ascii=False)} "
        f"by {record.source or '?'}:{record.source_id or '-'} at {when} {standing}"
    )
    return line + (f" - {record.rationale}" if record.rationale else "")


def _get(client: FeedbackClient, args: argparse.Namespace) -> int:
    record = client.get_feedback(args.assessment_id, trace_id=args.trace_id, client_request_id=args.client_request_id)
    if args.as_json:
        _print_json(dataclasses.asdict(record))
        return 0
    print(_describe_record(record))
    for key, value in sorted(record.metadata.items()):
        print(f"  {key}: {value}")
    return 0


def _correct(client: FeedbackClient, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    value = _value(args, parser)
    if value is None:
        parser.error("give the corrected value: --up, --down, --rating, --value or --json")
    result = client.correct_feedback(
        args.assessment_id,
        value,
        trace_id=args.trace_id,
        client_request_id=args.client_request_id,
        rationale=args.comment,
        source=args.source,
        source_id=args.source_id,
        metadata=dict(args.meta),
        request_id=args.request_id,
        wait_until_stored=args.wait,
    )
    if args.as_json:
        _print_json(dataclasses.asdict(result))
        return 0
    print(f"assessment_id: {result.assessment_id} trace_id: {result.trace_id or '-'} state: {result.state or '-'}")
    return 0


def _delete(client: FeedbackClient, args: argparse.Namespace) -> int:
    result = client.delete_feedback(
        args.assessment_id, trace_id=args.trace_id, client_request_id=args.client_request_id, all_on_trace=args.all
    )
    if args.as_json:
        _print_json(dataclasses.asdict(result))
        return 0
    print(f"trace_id: {result.trace_id} deleted: {len(result.deleted_assessment_ids)}")
    for assessment_id in result.deleted_assessment_ids:
        print(assessment_id)
    return 0


def _erase(client: FeedbackClient, args: argparse.Namespace) -> int:
    def show(progress: EraseProgress) -> None:
        if not progress.done:
            print(f"{_describe_erasure(progress)} so far", file=sys.stderr, flush=True)

    totals = client.erase_feedback_by_source(
        args.source_id, source=args.source, on_progress=None if args.as_json else show, timeout=args.timeout
    )
    if args.as_json:
        _print_json(dataclasses.asdict(totals))
        return 0
    print(_describe_erasure(totals) + ("" if totals.done else " (not confirmed complete)"))
    return 0


def _describe_erasure(progress: EraseProgress) -> str:
    return (
        f"traces scanned: {progress.traces_scanned} feedback deleted: {progress.feedback_deleted} "
        f"traces changed: {progress.traces_changed}"
    )


def _error_json(error: FeedbackServiceError) -> dict[str, Any]:
    return {
        "error": {
            "code": error.code.name,
            "reason": error.reason,
            "message": error.message,
            "field_violations": [dataclasses.asdict(v) for v in error.field_violations],
            "trace_id": error.trace_id,
            "retry_after_seconds": error.retry_delay,
        }
    }


def _print_json(value: Any, file: Any = None) -> None:
    print(json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default), file=file or sys.stdout)


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


SPARKS = "▁▂▃▄▅▆▇█"
_INTERVALS = {"hour": "SUMMARY_INTERVAL_HOUR", "day": "SUMMARY_INTERVAL_DAY"}
_SOURCES = {"HUMAN": "SOURCE_TYPE_HUMAN", "LLM_JUDGE": "SOURCE_TYPE_LLM_JUDGE", "CODE": "SOURCE_TYPE_CODE"}


def _duration(text: str) -> timedelta:
    units = {"m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit() or int(text[:-1]) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 30m, 24h or 7d, got {text!r}")
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-11-28T09:00, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _group(text: str) -> tuple[str, str]:
    if text in ("user", "session"):
        return text, ""
    kind, _, key = text.partition(":")
    if kind != "tag" or not key:
        raise argparse.ArgumentTypeError(f"expected user, session or tag:KEY, got {text!r}")
    return kind, key


def _add_summary_parser(commands: Any) -> None:
    summary = commands.add_parser(
        "summary", help="feedback rate, thumbs, ratings and categories over a time range, as a table"
    )
    when = summary.add_mutually_exclusive_group()
    when.add_argument("--since", type=_duration, metavar="DURATION", help="the last 30m, 24h, 7d... (default: 24h)")
    when.add_argument("--start", type=_instant, metavar="TIME", help="from this ISO 8601 time (UTC unless it says)")
    summary.add_argument("--end", type=_instant, metavar="TIME", help="until this time (default: now)")
    summary.add_argument("--tag", type=_key_value, action="append", default=[], metavar="KEY=VALUE")
    summary.add_argument("--user-id", default="")
    summary.add_argument("--session-id", default="")
    summary.add_argument("--source", choices=sorted(_SOURCES), help="only feedback from this kind of source")
    summary.add_argument(
        "--interval", choices=sorted(_INTERVALS), help="also a time series: one bucket per hour or day"
    )
    summary.add_argument("--group-by", type=_group, metavar="user|session|tag:KEY", help="also per group")
    summary.add_argument("--group-value", action="append", default=[], metavar="VALUE", help="only these groups")
    summary.add_argument(
        "--traces-with-feedback",
        action="store_true",
        help="also count the traces with feedback (the feedback rate): reads every trace info in range, slower",
    )
    summary.add_argument("--plot", metavar="FILE.png", help="draw the time series and score distributions (matplotlib)")


def _filter_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The request fields summary and export share: the time range (default: the last 24 hours)
    and the trace filters."""
    from genaifeedback.v1 import feedback_pb2

    end = args.end or datetime.now(UTC)
    start = args.start or end - (args.since or timedelta(hours=24))
    fields: dict[str, Any] = {
        "start_time": _timestamp(start),
        "end_time": _timestamp(end),
        "trace_tags": dict(args.tag),
        "user_id": args.user_id,
        "session_id": args.session_id,
    }
    if args.source:
        fields["source_type"] = feedback_pb2.SourceType.Value(_SOURCES[args.source])
    return fields


def _summary(client: FeedbackClient, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from google.protobuf import json_format

    from genaifeedback.v1 import analytics_pb2

    fields: dict[str, Any] = {
        **_filter_fields(args),
        "group_values": args.group_value,
        "count_traces_with_feedback": args.traces_with_feedback,
    }
    if args.interval:
        fields["interval"] = analytics_pb2.SummaryInterval.Value(_INTERVALS[args.interval])
    if args.group_by:
        kind, key = args.group_by
        fields["group_by"] = analytics_pb2.GroupDimension.Value(
            {"tag": "GROUP_DIMENSION_TRACE_TAG", "user": "GROUP_DIMENSION_USER", "session": "GROUP_DIMENSION_SESSION"}[
                kind
            ]
        )
        fields["group_by_tag"] = key
    elif args.group_value:
        parser.error("--group-value needs --group-by")
    answer = client.get_feedback_summary(**fields)
    if args.plot:
        _plot(answer, args.plot, parser)
    if args.as_json:
        _print_json(json_format.MessageToDict(answer, preserving_proto_field_name=True))
        return 0
    print(_summary_text(answer, args.interval or ""))
    if args.plot:
        print(f"\nplot: {args.plot}")
    return 0


def _percent(rate: float) -> str:
    return f"{rate * 100:5.1f}%"


def _bar(share: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


def _sparkline(values: Sequence[float | None], low: float, high: float) -> str:
    marks = []
    for value in values:
        if value is None:
            marks.append(" ")
        else:
            share = 0.0 if high <= low else (value - low) / (high - low)
            marks.append(SPARKS[min(len(SPARKS) - 1, max(0, round(share * (len(SPARKS) - 1))))])
    return "".join(marks)


def _summary_text(answer: Any, interval: str) -> str:
    start = answer.start_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    end = answer.end_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [f"feedback from {start} to {end} UTC", f"counted: {answer.counting.description}", ""]
    lines += _summary_lines(answer.total)
    if answer.buckets:
        lines += ["", f"per {interval} ({len(answer.buckets)} buckets, oldest first):"]
        lines += _series_lines(answer.buckets)
    for group in answer.groups:
        lines += ["", f"== {group.value}"]
        lines += _summary_lines(group.summary)
        if group.buckets:
            lines += _series_lines(group.buckets)
    return "\n".join(lines)


def _summary_lines(summary: Any) -> list[str]:
    traces = f"traces: {summary.trace_count}"
    if summary.traces_with_feedback or summary.feedback_rate:
        traces += f"   with feedback: {summary.traces_with_feedback} ({_percent(summary.feedback_rate).strip()})"
    lines = [traces]
    if summary.booleans:
        lines.append(f"  {'thumbs':<18} {'up':>7} {'down':>7} {'positive':>9}  {'95% interval':<17}")
        for b in summary.booleans:
            interval = f"{_percent(b.positive_rate_low).strip()}-{_percent(b.positive_rate_high).strip()}"
            lines.append(
                f"  {b.name:<18} {b.positive:7d} {b.negative:7d} {_percent(b.positive_rate):>9}  {interval:<17}"
                f" {_bar(b.positive_rate)}"
            )
    if summary.numbers:
        lines.append(f"  {'ratings':<18} {'count':>7} {'mean':>7} {'0-1':>9}  distribution")
        for n in summary.numbers:
            normalized = f"{n.normalized_mean:.3f}" if n.HasField("normalized_mean") else "-"
            most = max((d.count for d in n.distribution), default=0)
            shape = _sparkline([d.count for d in n.distribution], 0, most)
            counts = " ".join(f"{d.score:g}:{d.count}" for d in n.distribution)
            lines.append(f"  {n.name:<18} {n.count:7d} {n.mean:7.2f} {normalized:>9}  {shape}  {counts}")
    for c in summary.categories:
        total = sum(label.count for label in c.labels) or 1
        lines.append(f"  {c.name}:")
        for label in c.labels:
            lines.append(f"    {label.label:<16} {label.count:7d} {_bar(label.count / total)}")
    return lines


def _series_lines(buckets: Sequence[Any]) -> list[str]:
    lines = []
    counts = [b.summary.trace_count for b in buckets]
    lines.append(f"  {'traces':<18} {_sparkline(counts, 0, max(counts, default=0))}  max {max(counts, default=0)}")
    names = sorted({b.name for bucket in buckets for b in bucket.summary.booleans})
    for name in names:
        rates = [next((b.positive_rate for b in x.summary.booleans if b.name == name), None) for x in buckets]
        lines.append(f"  {name + ' positive':<18} {_sparkline(rates, 0, 1)}  (0-100%)")
    numeric = sorted({n.name for bucket in buckets for n in bucket.summary.numbers})
    for name in numeric:
        means: list[float | None] = []
        for bucket in buckets:
            found = next((n for n in bucket.summary.numbers if n.name == name and n.count), None)
            means.append(
                None if found is None else (found.normalized_mean if found.HasField("normalized_mean") else found.mean)
            )
        known = [m for m in means if m is not None]
        lines.append(f"  {name + ' mean':<18} {_sparkline(means, min(known, default=0), max(known, default=1))}")
    return lines


def _plot(answer: Any, path: str, parser: argparse.ArgumentParser) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        parser.error("--plot needs matplotlib: pip install 'genaifeedback-client[plot]'")
    numbers = answer.total.numbers
    rows = (1 if answer.buckets else 0) + (1 if numbers else 0) or 1
    figure, axes = plt.subplots(rows, 1, figsize=(10, 4 * rows), squeeze=False)
    row = 0
    if answer.buckets:
        axis = axes[row][0]
        times = [b.start_time.ToDatetime(UTC) for b in answer.buckets]
        for name in sorted({b.name for x in answer.buckets for b in x.summary.booleans}):
            rates = [
                next((b.positive_rate for b in x.summary.booleans if b.name == name), float("nan"))
                for x in answer.buckets
            ]
            axis.plot(times, rates, marker="o", label=f"{name} positive rate")
        for name in sorted({n.name for x in answer.buckets for n in x.summary.numbers}):
            means = [
                next(
                    (
                        n.normalized_mean
                        for n in x.summary.numbers
                        if n.name == name and n.count and n.HasField("normalized_mean")
                    ),
                    float("nan"),
                )
                for x in answer.buckets
            ]
            axis.plot(times, means, linestyle="--", label=f"{name} mean (0-1)")
        axis.set_ylim(0, 1)
        axis.set_title("feedback over time")
        axis.legend(fontsize="small")
        row += 1
    if numbers:
        axis = axes[row][0]
        width = 0.8 / len(numbers)
        for index, n in enumerate(numbers):
            axis.bar(
                [d.score + index * width for d in n.distribution],
                [d.count for d in n.distribution],
                width,
                label=n.name,
            )
        axis.set_title("score distributions")
        axis.set_xlabel("score")
        axis.set_ylabel("votes")
        axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _add_export_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="traces with their feedback as JSON Lines or CSV, resumable, for evaluation data sets"
    )
    when = export.add_mutually_exclusive_group()
    when.add_argument("--since", type=_duration, metavar="DURATION", help="the last 30m, 24h, 7d... (default: 24h)")
    when.add_argument("--start", type=_instant, metavar="TIME", help="from this ISO 8601 time (UTC unless it says)")
    export.add_argument("--end", type=_instant, metavar="TIME", help="until this time (default: now)")
    export.add_argument("--tag", type=_key_value, action="append", default=[], metavar="KEY=VALUE")
    export.add_argument("--user-id", default="")
    export.add_argument("--session-id", default="")
    export.add_argument("--source", choices=sorted(_SOURCES), help="only feedback from this kind of source")
    export.add_argument("--name", action="append", default=[], help="only feedback of this name (repeatable)")
    export.add_argument("--only-with-feedback", action="store_true", help="skip traces without current feedback")
    export.add_argument("--history", action="store_true", help="also the votes a later vote replaced")
    export.add_argument("--page-token", default="", help="resume after the trace that carried this token")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    export.add_argument(
        "--to-dataset",
        metavar="NAME",
        help="also create or extend this MLflow evaluation dataset with the low-rated traces (needs the full"
        " mlflow package; MLFLOW_TRACKING_URI says where)",
    )
    export.add_argument("--dataset-experiment-id", metavar="ID", help="the experiment of --to-dataset")
    export.add_argument(
        "--max-score",
        type=float,
        default=DEFAULT_MAX_SCORE,
        help="low-rated: a thumbs down, or a numeric score at most this (default: %(default)g)",
    )


_CSV_COLUMNS = (
    "trace_id",
    "trace_start_time",
    "user_id",
    "session_id",
    "tags",
    "request_preview",
    "response_preview",
    "assessment_id",
    "name",
    "value",
    "source_type",
    "source_id",
    "rationale",
    "create_time",
    "valid",
    "overrides",
    "span_id",
)


def _export(client: FeedbackClient, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import csv

    from google.protobuf import json_format

    fields: dict[str, Any] = {
        **_filter_fields(args),
        "names": args.name,
        "only_with_feedback": args.only_with_feedback,
        "include_history": args.history,
        "page_token": args.page_token,
    }
    if args.to_dataset:
        if not args.dataset_experiment_id:
            parser.error("--to-dataset needs --dataset-experiment-id")
        try:
            mlflow_datasets()  # checked before exporting anything
        except ImportError:
            parser.error("--to-dataset needs the full mlflow package: pip install mlflow")
    low_rated: list[dict[str, Any]] = []
    output = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    writer = csv.writer(output) if args.format == "csv" else None
    if writer:
        writer.writerow(_CSV_COLUMNS)
    last_token, count = "", 0
    try:
        for message in client.export_feedback(**fields):
            trace = message.trace
            record = json_format.MessageToDict(trace, preserving_proto_field_name=True)
            if args.to_dataset and (reasons := low_rated_because(record, args.max_score)):
                low_rated.append(dataset_record(record, reasons))
            if writer is None:
                output.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            else:
                for feedback in [*trace.feedback, *trace.history]:
                    writer.writerow(_csv_row(trace, feedback))
            last_token, count = message.page_token, count + 1
    finally:
        if output is not sys.stdout:
            output.close()
        # Where to resume (also after an error or Ctrl-C): the last trace written.
        print(f"exported {count} traces; resume with --page-token {last_token or '(none)'}", file=sys.stderr)
    if args.to_dataset:
        held = merge_into_dataset(low_rated, args.to_dataset, args.dataset_experiment_id)
        print(f"dataset {args.to_dataset}: {len(low_rated)} low-rated traces merged, {held} records", file=sys.stderr)
    return 0


def _csv_row(trace: Any, feedback: Any) -> list[str]:
    from google.protobuf import json_format

    from genaifeedback.v1 import feedback_pb2

    return [
        trace.trace_id,
        trace.start_time.ToJsonString(),
        trace.user_id,
        trace.session_id,
        json.dumps(dict(trace.tags), sort_keys=True),
        trace.request_preview,
        trace.response_preview,
        feedback.assessment_id,
        feedback.name,
        json.dumps(json_format.MessageToDict(feedback.value)),
        feedback_pb2.SourceType.Name(feedback.source.type).removeprefix("SOURCE_TYPE_"),
        feedback.source.id,
        feedback.rationale,
        feedback.create_time.ToJsonString(),
        "true" if feedback.valid else "false",
        feedback.overrides,
        feedback.span_id,
    ]


def _timestamp(moment: datetime) -> Any:
    from google.protobuf import timestamp_pb2

    return timestamp_pb2.Timestamp(seconds=int(moment.timestamp()), nanos=moment.microsecond * 1000)


if __name__ == "__main__":
    sys.exit(main())
