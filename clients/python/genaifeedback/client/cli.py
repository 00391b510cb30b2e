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
categories, and with --interval and --group-by a sparkline per figure (each with its scale) and a
section per group; "with feedback" (the feedback rate) is counted with --traces-with-feedback (one
more count in MLflow's database), and shown as "not counted" without it; --plot FILE.png draws the time
series (a series per group) and the score distributions (needs matplotlib: the client's `plot`
extra). export writes traces with their current feedback (--history: and the
votes later replaced) as JSON Lines (one trace a line) or CSV (one feedback a row, previews as
plain text), and says on stderr the page token to resume after the last trace written.

--json (before the command) prints one JSON object instead of text, errors included (on stderr).
(`feedback --json VALUE`, after the command, is a structured feedback value.)

Exit status: 0 on success, 1 when the service refuses or fails, 2 on bad usage, 130 on Ctrl-C.
Errors go to stderr: code (reason): message, then each bad field [its reason], the trace id of a
failed chat, and how long to wait before retrying when the service says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
_NO_DATA = "·"
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
        help="also count the traces with feedback (the feedback rate): one more count in MLflow's database",
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
        _plot(answer, args.plot, args.interval or "", parser)
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
    """One mark per value, from low to high; _NO_DATA where there is none."""
    marks = []
    for value in values:
        if value is None:
            marks.append(_NO_DATA)
        else:
            share = 0.0 if high <= low else (value - low) / (high - low)
            marks.append(SPARKS[min(len(SPARKS) - 1, max(0, round(share * (len(SPARKS) - 1))))])
    return "".join(marks)


def _summary_text(answer: Any, interval: str) -> str:
    start = answer.start_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    end = answer.end_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    counted = answer.counting.traces_with_feedback_counted
    summaries = [answer.total, *(group.summary for group in answer.groups)]
    # One name column for every table, the totals' and each group's, wide enough for the longest name.
    width = max([18, *(len(x.name) for s in summaries for x in [*s.booleans, *s.numbers])])
    lines = [f"feedback from {start} to {end} UTC", f"counted: {answer.counting.description}", ""]
    lines += _summary_lines(answer.total, counted, width, hint=True)
    scales = _mean_scales(answer.total)
    series = [_series_rows(answer.buckets, scales)] + [_series_rows(group.buckets, scales) for group in answer.groups]
    # Every sparkline starts in the same column, whatever the labels of its section.
    label_width = max((len(label) for rows in series for label, _, _ in rows), default=0)
    if answer.buckets:
        lines += ["", f"per {interval} ({len(answer.buckets)} buckets, oldest first):", f"  ({_SPARK_KEY})"]
        if partial := _partial_buckets(answer, interval):
            lines.append(f"  ({partial} only partly in the range: fewer traces there)")
        lines += _series_text(series[0], label_width)
    for group, rows in zip(answer.groups, series[1:], strict=True):
        lines += ["", f"== {group.value}"]
        lines += _summary_lines(group.summary, counted, width)
        if rows:
            lines += [f"  per {interval}:", *_series_text(rows, label_width)]
    return "\n".join(lines)


def _summary_lines(summary: Any, counted: bool, width: int = 18, hint: bool = False) -> list[str]:
    """The figures of one summary; "with feedback" is always there, as "not counted" when the call did
    not count it (and, with hint, how to count it)."""
    traces = f"traces: {summary.trace_count}   with feedback: "
    if counted:
        traces += f"{summary.traces_with_feedback} ({_percent(summary.feedback_rate).strip()})"
    else:
        traces += "not counted" + (" (--traces-with-feedback counts it)" if hint else "")
    lines = [traces]
    if summary.booleans:
        lines.append(f"  {'thumbs':<{width}} {'up':>7} {'down':>7} {'positive':>9}  {'95% interval':<17}")
        for b in summary.booleans:
            interval = f"{_percent(b.positive_rate_low).strip()}-{_percent(b.positive_rate_high).strip()}"
            lines.append(
                f"  {b.name:<{width}} {b.positive:7d} {b.negative:7d} {_percent(b.positive_rate):>9}  {interval:<17}"
                f" {_bar(b.positive_rate)}"
            )
    if summary.numbers:
        lines.append(f"  {'ratings':<{width}} {'count':>7} {'mean':>7} {'0-1':>9}  distribution")
        for n in summary.numbers:
            normalized = f"{n.normalized_mean:.3f}" if n.HasField("normalized_mean") else "-"
            most = max((d.count for d in n.distribution), default=0)
            shape = _sparkline([d.count for d in n.distribution], 0, most)
            counts = " ".join(f"{d.score:g}:{d.count}" for d in n.distribution)
            lines.append(f"  {n.name:<{width}} {n.count:7d} {n.mean:7.2f} {normalized:>9}  {shape}  {counts}")
    for c in summary.categories:
        total = sum(label.count for label in c.labels) or 1
        label_width = max([16, *(len(label.label) for label in c.labels)])
        lines.append(f"  {c.name}:")
        for label in c.labels:
            lines.append(f"    {label.label:<{label_width}} {label.count:7d} {_bar(label.count / total)}")
    return lines


_SPARK_KEY = f"each row {SPARKS[0]} low to {SPARKS[-1]} high on the scale at its end; {_NO_DATA} no votes"


def _partial_buckets(answer: Any, interval: str) -> str:
    """Which of the first and last buckets the range covers only in part ("" if neither)."""
    step = _INTERVAL_SECONDS.get(interval, 0)
    if not step or not answer.buckets:
        return ""
    first, last = answer.buckets[0].start_time.seconds, answer.buckets[-1].start_time.seconds
    cut = [
        which
        for which, partial in (
            ("first", first < answer.start_time.seconds),
            ("last", last + step > answer.end_time.seconds),
        )
        if partial
    ]
    if len(answer.buckets) == 1 and cut:
        return "the bucket is"
    return " and ".join(cut) + (" buckets are" if len(cut) > 1 else " bucket is") if cut else ""


def _mean_scales(total: Any) -> dict[str, tuple[float, float]]:
    """Each rated name's scale, from the whole range's distribution (which lists every score of an
    integer scale): its means are drawn on it, so a small change looks small."""
    return {
        n.name: (min(d.score for d in n.distribution), max(d.score for d in n.distribution))
        for n in total.numbers
        if n.distribution
    }


def _series_rows(buckets: Sequence[Any], scales: dict[str, tuple[float, float]]) -> list[tuple[str, str, str]]:
    """(label, sparkline, its scale) per figure over time: traces, each positive rate, each mean."""
    if not buckets:
        return []
    counts = [b.summary.trace_count for b in buckets]
    most = max(counts)
    rows = [("traces", _sparkline(counts, 0, most), f"0-{most} traces")]
    for name in sorted({b.name for bucket in buckets for b in bucket.summary.booleans}):
        rates = [_rate_in(bucket.summary, name) for bucket in buckets]
        rows.append((f"{name} positive", _sparkline(rates, 0, 1), "0-100% positive"))
    for name in sorted({n.name for bucket in buckets for n in bucket.summary.numbers}):
        means = [_mean_in(bucket.summary, name) for bucket in buckets]
        known = [m for m in means if m is not None]
        low, high = scales.get(name, (min(known, default=0.0), max(known, default=1.0)))
        low, high = min([low, *known]), max([high, *known])
        spread = f"{min(known):.2f}-{max(known):.2f}" if known else "-"
        rows.append((f"{name} mean", _sparkline(means, low, high), f"means {spread} on {low:g}-{high:g}"))
    return rows


def _series_text(rows: Sequence[tuple[str, str, str]], label_width: int) -> list[str]:
    return [f"  {label:<{label_width}}  {line}  {scale}" for label, line, scale in rows]


def _rate_in(summary: Any, name: str) -> float | None:
    """The positive rate of this boolean name in one summary; None without votes."""
    found = next((b for b in summary.booleans if b.name == name and b.positive + b.negative), None)
    return None if found is None else float(found.positive_rate)


def _mean_in(summary: Any, name: str) -> float | None:
    """The mean of this numeric name in one summary; None without votes."""
    found = next((n for n in summary.numbers if n.name == name and n.count), None)
    return None if found is None else float(found.mean)


_INTERVAL_SECONDS = {"hour": 3600, "day": 86400}


def _plot(answer: Any, path: str, interval: str, parser: argparse.ArgumentParser) -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        parser.error("--plot needs matplotlib: pip install 'genaifeedback-client[plot]'")
    summary_figure(answer, _INTERVAL_SECONDS.get(interval, 0)).savefig(path, dpi=100)


def summary_figure(answer: Any, interval_seconds: int) -> Figure:
    """The summary drawn (matplotlib, no display needed): traces per bucket, each positive rate and
    mean over time (a series per group when grouped), and the score distributions.

    The time axis spans the buckets (one bucket: one interval wide), every point has a marker (a
    lone bucket's value shows), and count axes have integer ticks only."""
    from matplotlib.figure import Figure

    buckets, groups, total = list(answer.buckets), list(answer.groups), answer.total
    panels: list[Callable[[Axes], None]] = []
    if buckets:
        starts = [b.start_time.ToDatetime(UTC) for b in buckets]
        step = timedelta(seconds=interval_seconds) if interval_seconds else _step_of(starts)
        times = _TimeAxis(starts, step, answer.start_time.ToDatetime(UTC), answer.end_time.ToDatetime(UTC))
        panels.append(lambda axis: _volume_panel(axis, times, buckets, groups))
        booleans = sorted({b.name for x in buckets for b in x.summary.booleans})
        numbers = sorted({n.name for x in buckets for n in x.summary.numbers})
        scales = _mean_scales(total)
        if groups:
            grouped = functools.partial(_grouped_panel, times=times, buckets=buckets, groups=groups, scales=scales)
            panels += [functools.partial(grouped, name=name, kind="rate") for name in booleans]
            panels += [functools.partial(grouped, name=name, kind="mean") for name in numbers]
        else:
            if booleans:
                panels.append(lambda axis: _rates_panel(axis, times, booleans, buckets))
            if numbers:
                panels.append(lambda axis: _means_panel(axis, times, numbers, buckets, scales))
    if total.numbers:
        panels.append(lambda axis: _distribution_panel(axis, list(total.numbers)))
    if not panels:
        panels.append(_empty_panel)
    figure = Figure(figsize=(10, 0.4 + 2.7 * len(panels)), layout="constrained")
    for axis, draw in zip(figure.subplots(len(panels), 1, squeeze=False)[:, 0], panels, strict=True):
        draw(axis)
    start = answer.start_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    end = answer.end_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M")
    figure.suptitle(f"feedback from {start} to {end} UTC (current votes)")
    return figure


class _TimeAxis:
    """Buckets on a time axis: each value drawn at its bucket's middle, the axis exactly the buckets
    (matplotlib's date numbers: days since the epoch); up to a dozen buckets, each one labelled."""

    def __init__(self, starts: Sequence[datetime], step: timedelta, begin: datetime, end: datetime) -> None:
        from matplotlib import dates

        self.starts, self.step = list(starts), step
        # A bucket the range covers only in part (the range starts or ends inside it).
        self.partial = [start < begin or start + step > end for start in starts]
        self.step_days = step / timedelta(days=1)
        first = float(dates.date2num(starts[0]))  # type: ignore[no-untyped-call]
        self.middles = [first + (start - starts[0]) / timedelta(days=1) + self.step_days / 2 for start in starts]
        self.limits = (first, self.middles[-1] + self.step_days / 2)
        self.marker_size = 6.0 if len(starts) <= 24 else 3.5
        self.unit = {timedelta(hours=1): "hour", timedelta(days=1): "day"}.get(step, "bucket")

    def apply(self, axis: Axes) -> None:
        from matplotlib import dates

        axis.set_xlim(*self.limits)
        axis.grid(True, alpha=0.3)
        if len(self.starts) <= _LABELLED_BUCKETS:
            # Bucket edges as the grid, each bucket's span as the label under its middle.
            axis.set_xticks([self.limits[0] + i * self.step_days for i in range(len(self.starts) + 1)])
            axis.set_xticklabels([])
            labels = [
                self._label(start) + ("\n(partial)" if cut else "")
                for start, cut in zip(self.starts, self.partial, strict=True)
            ]
            axis.set_xticks(self.middles, labels, minor=True)
            axis.tick_params(axis="x", which="minor", length=0)
            axis.set_xlabel(self._where(), fontsize="small")
            return
        locator = dates.AutoDateLocator(tz=UTC, minticks=3, maxticks=9)  # type: ignore[no-untyped-call]
        axis.xaxis.set_major_locator(locator)
        axis.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]

    def _label(self, start: datetime) -> str:
        if self.step >= timedelta(days=1):
            return f"{start:%b %d}"
        return f"{start:%H:%M}-{start + self.step:%H:%M}"

    def _where(self) -> str:
        first, last = self.starts[0], self.starts[-1] + self.step - timedelta(microseconds=1)
        if self.step >= timedelta(days=1):
            return f"UTC days, {first:%Y}" if first.year == last.year else "UTC days"
        same_day = first.date() == last.date()
        return f"UTC, {first:%Y-%m-%d}" if same_day else f"UTC, {first:%Y-%m-%d} to {last:%Y-%m-%d}"


