"""The HTTP core: one async client for the tracking server, with MLflow's credentials, and the one
function every call goes through (`MlflowHttp.call`), which maps transport failures and HTTP
statuses to the domain's errors.

Async httpx rather than MLflow's synchronous clients: MLflow's client spends ~3.3 ms of CPU per
call (it re-resolves request-header providers on every call) and needs a thread each. Nothing is
retried here: retrying is the caller's decision.
"""

import ssl
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx
import requests
from google.protobuf.message import Message
from mlflow.utils.proto_json_utils import message_to_json, parse_dict
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.errors import MlflowUnavailable, TraceNotFound


class MlflowTimedOut(MlflowUnavailable):
    """MLflow did not answer in time; it may have done what was asked all the same."""


@dataclass(frozen=True)
class Refusal:
    """An answer other than 2xx: its status and, when MLflow wrote the body, its error code and message."""

    status: int
    error_code: str | None
    message: str

    @classmethod
    def of(cls, response: httpx.Response) -> "Refusal":
        try:
            answer = response.json()
            return cls(response.status_code, answer.get("error_code"), str(answer.get("message", "")))
        except (ValueError, AttributeError):  # not MLflow's JSON error body (a proxy's page, say)
            return cls(response.status_code, None, response.text)


# What one call makes of a refusal: its own error, or None for the default, MlflowUnavailable.
OnRefusal = Callable[[Refusal], Exception | None]


def missing_trace(refusal: Refusal) -> Exception | None:
    """MLflow's "does not exist" (the trace, or the assessment on it) as TraceNotFound."""
    return TraceNotFound(short(refusal.message)) if refusal.error_code == "RESOURCE_DOES_NOT_EXIST" else None


class MlflowHttp:
    def __init__(self, credentials: MlflowHostCreds, timeout_seconds: float, max_connections: int):
        verify: ssl.SSLContext | bool = not credentials.ignore_tls_verification
        if verify and credentials.server_cert_path:
            verify = ssl.create_default_context(cafile=credentials.server_cert_path)
        token = credentials.token and not credentials.username
        self._client = httpx.AsyncClient(
            base_url=credentials.host,
            timeout=timeout_seconds,
            # Idle connections are dropped before the server's own keep-alive timeout (uvicorn: 5 s)
            # would close them under a request in flight.
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=2.0
            ),
            auth=_auth(credentials),
            headers={"authorization": f"Bearer {credentials.token}"} if token else None,
            verify=verify,
            cert=credentials.client_cert_path,
        )

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
    ) -> httpx.Response:
        """Send one request (`message` as MLflow's JSON, or raw `content`) and return a 2xx answer.

        Raises MlflowTimedOut when MLflow did not answer in time, MlflowUnavailable when it could not
        be reached or refused the call, or what `on_refusal` makes of the refusal.
        """
        if message is not None:
            content = message_to_json(message).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        try:
            response = await self._client.request(
                method,
                path,
                content=content,
                headers=headers,
                params=params,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout_seconds is None else timeout_seconds,
            )
        except httpx.HTTPError as error:
            if isinstance(error, httpx.TimeoutException):
                raise MlflowTimedOut(f"MLflow did not answer in time: {type(error).__name__}") from error
            raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
        if response.is_success:
            return response
        refusal = Refusal.of(response)
        raise (on_refusal and on_refusal(refusal)) or MlflowUnavailable(
            f"MLflow answered HTTP {refusal.status}: {short(refusal.message)}"
        )

    async def close(self) -> None:
        await self._client.aclose()


def parsed(response: httpx.Response, into: Message) -> Any:
    """MLflow's JSON answer read into its protobuf message (for the entities built from those)."""
    parse_dict(response.json(), into)  # type: ignore[no-untyped-call]  # mlflow is untyped
    return into


def short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _RequestsAuth(httpx.Auth):
    """Runs a `requests` auth (MLflow's sigv4 and auth plugins are written for requests) on httpx requests."""

    requires_request_body = True

    def __init__(self, auth: Callable[[requests.PreparedRequest], requests.PreparedRequest]):
        self._auth = auth

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        prepared = requests.Request(
            request.method, str(request.url), headers=dict(request.headers), data=request.content
        ).prepare()
        prepared = self._auth(prepared)
        request.headers.update({k: v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()})
        yield request


def _auth(creds: MlflowHostCreds) -> httpx.Auth | None:
    """The same authentication MLflow's own client would use (mlflow.utils.rest_utils.http_request)."""
    if creds.aws_sigv4:
        from requests_auth_aws_sigv4 import AWSSigV4

        return _RequestsAuth(AWSSigV4("execute-api"))
    if creds.auth and creds.auth not in ("kubernetes", "kubernetes-namespaced"):
        from mlflow.tracking.request_auth.registry import fetch_auth

        return _RequestsAuth(fetch_auth(creds.auth))  # type: ignore[no-untyped-call]  # mlflow is untyped
    if creds.username and creds.password:
        return httpx.BasicAuth(creds.username, creds.password)
    return None
