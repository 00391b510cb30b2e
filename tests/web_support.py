"""What tests/test_web.py drives the pages and Envoy with: headless Chromium (web/test/browser.mjs), a
gRPC-Web call made as a page makes it, and a relay that loses one answer on the way back."""

import base64
import contextlib
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import httpx
from google.rpc import error_details_pb2, status_pb2

from conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Page:
    def __init__(self, browser: "Browser", page_id: str):
        self._browser, self.id = browser, page_id

    def __getattr__(self, op):
        return lambda **args: self._browser.call(op, page=self.id, **args)

    def wait(self, expression: str, timeout_ms: float = 10_000):
        """Until the expression is truthy in the page (checked on every animation frame); its value."""
        return self._browser.call("waitFor", page=self.id, expression=expression, timeout=timeout_ms)

    def eval(self, expression: str):
        return self._browser.call("evaluate", page=self.id, expression=expression)


class Browser:
    """web/test/browser.mjs: playwright-core and Chromium, one JSON command and answer per line."""

    def __init__(self, log: Path):
        self._log = log
        with open(log, "wb") as errors:
            self._process = subprocess.Popen(
                ["node", str(ROOT / "web" / "test" / "browser.mjs")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, "CHROMIUM": CHROMIUM},
            )

    def call(self, op: str, **args):
        self._process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, f"the browser driver exited: {self._log.read_text()}"
        answer = json.loads(line)
        assert "error" not in answer, f"{op} {args}: {answer['error']}"
        return answer["ok"]

    def open(self, url: str) -> Page:
        return Page(self, self.call("open", url=url))

    def close(self) -> None:
        self._process.stdin.close()
        try:
            self._process.wait(20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def grpc_web(envoy_url: str, path: str, request, *, origin: str, token: str = "") -> tuple[int, list, list[bytes]]:
    """One unary or server-streaming gRPC-Web call through Envoy, as a page makes it: (grpc-status, the
    google.rpc.ErrorInfo details decoded from grpc-status-details-bin, the reply messages' bytes)."""
    body = request.SerializeToString()
    headers = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1", "origin": origin}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"{envoy_url}{path}", content=b"\0" + len(body).to_bytes(4, "big") + body, headers=headers, timeout=60
    )
    assert response.status_code == 200, (path, response.status_code, response.text)
    trailers, messages, data = dict(response.headers), [], response.content  # trailers-only: in the headers
    while data:
        flags, length = data[0], int.from_bytes(data[1:5], "big")
        frame, data = data[5 : 5 + length], data[5 + length :]
        if flags & 0x80:  # the trailers, as the last frame of the body
            trailers.update(line.split(":", 1) for line in frame.decode().split("\r\n") if line)
        else:
            messages.append(frame)
    trailers = {key.strip().lower(): value.strip() for key, value in trailers.items()}
    encoded = trailers.get("grpc-status-details-bin", "")
    status = status_pb2.Status.FromString(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    return int(trailers["grpc-status"]), infos, messages


_DATA, _HEADERS = 0x0, 0x1  # HTTP/2 frame types


class CuttingRelay:
    """A TCP relay between Envoy and the service. Once armed, it breaks the connection when the service
    answers the next call, keeping the reply message for the test: the call was served, and its answer
    lost on the way back, as in a network cut. It reads the service's HTTP/2 frames by their 9-byte
    headers only, and changes nothing it passes on."""

    def __init__(self, service_port: int):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._service_port = service_port
        self.armed, self.cut = threading.Event(), threading.Event()
        self.lost_reply = b""  # the serialized reply message that never reached Envoy
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                envoy, _ = self._listener.accept()
            except OSError:
                return  # closed
            service = socket.create_connection(("127.0.0.1", self._service_port))
            threading.Thread(target=self._requests, args=(envoy, service), daemon=True).start()
            threading.Thread(target=self._answers, args=(service, envoy), daemon=True).start()

    def _requests(self, envoy: socket.socket, service: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := envoy.recv(65536):
                service.sendall(data)
        _close(envoy, service)

    def _answers(self, service: socket.socket, envoy: socket.socket) -> None:
        cutting = 0  # the stream whose answer is being withheld
        with contextlib.suppress(OSError):
            while len(header := _read(service, 9)) == 9:
                payload = _read(service, int.from_bytes(header[:3], "big"))
                kind, stream = header[3], int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
                if not cutting and stream and kind == _HEADERS and self.armed.is_set():
                    cutting = stream
                if cutting and stream == cutting and kind == _DATA:
                    assert not header[4] & 0x8, "a padded DATA frame"  # gRPC servers do not pad
                    self.lost_reply = payload[5:]  # after gRPC's 5-byte message prefix
                    self.armed.clear()
                    self.cut.set()
                    break
                if not cutting:
                    envoy.sendall(header + payload)
        _close(service, envoy)


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size and (chunk := sock.recv(size - len(data))):
        data += chunk
    return data


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
