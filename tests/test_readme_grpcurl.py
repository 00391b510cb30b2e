"""Every grpcurl command of the README, run exactly as written (only the address differs) with the
real grpcurl, over reflection, against a real service and MLflow."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from support import assessments

pytestmark = pytest.mark.slow  # grpcurl and ghz, the client tools, run against the service

README_ADDRESS = "127.0.0.1:50051"


def grpcurl() -> str:
    path = os.environ.get("GRPCURL") or str(ROOT / ".tools/bin/grpcurl")
    if not Path(path).exists() and not shutil.which(path):
        pytest.fail(f"no grpcurl at {path}: run the tests with `make test`, which installs it")
    return path


def readme_commands() -> list[str]:
    """The grpcurl commands of the README's grpcurl block: each runs to the next blank line."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"### With grpcurl.*?```sh\n(.*?)```", readme, re.S).group(1)
    commands = []
    for paragraph in block.split("\n\n"):
        lines = [line for line in paragraph.splitlines() if not line.startswith("#")]
        if lines:
            assert lines[0].startswith("grpcurl "), lines
            commands.append("\n".join(lines))
    return commands


def run(command: str, address: str) -> subprocess.CompletedProcess:
    command = command.replace(README_ADDRESS, address).replace("grpcurl ", f"{grpcurl()} ", 1)
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)


def test_the_readme_grpcurl_session_works_as_documented(service, mlflow_client):
    listed, described, chatted, thumbs_up, rated, schemas, mistake = (run(c, service.target) for c in readme_commands())

    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= {
        "genaifeedback.v1.ChatService",
        "genaifeedback.v1.FeedbackService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert described.returncode == 0, described.stderr
    assert "// SubmitFeedback records one feedback value" in described.stdout  # the .proto comments

    assert chatted.returncode == 0, chatted.stderr
    events = [json.loads(chunk) for chunk in re.split(r"(?<=})\n(?={)", chatted.stdout.strip())]
    trace_id = events[0]["started"]["traceId"]
    assert events[-1]["finished"]["traceId"] == trace_id
    assert all("token" in event for event in events[1:-1]) and len(events) > 2

    assert thumbs_up.returncode == 0, thumbs_up.stderr
    answer = json.loads(thumbs_up.stdout)
    assert (answer["traceId"], answer["state"]) == (trace_id, "FEEDBACK_STATE_STORED")
    assert rated.returncode == 0, rated.stderr
    assert json.loads(rated.stdout)["state"] == "FEEDBACK_STATE_STORED"
    stored = {a.name: a for a in assessments(mlflow_client, trace_id)}
    assert stored["user_feedback"].value is True and stored["user_feedback"].rationale == "Clear and correct"
    assert stored["user_feedback"].source.source_id == "alice"
    assert {name: stored[name].value for name in ("accuracy", "helpfulness", "relevance")} == {
        "accuracy": 4,
        "helpfulness": 5,
        "relevance": 3,
    }

    assert schemas.returncode == 0, schemas.stderr
    listed_schemas = {s["name"]: s for s in json.loads(schemas.stdout)["schemas"]}
    assert listed_schemas["user_rating"]["number"] == {"min": 1, "max": 5, "integerOnly": True}
    assert "boolean" in listed_schemas["user_feedback"]

    assert mistake.returncode != 0
    status = json.loads(mistake.stderr)  # grpcurl prints a failed call's status on stderr
    assert status["code"] == 3  # INVALID_ARGUMENT
    info, bad_request = status["details"]
    assert info["reason"] == "INVALID_FIELD" and info["domain"] == "genaifeedback"
    assert {v["field"]: v["reason"] for v in bad_request["field_violations"]} == {
        "trace_id": "INVALID_FORMAT",
        "name": "INVALID_FORMAT",
        "value": "REQUIRED",
        "request_id": "REQUEST_ID_REQUIRED",
    }


def test_every_service_method_and_message_can_be_described(service):
    listed = run(f"grpcurl -plaintext {README_ADDRESS} list", service.target).stdout.split()
    symbols = []
    for name in listed:
        symbols.append(name)
        methods = run(f"grpcurl -plaintext {README_ADDRESS} list {name}", service.target)
        assert methods.returncode == 0, methods.stderr
        symbols += methods.stdout.split()
    symbols += [
        "genaifeedback.v1.SubmitRatingsRequest",
        "genaifeedback.v1.ChatResponse",
        "genaifeedback.v1.ErrorReason",
        "genaifeedback.v1.FieldViolationReason",
    ]
    for symbol in symbols:
        described = run(f"grpcurl -plaintext {README_ADDRESS} describe {symbol}", service.target)
        assert described.returncode == 0, (symbol, described.stderr)
        if symbol.startswith("genaifeedback."):
            assert "//" in described.stdout, f"{symbol} is described without its comments"


def test_ghz_load_tests_over_reflection(service):
    """ghz needs no .proto files either: it reads the descriptors over reflection."""
    ghz = os.environ.get("GHZ") or str(ROOT / ".tools/bin/ghz")
    if not Path(ghz).exists():
        pytest.fail(f"no ghz at {ghz}: run the tests with `make test`, which installs it")
    report = subprocess.run(
        [ghz, "--insecure", "--call", "genaifeedback.v1.ChatService/Chat", "-d", '{"message": "hi"}',
         "-n", "20", "-c", "4", "--format", "json", service.target],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["statusCodeDistribution"] == {"OK": 20}
