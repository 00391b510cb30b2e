"""The "Retries:" and "Deadline:" paragraph beside each method in the .proto files against the
shipped service config (clients/service_config.json) that the clients apply: each method's policy
is resolved from the file as gRPC resolves it (a method's own entry, else its service's), so
changing either side alone fails here."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROTOS = ROOT / "protos" / "genaifeedback" / "v1"
PACKAGE = "genaifeedback.v1"


def method_comments() -> dict[str, str]:
    """`package.Service/Method` -> the comment above its rpc, lines joined with single spaces."""
    comments: dict[str, str] = {}
    for proto in sorted(PROTOS.glob("*.proto")):
        service, pending = "", []
        for line in proto.read_text().splitlines():
            text = line.strip()
            if text.startswith("//"):
                pending.append(text.removeprefix("//").strip())
                continue
            if opened := re.match(r"service\s+(\w+)\s*\{", text):
                service = opened.group(1)
            elif rpc := re.match(r"rpc\s+(\w+)\s*\(", text):
                comments[f"{PACKAGE}.{service}/{rpc.group(1)}"] = " ".join(p for p in pending if p)
            pending = []
    return comments


def method_config(method: str) -> dict:
    """The service config entry that applies to `package.Service/Method`, as gRPC picks it."""
    service, _, name = method.partition("/")
    entries = json.loads((ROOT / "clients" / "service_config.json").read_text())["methodConfig"]
    by_name = {(n["service"], n.get("method", "")): entry for entry in entries for n in entry["name"]}
    return by_name.get((service, name)) or by_name.get((service, ""), {})


def seconds(duration: str) -> str:
    assert duration.endswith("s"), duration
    return f"{duration[:-1]} s"


def expected(config: dict) -> tuple[str, str]:
    deadline = f"Deadline: {seconds(config['timeout'])}" if "timeout" in config else "Deadline: none"
    policy = config.get("retryPolicy")
    if policy is None:
        return "Retries: none", deadline
    assert policy["backoffMultiplier"] == 2, "the comments say `doubling`"
    retries = (
        f"Retries: on {', '.join(policy['retryableStatusCodes'])}, up to {policy['maxAttempts']} attempts, "
        f"backoff from {seconds(policy['initialBackoff'])} doubling to {seconds(policy['maxBackoff'])}"
    )
    return retries, deadline


COMMENTS = method_comments()


def test_every_method_of_the_contract_is_found():
    assert len(COMMENTS) == 15 and "genaifeedback.v1.FeedbackAnalyticsService/WatchFeedback" in COMMENTS


@pytest.mark.parametrize("method", sorted(COMMENTS))
def test_each_methods_comment_states_its_shipped_retry_policy_and_deadline(method):
    retries, deadline = expected(method_config(method))
    comment = COMMENTS[method]
    assert retries in comment, f"{method}: no `{retries}` in its comment: {comment!r}"
    assert deadline in comment, f"{method}: no `{deadline}` in its comment: {comment!r}"
    assert comment.count("Retries:") == comment.count("Deadline:") == 1, comment