_LABELLED_BUCKETS = 12


def _step_of(starts: Sequence[datetime]) -> timedelta:
    return starts[1] - starts[0] if len(starts) > 1 else timedelta(hours=1)


def _integer_counts(axis: Axes, most: float) -> None:
    from matplotlib import ticker

    axis.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5, integer=True, min_n_ticks=1))
    axis.set_ylim(0, max(1, most) * 1.15)


def _legend(axis: Axes, extra: Sequence[Artist] = ()) -> None:
    """Beside the plot, so it hides no point; extra: entries drawn by no artist of the axes."""
    handles, _ = axis.get_legend_handles_labels()
    axis.legend(
        handles=[*handles, *extra], fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0
    )


def _volume_panel(axis: Axes, times: _TimeAxis, buckets: Sequence[Any], groups: Sequence[Any]) -> None:
    from matplotlib.patches import Patch

    counts = [b.summary.trace_count for b in buckets]
    bars = axis.bar(times.middles, counts, width=times.step_days * 0.8, color="0.82")
    for bar, cut in zip(bars, times.partial, strict=True):
        if cut:  # fewer traces because the range covers part of the bucket, not because traffic fell
            bar.set_hatch("///")
            bar.set_edgecolor("0.6")
    keys = [Patch(facecolor="0.82", label="all traces")]
    if any(times.partial):
        keys.append(Patch(facecolor="0.82", hatch="///", edgecolor="0.6", label="partial bucket"))
    most = max(counts)
    for group in groups:
        series = [b.summary.trace_count for b in group.buckets]
        axis.plot(times.middles, series, marker="o", markersize=times.marker_size, label=group.value or "(none)")
        most = max([most, *series])
    times.apply(axis)
    _integer_counts(axis, most)
    axis.set_title(f"traces per {times.unit}", loc="left", fontsize="medium")
    axis.set_ylabel("traces")
    _legend(axis, keys)


