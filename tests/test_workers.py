"""`--workers 2`: two server processes on one port (SO_REUSEPORT), each with its own exporter and
journal (or, on PostgreSQL, sharing one); both serve, everything lands in MLflow, and SIGTERM stops
them all cleanly."""

import os
import signal
import socket
import time
from pathlib import Path

import grpc
import httpx
import pytest

from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.workers import reserve_port, worker_settings
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc
from processes import ServiceProcess, free_port
from support import assessments

pytestmark = pytest.mark.slow  # service processes with workers, killed and signalled

CONNECTIONS = 16  # the kernel hashes each connection to a worker: all 16 on one has odds 2 in 65536


def two_free_ports() -> int:
    """A port P with P + 1 free too (worker i serves metrics on P + i)."""
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                    return port
                except OSError:
                    continue


def chats_started(metrics_port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith("genaifeedback_chats_started_total ")]
    return float(line.split()[1])


def test_two_workers_share_the_port_both_serve_and_everything_lands(deployment, tmp_path):
    """On both setups (setups.py)."""
    metrics_port = two_free_ports()
    replica = deployment.process(
        tmp_path / "replica", "workers", workers=2, metrics_address=f"127.0.0.1:{metrics_port}"
    ).start()
    replica.wait_for_log("serving on", count=2)  # the health check answered for the first worker up
    channels = [
        grpc.insecure_channel(replica.target, options=[("grpc.use_local_subchannel_pool", 1)])  # one connection each
        for _ in range(CONNECTIONS)
    ]
    try:
        sent: dict[str, str] = {}  # trace id -> feedback request id
        for index, channel in enumerate(channels):
            chat = chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message=f"q{index}"), timeout=30)
            events = list(chat)
            trace_id = events[-1].finished.trace_id
            reply = feedback_pb2_grpc.FeedbackServiceStub(channel).SubmitFeedback(
                feedback_pb2.SubmitFeedbackRequest(
                    trace_id=trace_id, name="thumbs", bool_value=True, request_id=f"w-{index}", wait_until_stored=True
                ),
                timeout=60,
            )
            assert reply.state == feedback_pb2.FEEDBACK_STATE_STORED
            sent[trace_id] = reply.assessment_id
        # Both processes took chats: each counts its own on its own metrics port.
        assert chats_started(metrics_port) > 0 and chats_started(metrics_port + 1) > 0
        assert chats_started(metrics_port) + chats_started(metrics_port + 1) == CONNECTIONS
        # Each worker journals in its own folder (worker 0 in --data-dir, as a single process would), or
        # both in the shared journal, nothing on disk.
        journals = {path.relative_to(replica.data_dir).as_posix() for path in replica.data_dir.rglob("journal.db")}
        assert journals == ({"journal.db", "worker-1/journal.db"} if deployment.journal_on_disk else set())
        for trace_id, assessment_id in sent.items():
            [stored] = assessments(deployment.client, trace_id, "thumbs")
            assert stored.assessment_id == assessment_id and stored.value is True
    finally:
        for channel in channels:
            channel.close()
    assert replica.terminate() == 0  # SIGTERM to the group: every worker drains and stops
    assert not lingering_in_group(replica.process.pid), "a worker outlived the service"


def lingering_in_group(pgid: int, grace_seconds: float = 5.0) -> list[str]:
    """The group's processes still alive `grace_seconds` after the service exited. Multiprocessing's
    resource tracker leaves on its own once the service's end closes its pipe: a moment later."""
    give_up = time.monotonic() + grace_seconds
    while (alive := live_processes_in_group(pgid)) and time.monotonic() < give_up:
        time.sleep(0.05)  # ok: polling an outcome: processes exiting
    return alive


def live_processes_in_group(pgid: int) -> list[str]:
    """Command lines of the processes of a process group still running (zombies excepted)."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text() if entry.name.isdigit() else ""
            fields = stat.rsplit(")", 1)[1].split() if stat else []
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
                found.append(Path(f"/proc/{entry.name}/cmdline").read_text().replace("\0", " "))
        except OSError:
            continue
    return found


def test_a_worker_that_dies_stops_the_others_and_the_service_exits_1(mlflow_server, tmp_path):
    replica = ServiceProcess(mlflow_server.url, tmp_path / "replica", "workers-crash", workers=2).start()
    workers = [  # the supervisor's spawned children (not multiprocessing's resource tracker)
        int(entry.name)
        for entry in os.scandir("/proc")
        if entry.name.isdigit() and _stat(entry.name)[1:2] == [str(replica.process.pid)] and _spawned(entry.name)
    ]
    assert len(workers) == 2
    os.kill(workers[1], signal.SIGKILL)  # a crash of one worker
    assert replica.process.wait(60) == 1  # the supervisor stopped the other and says it failed
    assert not lingering_in_group(replica.process.pid)


def _stat(pid: str) -> list[str]:
    """State, parent pid, process group... of a process ([] if it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _spawned(pid: str) -> bool:
    try:
        return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def test_each_worker_gets_the_shared_port_its_own_folder_and_metrics_port(tmp_path):
    settings = Settings(
        listen_address="127.0.0.1:0", data_dir=tmp_path / "data", metrics_address="127.0.0.1:9464", workers=3
    )
    holder, port = reserve_port(settings.listen_address)
    assert holder is not None and port > 0  # held meanwhile, so no other process takes it
    try:
        first, third = worker_settings(settings, 0, port), worker_settings(settings, 2, port)
        assert first.listen_address == third.listen_address == f"127.0.0.1:{port}"
        assert (first.data_dir, third.data_dir) == (tmp_path / "data", tmp_path / "data" / "worker-2")
        assert (first.metrics_address, third.metrics_address) == ("127.0.0.1:9464", "127.0.0.1:9466")
        assert not first.embedded_mlflow and not third.embedded_mlflow  # the supervisor runs it
    finally:
        holder.close()
    fixed = free_port()
    assert reserve_port(f"127.0.0.1:{fixed}") == (None, fixed)  # a fixed, free port needs no holding


def test_workers_refuse_a_port_another_server_listens_on():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{port}: the address is in use"):
            reserve_port(f"127.0.0.1:{port}")
