"""Acknowledgement benchmark (`make bench-ack`): SubmitFeedback's answer (journaled, PENDING) under ghz,
a load generator that costs the service nothing, against a bare grpc.aio unary echo with the same
message sizes (bench/echo_server.py), and the service with its mesh security all on against its
defaults. One MLflow server (SQLite, one worker) behind both service configurations.

  echo      bench/echo_server.py: SubmitFeedback answers PENDING at once; no journal, nothing else.
  default   feedback-service on its defaults (no TLS, no identity, no limits).
  tls       the same with mutual TLS only: what TLS costs, apart from the checks below.
  secure    the same with mutual TLS, JWT caller identity (ES256, a JWKS file), a policy file, feedback
            tokens (each call carries its answer's token: 32 answers, so a token is seen again, as an
            answer's vote, changed vote and rating each carry it) and the three rate limits set high
            enough never to refuse: every check runs, none refuses. What a token's first use costs
            (a signature check; later uses skip it) and the limits' bookkeeping by how many traces
            are written to are printed separately (in-process).

Each level (concurrency 1 and 32) runs the four systems alternately for `--rounds` rounds of ghz;
per system: requests/s, p50 and p99 (ghz's own figures, merged as medians of the rounds), and the
ratios the targets name (default against echo; secure against default, and TLS alone against
default). Then the secure service's peak memory with 500 open chat streams. Every call must
succeed (ghz counts errors; any is printed).

It prints figures and ratios; it asserts nothing. Run: `.venv/bin/python bench/ack.py [--quick]`.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO / "tests")]
from auth_support import AUDIENCE, ISSUER, SigningKey, write_jwks, write_policy  # noqa: E402
from benchmark import fmt, free_port, group_cpu_seconds, machine_info  # noqa: E402
from durability import Service  # noqa: E402
from test_tls import issue, make_ca  # noqa: E402

from limits.aio.storage import MemoryStorage  # noqa: E402

from genaifeedback.service.domain.feedback_tokens import FeedbackTokens  # noqa: E402
from genaifeedback.service.domain.rate_limits import RateLimits  # noqa: E402
from genaifeedback.service.domain.token_keys import TokenKeys  # noqa: E402
from genaifeedback.service.domain.window_counts import Counts, SharedCounts, WindowCounts  # noqa: E402
from genaifeedback.service.metrics import Metrics  # noqa: E402
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.service.transport.auth.jwt_identity import JwksFile, JwtIdentity  # noqa: E402
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc  # noqa: E402

GHZ = Path(os.environ.get("GHZ") or REPO / ".tools/bin/ghz")
METHOD = "genaifeedback.v1.FeedbackService/SubmitFeedback"
HIGH_LIMIT = "100000000/minute"  # checked on every call, never reached
TRACES = 32  # chats whose traces the feedback is spread over, one rater each


class Secure:
    """The files and credentials of the secure configuration: a PKI, a JWKS, a policy, token keys."""

    def __init__(self, folder: Path):
        server_ca, client_ca = make_ca("bench server CA"), make_ca("bench client CA")
        server, self.client = issue(server_ca, "feedback-service", server=True), issue(client_ca, "bench", server=False)
        self.files = {name: folder / name for name in ("server.crt", "server.key", "client-ca.crt", "ca.crt",
                                                        "client.crt", "client.key", "jwks.json", "policy.toml",
                                                        "token-keys.toml")}  # fmt: skip
        for name, content in (("server.crt", server.cert), ("server.key", server.key), ("ca.crt", server_ca.cert),
                              ("client-ca.crt", client_ca.cert), ("client.crt", self.client.cert),
                              ("client.key", self.client.key)):  # fmt: skip
            self.files[name].write_bytes(content)
        self.server_ca = server_ca
        key = SigningKey("bench-1")
        write_jwks(self.files["jwks.json"], key)
        self.jwt = key.token("backend", expires_in=3600)
        write_policy(self.files["policy.toml"], {"backend": {"scopes": {"chat", "feedback:write", "feedback:read"}}})
        self.files["token-keys.toml"].write_text(f'[[keys]]\nid = "bench"\nsecret = "{os.urandom(32).hex()}"\n')

    def tls_flags(self) -> dict[str, str]:
        """Mutual TLS and nothing else (no caller identity: loopback)."""
        f = self.files
        return {
            "tls_cert_file": f["server.crt"], "tls_key_file": f["server.key"], "tls_client_ca_file": f["client-ca.crt"],
            "health_address": f"127.0.0.1:{free_port()}",
        }  # fmt: skip

    def flags(self) -> dict[str, str]:
        f = self.files
        return {
            **self.tls_flags(),
            "identity_mode": "jwt", "jwt_jwks_file": f["jwks.json"], "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE,
            "policy_file": f["policy.toml"], "feedback_token_keys_file": f["token-keys.toml"],
            "rate_limit_per_principal": HIGH_LIMIT, "rate_limit_per_token_user": HIGH_LIMIT,
            "rate_limit_per_trace": HIGH_LIMIT, "max_open_streams_per_principal": 1000,
        }  # fmt: skip

    def channel(self, address: str) -> grpc.aio.Channel:
        credentials = grpc.ssl_channel_credentials(self.server_ca.cert, self.client.key, self.client.cert)
        return grpc.aio.secure_channel(address, credentials)

    def ghz_flags(self, with_jwt: bool = True) -> list[str]:
        f = self.files
        tls = ["--cacert", str(f["ca.crt"]), "--cert", str(f["client.crt"]), "--key", str(f["client.key"]),
               "--cname", "localhost"]  # fmt: skip
        return tls + (["-m", json.dumps({"authorization": f"Bearer {self.jwt}"})] if with_jwt else [])


async def chats(address: str, secure: Secure | None, count: int) -> list[chat_pb2.ChatFinished]:
    """`count` chats, one user each: real traces (and feedback tokens) to send feedback on."""
    channel = secure.channel(address) if secure else grpc.aio.insecure_channel(address)
    metadata = (("authorization", f"Bearer {secure.jwt}"),) if secure else ()
    finished = []
    async with channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        for n in range(count):
            request = chat_pb2.ChatRequest(message="rate me", user_id=f"bench-user-{n}")
            async for event in stub.Chat(request, metadata=metadata):
                if event.HasField("finished"):
                    finished.append(event.finished)
    return finished


def feedback_requests(finished: list[chat_pb2.ChatFinished], with_tokens: bool) -> list[dict]:
    """One request per chat, sent round robin: its user's vote, by token or by the same source."""
    requests = []
    for n, chat in enumerate(finished):
        request: dict = {"trace_id": chat.trace_id, "name": "user_feedback", "bool_value": True, "request_id": "REQUEST_ID"}
        if with_tokens:
            request["feedback_token"] = chat.feedback_token
        else:
            request["source"] = {"type": "SOURCE_TYPE_HUMAN", "id": f"bench-user-{n}"}
        requests.append(request)
    return requests