def _rates_panel(axis: Axes, times: _TimeAxis, names: Sequence[str], buckets: Sequence[Any]) -> None:
    for name in names:
        rates = [_nan(_rate_in(b.summary, name)) for b in buckets]
        axis.plot(times.middles, rates, marker="o", markersize=times.marker_size, label=name)
    _rate_axis(axis, times)
    axis.set_title("positive rate (of the votes in each bucket)", loc="left", fontsize="medium")
    _legend(axis)


def _rate_axis(axis: Axes, times: _TimeAxis) -> None:
    from matplotlib import ticker

    times.apply(axis)
    axis.set_ylim(-0.04, 1.04)
    axis.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))


def _means_panel(
    axis: Axes, times: _TimeAxis, names: Sequence[str], buckets: Sequence[Any], scales: dict[str, tuple[float, float]]
) -> None:
    for name in names:
        means = [_nan(_mean_in(b.summary, name)) for b in buckets]
        axis.plot(times.middles, means, marker="o", markersize=times.marker_size, label=name)
    _mean_axis(axis, times, [scales[name] for name in names if name in scales])
    axis.set_title("mean rating (of the votes in each bucket)", loc="left", fontsize="medium")
    _legend(axis)


def _mean_axis(axis: Axes, times: _TimeAxis, scales: Sequence[tuple[float, float]]) -> None:
    times.apply(axis)
    if scales:  # the whole scale: a small change looks small
        low, high = min(s[0] for s in scales), max(s[1] for s in scales)
        pad = (high - low) * 0.04 or 0.5
        axis.set_ylim(low - pad, high + pad)


