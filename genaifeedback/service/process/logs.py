"""Where the process's log records go: text lines (the default) or, with `--log-format json`, one
JSON object per line for every record, the service's and its libraries' alike.

The JSON formatter is the standard library's, with a few lines of our own rather than a library
such as python-json-logger: that one copies every `extra` attribute of a record into the line by
default, and what reaches a line must be chosen, not whatever a call site happens to attach (user
text must never be logged). Here a line holds the record's time, level, logger and message, its
traceback if any, and the named fields a record carries in `fields` (the access line's, see
transport/access_log.py), nothing else.
"""

import faulthandler
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

logger = logging.getLogger("genaifeedback.service")

FIELDS_ATTRIBUTE = "fields"  # logger.info(..., extra={"fields": {...}}): a line's named fields
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_json_lines = False  # set by configure: how `say` writes


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (json.dumps escapes newlines inside values)."""

    def __init__(self, static: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._static = dict(static or {})  # the same in every line, e.g. the worker's index

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self._static,
        }
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update((key, value) for key, value in fields.items() if key not in line)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str, log_format: Literal["text", "json"], worker: int | None = None) -> None:
    """The process's one handler, on stderr, replacing any configured before."""
    global _json_lines
    _json_lines = log_format == "json"
    handler = logging.StreamHandler(sys.stderr)
    if _json_lines:
        handler.setFormatter(JsonFormatter({} if worker is None else {"worker": worker}))
        logging.captureWarnings(True)  # Python's warnings too, as records, not bare lines on stderr
    else:
        prefix = "" if worker is None else f"worker-{worker} "
        handler.setFormatter(logging.Formatter(TEXT_FORMAT.replace("%(name)s", prefix + "%(name)s")))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # A crash inside a C extension (gRPC's core, SQLite, psycopg) leaves every thread's Python stack on stderr.
    faulthandler.enable()


def say(line: str) -> None:
    """A line for the operator (the start-up banner): printed as it is in text mode, a log record in
    JSON mode, where every line of output is an object."""
    if _json_lines:
        logger.info(line)
    else:
        print(line, flush=True)
