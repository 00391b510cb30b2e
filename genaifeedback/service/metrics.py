"""Prometheus metrics: what an operator watches (README, "Operating it", has the alerts).

Each app has its own registry (several replicas can run in one process, as in the tests), served
on its own port by `--metrics-address`.
"""

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

PREFIX = "genaifeedback"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.journal_traces = Gauge(
            f"{PREFIX}_journal_traces", "Traces journaled and not yet confirmed by MLflow", registry=r
        )
        self.journal_oldest_age = Gauge(
            f"{PREFIX}_journal_oldest_age_seconds",
            "Age of the oldest journaled trace, or feedback for a known trace, MLflow has not confirmed",
            registry=r,
        )
        self.feedback_pending = Gauge(
            f"{PREFIX}_feedback_pending", "Feedback journaled and not yet in MLflow", registry=r
        )
        self.feedback_settled = Counter(
            f"{PREFIX}_feedback_settled", "Feedback units that left PENDING, by final state", ["state"], registry=r
        )
        self.exporter_backlog = Gauge(
            f"{PREFIX}_exporter_backlog", "Finished chats whose traces MLflow has not confirmed", registry=r
        )
        self.exporter_restarts = Counter(
            f"{PREFIX}_exporter_restarts", "Times the trace exporter crashed and was restarted", registry=r
        )
        self.traces_stored = Counter(f"{PREFIX}_traces_stored", "Traces MLflow confirmed", registry=r)
        self.traces_rejected = Counter(
            f"{PREFIX}_traces_rejected", "Traces MLflow refused (HTTP 400/413), not stored", registry=r
        )
        self.export_batch_traces = Histogram(
            f"{PREFIX}_export_batch_traces",
            "Traces per OTLP batch",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=r,
        )
        self.export_batch_seconds = Histogram(
            f"{PREFIX}_export_batch_seconds", "Time MLflow took to store a batch", registry=r
        )
        self.mlflow_call_seconds = Histogram(
            f"{PREFIX}_mlflow_call_seconds", "MLflow call latency", ["call"], registry=r
        )
        self.feedback_round_units = Histogram(
            f"{PREFIX}_feedback_round_units",
            "Feedback units one attach round wrote",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.feedback_traces_read = Counter(
            f"{PREFIX}_feedback_traces_read",
            "Traces the feedback engine read from MLflow (before writing to an unknown trace, or to check votes)",
            registry=r,
        )
        self.mlflow_errors = Counter(
            f"{PREFIX}_mlflow_errors", "Failed MLflow calls, by call and kind", ["call", "kind"], registry=r
        )
        self.rpcs = Counter(
            f"{PREFIX}_rpcs", "Finished RPCs, by method and status code", ["method", "code"], registry=r
        )
        # Unary calls take milliseconds, chats and streams up to their time limit (600 s by default).
        self.rpc_seconds = Histogram(
            f"{PREFIX}_rpc_duration_seconds",
            "RPC latency, from the call scope's start to its status, by method and status code",
            ["method", "code"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self._rpc_series: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self.chats_started = Counter(
            f"{PREFIX}_chats_started", "Chats that started generating (each is a trace)", registry=r
        )
        self.open_streams = Gauge(f"{PREFIX}_open_chat_streams", "Chat calls in progress", registry=r)
        self.auth_failures = Counter(
            f"{PREFIX}_auth_failures",
            "Calls refused before their handler: credentials missing, invalid or expired, scope or source not "
            "granted; by reason",
            ["reason"],
            registry=r,
        )
        self.rate_limited = Counter(
            f"{PREFIX}_rate_limited",
            "Calls refused RESOURCE_EXHAUSTED by a rate limit of the service's own, by the limit: principal "
            "(calls per scope), user (feedback token user's writes), trace (writes per trace), streams (open streams)",
            ["limit"],
            registry=r,
        )
        # Labelled by file, so a plaintext service exports no sample (a 0 would look like an expired certificate).
        self.tls_certificate_expiry = Gauge(
            f"{PREFIX}_tls_certificate_expiry_seconds",
            "Seconds until the serving certificate that new connections get expires (negative: expired)",
            ["file"],
            registry=r,
        )

    def rpc_series(self, method: str, code: str) -> tuple[Counter, Histogram]:
        """The RPC count and latency series of (method, code): looked up once, as every call ends in one."""
        series = self._rpc_series.get((method, code))
        if series is None:
            series = self._rpc_series[method, code] = (
                self.rpcs.labels(method=method, code=code),
                self.rpc_seconds.labels(method=method, code=code),
            )
        return series

    def watch(self, gauge: Gauge, read: Callable[[], float]) -> None:
        gauge.set_function(read)

    def serve(self, address: str) -> int:
        """Serve /metrics on host:port (port 0: any free one); returns the port."""
        host, _, port = address.rpartition(":")
        server, _ = start_http_server(int(port), addr=host or "127.0.0.1", registry=self.registry)
        return server.server_port
