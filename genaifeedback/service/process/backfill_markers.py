"""`python -m genaifeedback.service.process.backfill_markers [--check] [service flags]`: set the
feedback marker right on every trace of the experiment, once, for feedback that came from before
the service kept it or was written straight to MLflow (docs/analytics.md#the-feedback-marker).

It takes the service's own flags and environment (`--mlflow-tracking-uri`, `--experiment-name`,
...), reads every trace info (about a minute per 100,000 traces), and sets or removes the marker
where it is wrong; `--check` only counts what it would change. Running it beside the service is
safe: a marker it removes is set again if feedback arrived meanwhile.
"""

import asyncio
import sys

from mlflow.utils.credentials import get_default_host_creds

from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.domain.feedback.markers import Backfill, FeedbackMarkers
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.process.config import Settings


async def backfill(settings: Settings, write: bool) -> Backfill:
    gateway = MlflowGateway(
        get_default_host_creds(settings.mlflow_tracking_uri),  # type: ignore[no-untyped-call]  # mlflow is untyped
        settings.experiment_name,
        settings.mlflow_request_timeout_seconds,
        settings.mlflow_max_concurrent_calls,
    )
    try:
        await gateway.connect(settings.mlflow_startup_timeout_seconds)
        return await FeedbackMarkers(gateway).backfill(write, lambda done: print(_line(done, write), flush=True))
    finally:
        await gateway.close()


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    write = "--check" not in args
    settings = Settings.from_command_line([a for a in args if a != "--check"])
    try:
        done = asyncio.run(backfill(settings, write))
    except MlflowUnavailable as error:
        raise SystemExit(f"backfill_markers: MLflow at {settings.mlflow_tracking_uri}: {error}") from None
    print(_line(done, write) + ("" if write else " (--check: nothing written)"))


def _line(done: Backfill, write: bool) -> str:
    verb = "" if write else "would be "
    return f"{done.read} traces read: {done.marked} {verb}marked, {done.unmarked} {verb}unmarked"


if __name__ == "__main__":
    main()