def _grouped_panel(
    axis: Axes,
    *,
    times: _TimeAxis,
    name: str,
    kind: str,
    buckets: Sequence[Any],
    groups: Sequence[Any],
    scales: dict[str, tuple[float, float]],
) -> None:
    value_in = _rate_in if kind == "rate" else _mean_in
    for group in groups:
        values = [_nan(value_in(b.summary, name)) for b in group.buckets]
        axis.plot(times.middles, values, marker="o", markersize=times.marker_size, label=group.value or "(none)")
    overall = [_nan(value_in(b.summary, name)) for b in buckets]
    axis.plot(  # a ring around a group's point where they coincide
        times.middles,
        overall,
        color="black",
        linestyle="--",
        linewidth=1.0,
        marker="o",
        markerfacecolor="none",
        markersize=times.marker_size + 3,
        label="all",
    )
    if kind == "rate":
        _rate_axis(axis, times)
        axis.set_title(f"{name}: positive rate per group", loc="left", fontsize="medium")
    else:
        _mean_axis(axis, times, [scales[name]] if name in scales else [])
        axis.set_title(f"{name}: mean per group", loc="left", fontsize="medium")
    _legend(axis)


def _distribution_panel(axis: Axes, numbers: Sequence[Any]) -> None:
    scores = sorted({d.score for n in numbers for d in n.distribution})
    slot = {score: index for index, score in enumerate(scores)}
    width = 0.8 / len(numbers)
    most = 0
    for index, n in enumerate(numbers):
        offset = (index - (len(numbers) - 1) / 2) * width
        counts = [d.count for d in n.distribution]
        bars = axis.bar([slot[d.score] + offset for d in n.distribution], counts, width, label=n.name)
        if len(numbers) * len(scores) <= 40:
            axis.bar_label(bars, labels=[str(c) for c in counts], fontsize="x-small", padding=1)
        most = max([most, *counts])
    axis.set_xticks(range(len(scores)), [f"{score:g}" for score in scores])
    _integer_counts(axis, most)
    axis.set_title("score distributions (votes per score, whole range)", loc="left", fontsize="medium")
    axis.set_xlabel("score")
    axis.set_ylabel("votes")
    _legend(axis)


def _empty_panel(axis: Axes) -> None:
    axis.text(0.5, 0.5, "no time series (--interval) and no ratings to draw", ha="center", va="center")
    axis.set_axis_off()


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


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
        _plain_preview(trace.request_preview),
        _plain_preview(trace.response_preview),
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


def _plain_preview(preview: str) -> str:
    """A preview as text: MLflow keeps a string request or response JSON-encoded ('"Hello"'), cut
    short when long; objects and other text stay as they are."""
    if not preview.startswith('"'):
        return preview
    # Whole; cut short; cut short inside an escape sequence.
    for candidate in (preview, preview + '"', _PARTIAL_ESCAPE.sub("", preview) + '"'):
        try:
            text = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(text, str):
            return text
    return preview


_PARTIAL_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{0,3})?$")


def _timestamp(moment: datetime) -> Any:
    from google.protobuf import timestamp_pb2

    return timestamp_pb2.Timestamp(seconds=int(moment.timestamp()), nanos=moment.microsecond * 1000)


if __name__ == "__main__":
    sys.exit(main())
