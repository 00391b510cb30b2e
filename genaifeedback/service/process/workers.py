"""Several server processes on one port (--workers): the kernel spreads connections over them; a
supervisor starts them, stops them together, and reports one that ends on its own."""

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
from collections.abc import Callable
from types import FrameType

from genaifeedback.service.process import logs
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.listeners import BINDABLE, bind_failure
from genaifeedback.service.process.server import FeedbackApp, serve
from genaifeedback.service.storage.journal import JournalError

logger = logging.getLogger(__name__)


def worker_settings(settings: Settings, index: int, port: int) -> Settings:
    """Worker `index`'s settings: the shared port, its own data folder (worker 0 keeps --data-dir,
    so a replica's journal stays where it was) and its own metrics port."""
    host = settings.listen_address.rsplit(":", 1)[0]
    metrics = settings.metrics_address
    if metrics:
        metrics_host, _, metrics_port = metrics.rpartition(":")
        metrics = f"{metrics_host}:{int(metrics_port) + index if int(metrics_port) else 0}"
    return settings.model_copy(
        update={
            "listen_address": f"{host}:{port}",
            "data_dir": settings.data_dir if index == 0 else settings.data_dir / f"worker-{index}",
            "metrics_address": metrics,
            "embedded_mlflow": False,
        }
    )


def _run_worker(settings: Settings, index: int, on_started: Callable[[FeedbackApp], None]) -> None:
    logs.configure(settings.log_level, settings.log_format, worker=index)
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the worker's own handlers were in place
        try:
            asyncio.run(serve(settings, on_started if index == 0 else lambda app: None))
        except JournalError as error:  # unreachable, or a schema from a newer version: one line, no traceback
            raise SystemExit(f"feedback-service: {error}") from None


def reserve_port(listen_address: str) -> tuple[socket.socket | None, int]:
    """The port the workers share; for port 0, a free one, held (bound, never listening) meanwhile."""
    host, _, port = listen_address.rpartition(":")
    if int(port):
        # The workers share the port with each other only: not with a server already on it.
        if (failure := bind_failure(listen_address)) != BINDABLE:
            raise SystemExit(f"feedback-service: cannot listen on {listen_address}: {failure}")
        return None, int(port)
    family, kind, _, _, address = socket.getaddrinfo(host.strip("[]"), 0, type=socket.SOCK_STREAM)[0]
    holder = socket.socket(family, kind)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(address)
    return holder, int(holder.getsockname()[1])


def run_workers(settings: Settings, on_started: Callable[[FeedbackApp], None]) -> int:
    """Start `settings.workers` server processes on one port; SIGTERM/SIGINT stop them all (each
    drains and stores its traces). If one exits on its own, the others are stopped too, and the
    exit status says so: the orchestrator restarts the replica as a whole."""
    holder, port = reserve_port(settings.listen_address)
    # spawn, not fork: a worker must not inherit another process's gRPC or event-loop state.
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_run_worker, args=(worker_settings(settings, index, port), index, on_started), name=f"worker-{index}"
        )
        for index in range(settings.workers)
    ]
    stopping = False

    def stop_all(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: the worker's own graceful stop

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_all)
    try:
        for worker in workers:
            worker.start()
        logger.info("%d workers on port %d: pids %s", len(workers), port, [w.pid for w in workers])
        first = multiprocessing.connection.wait([w.sentinel for w in workers])
        if not stopping:
            ended = next(w for w in workers if w.sentinel in first)
            logger.error("%s exited with %s: stopping the other workers", ended.name, ended.exitcode)
            stop_all()
        for worker in workers:
            worker.join()
    finally:
        if holder is not None:
            holder.close()
    failed = [w for w in workers if w.exitcode not in (0, -signal.SIGTERM)]
    return 0 if stopping and not failed else 1
