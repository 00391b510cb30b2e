"""The HTTP core: one async client for the tracking server, with MLflow's credentials, and the one
function every call goes through (`MlflowHttp.call`), which maps transport failures and HTTP
statuses to the domain's errors.

aiohttp rather than MLflow's synchronous clients: MLflow's client spends ~3.3 ms of CPU per call (it
re-resolves request-header providers on every call) and needs a thread each; and rather than httpx,
with which the service spent a third more CPU per delivered feedback (docs/benchmarks.md, feedback
landing). Nothing is retried here: retrying is the caller's decision.
"""

import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import requests
from google.protobuf.message import Message
from mlflow.utils.proto_json_utils import message_to_json, parse_dict
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.errors import MlflowUnavailable, TraceNotFound


class MlflowTimedOut(MlflowUnavailable):
    """MLflow did not answer in time; it may have done what was asked all the same."""


@dataclass(frozen=True)
class Answer:
    """MLflow's answer, read whole."""

    status: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


@dataclass(frozen=True)
class Refusal:
    """An answer other than 2xx: its status and, when MLflow wrote the body, its error code and message."""

    status: int
    error_code: str | None
    message: str

    @classmethod
    def of(cls, response: Answer) -> "Refusal":
        try:
            answer = response.json()
            return cls(response.status, answer.get("error_code"), str(answer.get("message", "")))
        except (ValueError, AttributeError):  # not MLflow's JSON error body (a proxy's page, say)
            return cls(response.status, None, response.text)


# What one call makes of a refusal: its own error, or None for the default, MlflowUnavailable.
OnRefusal = Callable[[Refusal], Exception | None]


def missing_trace(refusal: Refusal) -> Exception | None:
    """MLflow's "does not exist" (the trace, or the assessment on it) as TraceNotFound."""
    return TraceNotFound(short(refusal.message)) if refusal.error_code == "RESOURCE_DOES_NOT_EXIST" else None


class MlflowHttp:
    def __init__(self, credentials: MlflowHostCreds, timeout_seconds: float, max_connections: int):
        self._base = credentials.host.rstrip("/")
        self._timeout = timeout_seconds
        self._max_connections = max_connections
        self._ssl = _ssl_context(credentials)
        # The environment as MLflow's client (requests) reads it, once rather than per request (aiohttp's
        # trust_env reads ~/.netrc and the proxy variables in a thread for every request).
        self._proxy = requests.utils.get_environ_proxies(self._base).get(urlsplit(self._base).scheme)
        self._sign = _request_signer(credentials)
        self._headers = _fixed_auth_headers(credentials, self._base, signed=self._sign is not None)
        self._session: aiohttp.ClientSession | None = None  # made on the first call, on the running loop

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                # Idle connections are dropped before the server's own keep-alive timeout (uvicorn: 5 s)
                # would close them under a request in flight.
                keepalive_timeout=2.0,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    async def call(
        self,
        method: str,
        path: str,
        message: Message | None = None,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        timeout_seconds: float | None = None,
        on_refusal: OnRefusal | None = None,
    ) -> Answer:
        """Send one request (`message` as MLflow's JSON, or raw `content`) and return a 2xx answer.

        Raises MlflowTimedOut when MLflow did not answer in time, MlflowUnavailable when it could not
        be reached or refused the call, or what `on_refusal` makes of the refusal.
        """
        if message is not None:
            content = message_to_json(message).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        url = self._base + path + (f"?{urlencode(params)}" if params else "")
        if self._sign is not None:
            headers = {**(headers or {}), **self._sign(method, url, headers or {}, content)}
        timeout = aiohttp.ClientTimeout(total=self._timeout if timeout_seconds is None else timeout_seconds)
        try:
            request = self._client().request(
                method, url, data=content, headers=headers, timeout=timeout, proxy=self._proxy
            )
            async with request as response:
                answer = Answer(response.status, await response.read())
        except TimeoutError as error:
            raise MlflowTimedOut("MLflow did not answer in time") from error
        except aiohttp.ClientError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
        if 200 <= answer.status < 300:
            return answer
        refusal = Refusal.of(answer)
        raise (on_refusal and on_refusal(refusal)) or MlflowUnavailable(
            f"MLflow answered HTTP {refusal.status}: {short(refusal.message)}"
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def parsed(response: Answer, into: Message) -> Any:
    """MLflow's JSON answer read into its protobuf message (for the entities built from those)."""
    parse_dict(response.json(), into)  # type: ignore[no-untyped-call]  # mlflow is untyped
    return into


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _ssl_context(creds: MlflowHostCreds) -> ssl.SSLContext | bool:
    """TLS as MLflow's own client would set it up: its CA bundle, its client certificate, or no check."""
    if creds.ignore_tls_verification:
        return False
    if not (creds.server_cert_path or creds.client_cert_path):
        return True  # the default context, per connection
    context = ssl.create_default_context(cafile=creds.server_cert_path)
    if creds.client_cert_path:
        context.load_cert_chain(creds.client_cert_path)  # requests' `cert`: one file with the certificate and key
    return context


# Headers for one request: (method, url, headers, body) -> the headers that authenticate it.
Authenticate = Callable[[str, str, dict[str, str], bytes | None], dict[str, str]]


def _fixed_auth_headers(creds: MlflowHostCreds, url: str, signed: bool) -> dict[str, str]:
    """The credentials that are the same on every request, as MLflow's own client sends them
    (mlflow.utils.rest_utils.http_request): a bearer token, or basic (given, or requests' ~/.netrc)
    unless a signer authenticates each request."""
    if creds.token and not creds.username:
        return {"authorization": f"Bearer {creds.token}"}
    if signed:
        return {}
    if creds.username and creds.password:
        return {"authorization": aiohttp.encode_basic_auth(creds.username, creds.password)}
    found = None if creds.token else requests.utils.get_netrc_auth(url)
    return {"authorization": aiohttp.encode_basic_auth(*found)} if found else {}


def _request_signer(creds: MlflowHostCreds) -> Authenticate | None:
    """MLflow's sigv4 or auth plugin: `requests` auths that sign each request, run on ours."""
    if creds.aws_sigv4:
        from requests_auth_aws_sigv4 import AWSSigV4

        return _requests_auth(AWSSigV4("execute-api"))
    if creds.auth and creds.auth not in ("kubernetes", "kubernetes-namespaced"):
        from mlflow.tracking.request_auth.registry import fetch_auth

        return _requests_auth(fetch_auth(creds.auth))  # type: ignore[no-untyped-call]  # mlflow is untyped
    return None


def _requests_auth(auth: Callable[[requests.PreparedRequest], requests.PreparedRequest]) -> Authenticate:
    """Run a `requests` auth on a request about to be sent, and keep the headers it sets."""

    def authenticate(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        prepared = auth(requests.Request(method, url, headers=headers, data=body).prepare())
        return {k: v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()}

    return authenticate
