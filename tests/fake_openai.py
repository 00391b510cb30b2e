"""A local server that speaks the OpenAI streaming chat-completions wire format (SSE), as vLLM,
Ollama and LiteLLM do, scripted per test. It records the requests it gets and notices when the
client hangs up mid-stream."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self):
        self.requests: list[dict] = []
        self.chunks: list[str] = ["Hello", ",", " world", "!"]
        self.usage = {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15}
        self.finish_reason = "stop"
        self.status = 200  # set to 429 or 500 to fail the request
        self.chunk_delay = 0.0
        self.disconnected = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}
                fake.requests.append(
                    {"path": self.path, "auth": headers.get("authorization"), "headers": headers, "body": body}
                )
                if fake.status != 200:
                    payload = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
                    self.send_response(fake.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                try:
                    for index, text in enumerate(fake.chunks):
                        last = index == len(fake.chunks) - 1
                        self._event(
                            {
                                "choices": [
                                    {
                                        "index": 0,
                                        "delta": {"content": text},
                                        "finish_reason": fake.finish_reason if last else None,
                                    }
                                ]
                            }
                        )
                        if fake.chunk_delay:
                            time.sleep(fake.chunk_delay)  # ok: a slow model
                    self._event({"choices": [], "usage": fake.usage})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    fake.disconnected.set()
                self.close_connection = True

            def _event(self, data: dict) -> None:
                chunk = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "fake-model",
                    **data,
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        # shutdown() returns once serve_forever notices it: at its next poll (0.5 s by default)
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()
