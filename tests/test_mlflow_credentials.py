"""The service reaches MLflow with MLflow's own credentials (MLFLOW_TRACKING_USERNAME/PASSWORD or
_TOKEN, MLFLOW_TRACKING_SERVER_CERT_PATH, MLFLOW_TRACKING_CLIENT_CERT_PATH, as MlflowHostCreds holds
them), through the gateway's one HTTP core: checked against the tests' MLflow behind a proxy that
demands them, as an authenticating gateway in front of MLflow would."""

import asyncio
import base64
import ssl
from pathlib import Path

import httpx
import pytest
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from processes import FaultyProxy
from test_tls import issue, make_ca


def connect(credentials: MlflowHostCreds, experiment: str) -> str:
    async def scenario() -> str:
        gateway = MlflowGateway(credentials, experiment, 10, 2)
        try:
            return await gateway.connect(timeout_seconds=0)
        finally:
            await gateway.close()

    return asyncio.run(scenario())


def stored_experiment_id(mlflow_url: str, name: str) -> str:
    """What MLflow itself holds, asked directly."""
    answer = httpx.get(f"{mlflow_url}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name})
    return answer.raise_for_status().json()["experiment"]["experiment_id"]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("given", "required"),
    [
        ({"username": "svc", "password": "s3cret"}, basic("svc", "s3cret")),
        ({"token": "t0ken"}, "Bearer t0ken"),
    ],
    ids=["basic", "bearer"],
)
def test_the_gateway_authenticates_as_mlflows_client_would(mlflow_server, given, required):
    proxy = FaultyProxy(mlflow_server.url, required_authorization=required)
    try:
        name = f"credentials-{'-'.join(given)}"
        experiment_id = connect(MlflowHostCreds(proxy.url, **given), name)
        assert stored_experiment_id(mlflow_server.url, name) == experiment_id
        with pytest.raises(MlflowUnavailable, match="HTTP 401"):
            connect(MlflowHostCreds(proxy.url, username="svc", password="wrong"), name)
    finally:
        proxy.close()


def test_credentials_from_netrc_and_the_proxy_variables_count_as_for_mlflows_client(
    mlflow_server, tmp_path: Path, monkeypatch
):
    proxy = FaultyProxy(mlflow_server.url, required_authorization=basic("netrc-user", "netrc-pass"))
    try:
        (tmp_path / "netrc").write_text("machine 127.0.0.1 login netrc-user password netrc-pass\n")
        monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
        assert connect(MlflowHostCreds(proxy.url), "credentials-netrc") == stored_experiment_id(
            mlflow_server.url, "credentials-netrc"
        )
        # MLflow at a name only the proxy can reach: the gateway must go through HTTP_PROXY.
        monkeypatch.setenv("NETRC", str(tmp_path / "none"))
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        proxy.required_authorization = None
        assert connect(MlflowHostCreds("http://mlflow.invalid:5000"), "credentials-proxy") == stored_experiment_id(
            mlflow_server.url, "credentials-proxy"
        )
        assert proxy.proxied > 0
        monkeypatch.setenv("NO_PROXY", "mlflow.invalid")
        with pytest.raises(MlflowUnavailable, match="unreachable"):  # NO_PROXY: straight to a name resolving nowhere
            connect(MlflowHostCreds("http://mlflow.invalid:5000"), "credentials-proxy")
    finally:
        proxy.close()


def test_the_gateway_verifies_mlflows_certificate_and_presents_its_own(mlflow_server, tmp_path: Path):
    authority, client_authority = make_ca("MLflow's CA"), make_ca("the service's CA")
    server, client = issue(authority, "mlflow", server=True), issue(client_authority, "feedback-service", server=False)
    server_ca, client_pem = tmp_path / "server-ca.pem", tmp_path / "client.pem"
    server_ca.write_bytes(authority.cert)
    client_pem.write_bytes(client.cert + client.key)  # one file, as `requests` takes it
    (tmp_path / "server.crt").write_bytes(server.cert)
    (tmp_path / "server.key").write_bytes(server.key)
    (tmp_path / "client-ca.pem").write_bytes(client_authority.cert)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=tmp_path / "client-ca.pem")
    tls.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    tls.verify_mode = ssl.CERT_REQUIRED
    proxy = FaultyProxy(mlflow_server.url, tls=tls)
    try:
        assert proxy.url.startswith("https://")
        trusted = MlflowHostCreds(proxy.url, server_cert_path=str(server_ca), client_cert_path=str(client_pem))
        experiment_id = connect(trusted, "credentials-tls")
        assert stored_experiment_id(mlflow_server.url, "credentials-tls") == experiment_id
        with pytest.raises(MlflowUnavailable, match="certificate"):  # the system's CAs do not know the test CA
            connect(MlflowHostCreds(proxy.url, client_cert_path=str(client_pem)), "credentials-tls")
        with pytest.raises(MlflowUnavailable):  # no client certificate: the handshake fails
            connect(MlflowHostCreds(proxy.url, server_cert_path=str(server_ca)), "credentials-tls")
    finally:
        proxy.close()