def ghz(address: str, data: list[dict], concurrency: int, total: int, tls: list[str] | None) -> dict:
    """One ghz run over reflection; returns its JSON report."""
    # ghz sends the requests round robin and fills in {{newUUID}} per call: every call is a new action.
    body = json.dumps(data).replace('"REQUEST_ID"', '"{{newUUID}}"')
    args = [str(GHZ), *(tls or ["--insecure"]), "--call", METHOD, "-d", body, "-c", str(concurrency),
            "-n", str(total), "--connections", "1", "-O", "json", address]  # fmt: skip
    run = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        raise RuntimeError(f"ghz failed on {address}: {run.stderr.strip()[:500]}")
    report = json.loads(run.stdout)
    errors = {k: v for k, v in (report.get("statusCodeDistribution") or {}).items() if k != "OK"}
    if errors:
        print(f"  ghz errors on {address}: {errors} {list((report.get('errorDistribution') or {}).items())[:3]}")
    return report


def latency_ms(report: dict, percent: int) -> float:
    for entry in report["latencyDistribution"]:
        if entry["percentage"] == percent:
            return entry["latency"] / 1e6  # ghz reports nanoseconds
    raise KeyError(percent)


def verification_costs(folder: Path) -> None:
    """What the secure path's two signature checks cost in this process: a token's first use, and later."""
    keys_file = folder / "token-keys.toml"
    tokens = FeedbackTokens(TokenKeys(keys_file), 3600, lambda: ["user_feedback"])
    key = SigningKey("cost")
    identity = JwtIdentity(JwksFile(write_jwks(folder / "cost-jwks.json", key), ["ES256"]), ISSUER, AUDIENCE, 30)
    print("\n# Signature checks in-process (us per call): first use of a token / a token seen before")
    for name, mint, verify in (
        ("feedback token (HS256)", lambda n: tokens.issue("tr-" + f"{n:032x}", f"user-{n}").token, tokens.verify),
        ("caller JWT (ES256)", lambda n: key.token(f"svc-{n}"), identity.verify),
    ):
        fresh = [mint(n) for n in range(300)]
        started = time.perf_counter()
        for token in fresh:
            verify(token)
        first = (time.perf_counter() - started) / len(fresh) * 1e6
        started = time.perf_counter()
        for _ in range(10):
            for token in fresh:
                verify(token)
        print(f"{name:24} {first:7.1f} / {(time.perf_counter() - started) / (10 * len(fresh)) * 1e6:5.1f}")


