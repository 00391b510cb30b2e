"""Each method's comment in the .proto files states its timeout and retries: the same as the
shipped service config (clients/service_config.json), which the clients apply. Pure: reads the
descriptor set generated with the comments."""

import json
import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTORS = ROOT / "clients" / "python" / "genaifeedback" / "v1" / "descriptors.binpb"
SERVICE_CONFIG = json.loads((ROOT / "clients" / "service_config.json").read_text())
SERVICE, METHOD = 6, 2  # FileDescriptorProto.service, ServiceDescriptorProto.method


def method_comments() -> dict[str, str]:
    """`package.Service/Method` -> the method's leading comment."""
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes()).file
    comments = {}
    for file in files:
        if not file.package.startswith("genaifeedback."):
            continue
        for location in file.source_code_info.location:
            path = list(location.path)
            if len(path) == 4 and path[0] == SERVICE and path[2] == METHOD:
                service = file.service[path[1]]
                comments[f"{file.package}.{service.name}/{service.method[path[3]].name}"] = location.leading_comments
    return comments


def policy(full_method: str) -> dict:
    """The service config entry gRPC applies to a method: its own, else its service's."""
    service, method = full_method.split("/")
    for wanted in ({"service": service, "method": method}, {"service": service}):
        for entry in SERVICE_CONFIG["methodConfig"]:
            if wanted in entry["name"]:
                return entry
    return {}


def seconds(duration: str) -> int:
    return int(float(duration.removesuffix("s")))


@pytest.mark.parametrize("full_method", sorted(method_comments()))
def test_the_comment_states_the_service_configs_timeout_and_retries(full_method):
    comment = " ".join(method_comments()[full_method].split())
    entry = policy(full_method)
    assert "Timeout and retries" in comment, comment
    if "timeout" in entry:
        assert f"{seconds(entry['timeout'])} s" in comment, comment
    else:
        assert "no deadline" in comment, comment
    retry = entry.get("retryPolicy")
    if retry is None:
        assert "never retried" in comment, comment
    else:
        assert re.search(rf"retried on {' or '.join(retry['retryableStatusCodes'])}\b", comment), comment
        assert f"up to {retry['maxAttempts']} attempts" in comment, comment
        assert retry["backoffMultiplier"] == 2
        assert f"({retry['initialBackoff'].removesuffix('s')} s, doubling" in comment, comment
        assert f"at most {seconds(retry['maxBackoff'])} s" in comment, comment