def limit_costs() -> None:
    """What the three rate limits' bookkeeping costs a feedback write in this process, by how many
    traces (and token users) are written to within a window: limits' own async memory storage,
    which walks every key on each hit, against this service's (window_counts.py)."""
    print("\n# Rate limit bookkeeping in-process (us per feedback write: per principal, per user, per trace)")
    print(f"{'traces in a window':>20} {'limits MemoryStorage':>21} {'WindowCounts':>13}")

    async def per_call(counts: Counts, traces: int) -> float:
        limits = RateLimits(counts, HIGH_LIMIT, None, HIGH_LIMIT, HIGH_LIMIT, 0, Metrics())
        calls = 10_000
        started = time.perf_counter()
        for n in range(calls):
            await limits.call("backend", "feedback:write")
            await limits.feedback_write(f"user-{n % traces}", f"trace-{n % traces}")
            await asyncio.sleep(0)  # each call is its own task: the event loop runs between them
        return (time.perf_counter() - started) / calls * 1e6

    for traces in (32, 2_000, 20_000):
        library, ours = asyncio.run(per_call(SharedCounts(MemoryStorage()), traces)), asyncio.run(per_call(WindowCounts(), traces))
        print(f"{traces:>20,} {library:21.1f} {ours:13.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per level (default 5)")
    parser.add_argument("--calls", type=lambda s: [int(x) for x in s.split(",")], default=[2000, 20000],
                        help="calls per round at concurrency 1 and 32 (default 2000,20000)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="2 rounds of 300 and 3000 calls")
    parser.add_argument("--streams", type=int, default=500, help="open chat streams for the memory figure (0: skip)")
    parser.add_argument("--mlflow-command", default=os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND", "mlflow"))
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.calls = 2, [300, 3000]
    if not GHZ.exists():
        print(f"no ghz at {GHZ}: `make bench-ack` installs it")
        return 2
    print(json.dumps(machine_info(args.mlflow_command)))
    work = Path(tempfile.mkdtemp(prefix="ack-bench-"))
    mlflow = EmbeddedMlflowServer(args.mlflow_command, "127.0.0.1", free_port(), work / "mlflow",
                                  log_path=work / "mlflow.log")  # fmt: skip
    (work / "mlflow").mkdir()
    (work / "default").mkdir()
    (work / "secure").mkdir()
    (work / "tls").mkdir()
    secure = Secure(work / "secure")
    echo_port = free_port()
    echo = subprocess.Popen([sys.executable, str(BENCH / "echo_server.py"), "--port", str(echo_port)],
                            start_new_session=True)  # fmt: skip
    services: list[Service] = []
    try:
        mlflow.start()
        default = Service(mlflow.url, work / "default")
        hardened = Service(mlflow.url, work / "secure", **secure.flags())
        tls_only = Service(mlflow.url, work / "tls", **secure.tls_flags())
        services += [default, hardened, tls_only]
        for service in services:
            service.start()
        plain = feedback_requests(asyncio.run(chats(default.address, None, TRACES)), with_tokens=False)
        tokened = feedback_requests(asyncio.run(chats(hardened.address, secure, TRACES)), with_tokens=True)
        tls_plain = feedback_requests(asyncio.run(chats(tls_only.address, secure, TRACES)), with_tokens=False)
        systems = {"echo": (f"127.0.0.1:{echo_port}", plain, None), "default": (default.address, plain, None),
                   "tls": (tls_only.address, tls_plain, secure.ghz_flags(with_jwt=False)),
                   "secure": (hardened.address, tokened, secure.ghz_flags())}  # fmt: skip
        pgids = {"echo": echo.pid, "default": default.process.pid, "tls": tls_only.process.pid,
                 "secure": hardened.process.pid}  # fmt: skip
        for address, data, tls in systems.values():  # warm-up: connections, caches, the journal's file
            ghz(address, data, 8, 200, tls)
        results: dict[int, dict[str, list[dict]]] = {}
        for concurrency, calls in zip((1, 32), args.calls, strict=True):
            results[concurrency] = {name: [] for name in systems}
            for _ in range(args.rounds):
                for name, (address, data, tls) in systems.items():
                    cpu = group_cpu_seconds(pgids[name])
                    report = ghz(address, data, concurrency, calls, tls)
                    # The server's CPU per call, background delivery included: ghz's own (TLS too) is not in it.
                    report["cpu_ms"] = (group_cpu_seconds(pgids[name]) - cpu) / calls * 1000
                    results[concurrency][name].append(report)
        print(f"\n# SubmitFeedback acknowledgement under ghz ({args.rounds} alternating rounds; medians)")
        print(f"{'c':>3} {'system':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'server CPU ms/call':>19}")
        figures: dict[tuple[int, str], dict[str, float]] = {}
        for concurrency, by_system in results.items():
            for name, reports in by_system.items():
                figure = {
                    "rps": statistics.median(r["rps"] for r in reports),
                    "p50": statistics.median(latency_ms(r, 50) for r in reports),
                    "p99": statistics.median(latency_ms(r, 99) for r in reports),
                    "cpu": statistics.median(r["cpu_ms"] for r in reports),
                }
                figures[concurrency, name] = figure
                print(f"{concurrency:>3} {name:8} {figure['rps']:8.0f} {fmt(figure['p50'], 2):>8} {fmt(figure['p99'], 2):>8} {figure['cpu']:19.3f}")
        print("\n# Ratios")
        for concurrency in results:
            echo_f, default_f, tls_f, secure_f = (figures[concurrency, n] for n in ("echo", "default", "tls", "secure"))
            print(f"c={concurrency}: default/echo req/s {default_f['rps'] / echo_f['rps']:.2f}x; "
                  f"secure/default req/s {secure_f['rps'] / default_f['rps']:.2f}x "
                  f"(TLS alone {tls_f['rps'] / default_f['rps']:.2f}x; secure/tls {secure_f['rps'] / tls_f['rps']:.2f}x); "
                  f"secure - default p50 {secure_f['p50'] - default_f['p50']:+.2f} ms "
                  f"(TLS alone {tls_f['p50'] - default_f['p50']:+.2f} ms)")  # fmt: skip
        verification_costs(work / "secure")
        limit_costs()
        if args.streams:
            (work / "streams").mkdir()
            slow = Service(mlflow.url, work / "streams", **secure.flags(), demo_token_delay_ms=60_000)
            services.append(slow)
            slow.start()
            peak = asyncio.run(open_streams(slow, secure, args.streams))
            print(f"\nsecure service VmHWM with {args.streams} open chat streams: {peak:.0f} MB (target < 200 MB)")
    finally:
        for service in services:
            if getattr(service, "process", None) is not None:
                service.stop()
        os.killpg(echo.pid, signal.SIGTERM)
        echo.wait(30)
        mlflow.stop()
    return 0


async def open_streams(service: Service, secure: Secure, count: int) -> float:
    """Open `count` chats at once over mutual TLS (a slow demo generator keeps them open); the peak RSS."""
    async with secure.channel(service.address) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        metadata = (("authorization", f"Bearer {secure.jwt}"),)
        calls = [stub.Chat(chat_pb2.ChatRequest(message=f"stream {n}"), metadata=metadata, timeout=120) for n in range(count)]
        for call in calls:
            await call.read()  # the started event: the stream is open on the server
        peak = service.peak_rss_mb()
        for call in calls:
            call.cancel()
        return peak


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"\n(ran {time.monotonic() - started:.0f} s)")
    sys.exit(code)
