"""Feedback schemas against a real in-process service and a real MLflow server: the built-ins, a
schema file of the operator's, each rule accepted and refused at its edges, the metadata MLflow
stores, ListFeedbackSchemas, feedbackctl, and a bad schema file refused at start.

Every refusal is checked in MLflow too: a refused call records nothing.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import grpc
import pytest

from genaifeedback.client import FeedbackClient, FeedbackServiceError, cli
from genaifeedback.v1 import feedback_pb2
from support import assessments, error_reason, new_trace, violation_reasons, violations

HUMAN, JUDGE, CODE = feedback_pb2.SOURCE_TYPE_HUMAN, feedback_pb2.SOURCE_TYPE_LLM_JUDGE, feedback_pb2.SOURCE_TYPE_CODE

SCHEMA_FILE = """
# Names without a schema are refused on this server.
unknown_names = "refuse"

[feedback.user_rating]    # replaces the built-in: a new version
type = "number"
min = 1
max = 5
integer = true
version = 2

[feedback.score]          # any number from 0 to 10
type = "number"
min = 0
max = 10
description = "a judge's score"

[feedback.topic]
type = "category"
labels = ["billing", "bug", "other"]

[feedback.comment]
type = "text"
max_length = 20
rationale = "forbidden"

[feedback.verdict]
type = "boolean"
rationale = "required"
sources = ["LLM_JUDGE", "CODE"]
version = 3
"""


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schemas") / "feedback-schemas.toml"
    path.write_text(SCHEMA_FILE)
    return path


@pytest.fixture(scope="module")
def strict(start_service, schema_file):
    """A replica with the operator's schema file (unknown names refused)."""
    return start_service(feedback_schemas_file=schema_file)


def submit(service, **fields) -> feedback_pb2.SubmitFeedbackResponse:
    return service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(wait_until_stored=True, **{"request_id": str(uuid.uuid4()), **fields}),
        timeout=30,
    )


def rate(service, ratings: dict[str, int], **fields) -> feedback_pb2.SubmitRatingsResponse:
    request = feedback_pb2.SubmitRatingsRequest(
        ratings=[feedback_pb2.DimensionRating(name=n, score=s) for n, s in ratings.items()],
        wait_until_stored=True,
        **{"request_id": str(uuid.uuid4()), **fields},
    )
    return service.feedback.SubmitRatings(request, timeout=30)


def refused(call, *args, **fields) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, **fields)
    error = caught.value
    assert (error.code(), error_reason(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"), error.details()
    return error


def only(mlflow_client, trace_id: str, name: str):
    [stored] = assessments(mlflow_client, trace_id, name)
    return stored


# --- the built-ins, with no file


@pytest.mark.parametrize(("score", "normalized"), [(1, "0.0"), (5, "1.0"), (4, "0.75")])
def test_user_rating_takes_integers_1_to_5_and_stores_the_schema_and_the_normalized_score(
    service, mlflow_client, score, normalized
):
    trace_id = new_trace(service)
    submit(service, trace_id=trace_id, name="user_rating", number_value=score, metadata={"screen": "chat"})
    stored = only(mlflow_client, trace_id, "user_rating")
    assert stored.value == score  # what the user gave, not the 0-1 score
    assert stored.metadata == {
        "screen": "chat",
        "genaifeedback.schema": "user_rating",
        "genaifeedback.schema_version": "1",
        "genaifeedback.normalized": normalized,
    }


@pytest.mark.parametrize(
    ("score", "reason"), [(0, "OUT_OF_RANGE"), (6, "OUT_OF_RANGE"), (4.5, "SCHEMA_MISMATCH"), (-1e9, "OUT_OF_RANGE")]
)
def test_user_rating_out_of_range_or_not_whole_is_refused_and_records_nothing(service, mlflow_client, score, reason):
    trace_id = new_trace(service)
    error = refused(submit, service, trace_id=trace_id, name="user_rating", number_value=score)
    assert violation_reasons(error) == {"number_value": reason}
    assert "user_rating" in violations(error)["number_value"]
    assert assessments(mlflow_client, trace_id) == []


@pytest.mark.parametrize("value", [{"number_value": 1}, {"string_value": "up"}], ids=["number", "text"])
def test_user_feedback_is_a_boolean(service, mlflow_client, value):
    trace_id = new_trace(service)
    error = refused(submit, service, trace_id=trace_id, **value)  # no name: user_feedback
    [(field, reason)] = violation_reasons(error).items()
    assert (field, reason) == (next(iter(value)), "SCHEMA_MISMATCH")
    assert "takes a boolean" in violations(error)[field]
    submit(service, trace_id=trace_id, bool_value=False)
    stored = only(mlflow_client, trace_id, "user_feedback")
    assert stored.value is False
    assert stored.metadata == {"genaifeedback.schema": "user_feedback", "genaifeedback.schema_version": "1"}


def test_ratings_follow_the_dimension_schemas_all_or_none(service, mlflow_client):
    trace_id = new_trace(service)
    error = refused(rate, service, {"accuracy": 1, "helpfulness": 5, "relevance": 6}, trace_id=trace_id)
    assert violation_reasons(error) == {"ratings[2].score": "OUT_OF_RANGE"}
    error = refused(rate, service, {"accuracy": 0, "user_feedback": 1}, trace_id=trace_id)
    assert violation_reasons(error) == {"ratings[0].score": "OUT_OF_RANGE", "ratings[1].score": "SCHEMA_MISMATCH"}
    assert assessments(mlflow_client, trace_id) == []

    rate(service, {"accuracy": 1, "helpfulness": 5, "relevance": 3}, trace_id=trace_id)
    stored = {a.name: a for a in assessments(mlflow_client, trace_id)}
    assert {n: (a.value, a.metadata["genaifeedback.normalized"]) for n, a in stored.items()} == {
        "accuracy": (1, "0.0"),
        "helpfulness": (5, "1.0"),
        "relevance": (3, "0.5"),
    }
    assert {a.metadata["genaifeedback.schema"] for a in stored.values()} == {"accuracy", "helpfulness", "relevance"}


def test_schema_violations_come_with_every_other_violation_at_once(service):
    error = refused(submit, service, trace_id="tr-123", name="user_rating", number_value=9, metadata={"": "x"})
    assert violation_reasons(error) == {
        "trace_id": "INVALID_FORMAT",
        "number_value": "OUT_OF_RANGE",
        'metadata[""]': "REQUIRED",
    }
    ratings = [("accuracy", 9), ("accuracy", 3), ("bad.name", 1), ("relevance", 0)]
    request = feedback_pb2.SubmitRatingsRequest(
        trace_id="tr-" + "0" * 32,
        ratings=[feedback_pb2.DimensionRating(name=n, score=s) for n, s in ratings],
        request_id="r-1",
    )
    error = refused(service.feedback.SubmitRatings, request, timeout=30)
    assert violation_reasons(error) == {
        "ratings[0].score": "OUT_OF_RANGE",
        "ratings[1].name": "DUPLICATE",
        "ratings[2].name": "INVALID_FORMAT",
        "ratings[3].score": "OUT_OF_RANGE",
    }


def test_an_unknown_name_is_accepted_and_typed_by_its_first_value(service, mlflow_client):
    trace_id = new_trace(service)
    name = f"quality-{uuid.uuid4().hex[:8]}"
    submit(service, trace_id=trace_id, name=name, bool_value=True)
    error = refused(submit, service, trace_id=trace_id, name=name, number_value=3)
    assert violation_reasons(error) == {"number_value": "SCHEMA_MISMATCH"}
    assert "first given a boolean" in violations(error)["number_value"]
    error = refused(rate, service, {name: 3}, trace_id=trace_id)  # ratings are numbers
    assert violation_reasons(error) == {"ratings[0].score": "SCHEMA_MISMATCH"}
    submit(service, trace_id=trace_id, name=name, bool_value=False)
    stored = assessments(mlflow_client, trace_id, name)
    assert sorted(a.value for a in stored) == [False, True]
    assert all(a.metadata is None or "genaifeedback.schema" not in a.metadata for a in stored)  # no schema to name


def test_an_unknown_dimension_keeps_the_contracts_1_to_5(service, mlflow_client):
    trace_id = new_trace(service)
    name = f"tone-{uuid.uuid4().hex[:8]}"
    error = refused(rate, service, {name: 6}, trace_id=trace_id)
    assert violation_reasons(error) == {"ratings[0].score": "OUT_OF_RANGE"}
    rate(service, {name: 5}, trace_id=trace_id)
    assert only(mlflow_client, trace_id, name).value == 5


def test_callers_may_not_write_the_reserved_metadata_keys(service, mlflow_client):
    trace_id = new_trace(service)
    error = refused(submit, service, trace_id=trace_id, bool_value=True, metadata={"genaifeedback.schema_version": "9"})
    assert violation_reasons(error) == {'metadata["genaifeedback.schema_version"]': "RESERVED_KEY"}
    assert assessments(mlflow_client, trace_id) == []


def test_the_built_ins_are_listed(service):
    response = service.feedback.ListFeedbackSchemas(feedback_pb2.ListFeedbackSchemasRequest(), timeout=10)
    assert response.unknown_names_accepted
    listed = {s.name: s for s in response.schemas}
    assert list(listed) == ["accuracy", "helpfulness", "relevance", "user_feedback", "user_rating"]
    assert listed["user_feedback"].WhichOneof("type") == "boolean"
    for name in ("accuracy", "helpfulness", "relevance", "user_rating"):
        number = listed[name].number
        assert (number.min, number.max, number.integer_only) == (1, 5, True)
    assert all(s.built_in and s.version == 1 for s in listed.values())
    assert all(s.rationale == feedback_pb2.RATIONALE_RULE_ALLOWED for s in listed.values())
    assert all(list(s.source_types) == [HUMAN, JUDGE, CODE] for s in listed.values())


# --- the operator's schema file


def test_the_schema_file_is_listed(strict):
    response = strict.feedback.ListFeedbackSchemas(feedback_pb2.ListFeedbackSchemasRequest(), timeout=10)
    assert not response.unknown_names_accepted
    listed = {s.name: s for s in response.schemas}
    assert list(listed) == sorted(listed)
    assert set(listed) == {
        "accuracy",
        "comment",
        "helpfulness",
        "relevance",
        "score",
        "topic",
        "user_feedback",
        "user_rating",
        "verdict",
    }
    assert (listed["user_rating"].version, listed["user_rating"].built_in) == (2, False)
    assert listed["score"].number.HasField("min") and (listed["score"].number.min, listed["score"].number.max) == (
        0,
        10,
    )
    assert not listed["score"].number.integer_only and listed["score"].description == "a judge's score"
    assert list(listed["topic"].category.labels) == ["billing", "bug", "other"]
    assert listed["comment"].text.max_length == 20
    assert listed["comment"].rationale == feedback_pb2.RATIONALE_RULE_FORBIDDEN
    assert listed["verdict"].rationale == feedback_pb2.RATIONALE_RULE_REQUIRED
    assert list(listed["verdict"].source_types) == [JUDGE, CODE]
    assert listed["accuracy"].built_in


def test_a_redeclared_built_in_stores_its_new_version(strict, mlflow_client):
    trace_id = new_trace(strict)
    submit(strict, trace_id=trace_id, name="user_rating", number_value=2)
    assert only(mlflow_client, trace_id, "user_rating").metadata["genaifeedback.schema_version"] == "2"


@pytest.mark.parametrize(
    ("value", "reason"),
    [(0, None), (10, None), (4.5, None), (-0.5, "OUT_OF_RANGE"), (10.01, "OUT_OF_RANGE")],
)
def test_a_number_range_at_its_edges(strict, mlflow_client, value, reason):
    trace_id = new_trace(strict)
    if reason:
        error = refused(submit, strict, trace_id=trace_id, name="score", number_value=value)
        assert violation_reasons(error) == {"number_value": reason}
        assert "from 0 to 10" in violations(error)["number_value"]
        assert assessments(mlflow_client, trace_id) == []
    else:
        submit(
            strict, trace_id=trace_id, name="score", number_value=value, source=feedback_pb2.FeedbackSource(type=JUDGE)
        )
        stored = only(mlflow_client, trace_id, "score")
        assert stored.value == value
        assert stored.metadata["genaifeedback.normalized"] == repr(round(value / 10, 6))


def test_a_dimension_with_a_schema_is_rated_within_it(strict, mlflow_client):
    trace_id = new_trace(strict)
    error = refused(rate, strict, {"score": 11, "topic": 1}, trace_id=trace_id)
    assert violation_reasons(error) == {"ratings[0].score": "OUT_OF_RANGE", "ratings[1].score": "SCHEMA_MISMATCH"}
    rate(strict, {"score": 10}, trace_id=trace_id)  # beyond the contract's 5: the schema says 10
    assert only(mlflow_client, trace_id, "score").value == 10


def test_a_category_takes_its_labels_only(strict, mlflow_client):
    trace_id = new_trace(strict)
    for wrong in ("others", "Other", "billing "):
        error = refused(submit, strict, trace_id=trace_id, name="topic", string_value=wrong)
        assert violation_reasons(error) == {"string_value": "SCHEMA_MISMATCH"}
        assert "billing, bug, other" in violations(error)["string_value"]
    error = refused(submit, strict, trace_id=trace_id, name="topic", bool_value=True)
    assert violation_reasons(error) == {"bool_value": "SCHEMA_MISMATCH"}
    assert assessments(mlflow_client, trace_id) == []
    submit(strict, trace_id=trace_id, name="topic", string_value="other")  # the last label
    stored = only(mlflow_client, trace_id, "topic")
    assert stored.value == "other"
    assert stored.metadata == {"genaifeedback.schema": "topic", "genaifeedback.schema_version": "1"}


def test_a_text_up_to_its_maximum_length_in_characters(strict, mlflow_client):
    trace_id = new_trace(strict)
    longest = "é" * 20  # 20 characters, 40 bytes
    error = refused(submit, strict, trace_id=trace_id, name="comment", string_value=longest + "!")
    assert violation_reasons(error) == {"string_value": "TOO_LONG"}
    assert "at most 20 characters" in violations(error)["string_value"]
    assert assessments(mlflow_client, trace_id) == []
    submit(strict, trace_id=trace_id, name="comment", string_value=longest)
    assert only(mlflow_client, trace_id, "comment").value == longest


def test_a_forbidden_rationale_is_refused(strict, mlflow_client):
    trace_id = new_trace(strict)
    error = refused(submit, strict, trace_id=trace_id, name="comment", string_value="nice", rationale="because")
    assert violation_reasons(error) == {"rationale": "SCHEMA_MISMATCH"}
    assert assessments(mlflow_client, trace_id) == []


def test_a_required_rationale_and_the_allowed_source_types(strict, mlflow_client):
    trace_id = new_trace(strict)
    judge = feedback_pb2.FeedbackSource(type=JUDGE, id="judge-1")
    error = refused(submit, strict, trace_id=trace_id, name="verdict", bool_value=True, source=judge)
    assert violation_reasons(error) == {"rationale": "REQUIRED"}
    for human in (feedback_pb2.FeedbackSource(), feedback_pb2.FeedbackSource(type=HUMAN)):  # unset means HUMAN
        error = refused(
            submit, strict, trace_id=trace_id, name="verdict", bool_value=True, rationale="ok", source=human
        )
        assert violation_reasons(error) == {"source.type": "SCHEMA_MISMATCH"}
        assert "LLM_JUDGE, CODE" in violations(error)["source.type"]
    error = refused(
        submit, strict, trace_id=trace_id, name="verdict", bool_value=True, source=feedback_pb2.FeedbackSource()
    )
    assert violation_reasons(error) == {"rationale": "REQUIRED", "source.type": "SCHEMA_MISMATCH"}  # all at once
    assert assessments(mlflow_client, trace_id) == []

    submit(strict, trace_id=trace_id, name="verdict", bool_value=True, rationale="cites its sources", source=judge)
    stored = only(mlflow_client, trace_id, "verdict")
    assert (stored.value, stored.rationale, stored.source.source_type) == (True, "cites its sources", "LLM_JUDGE")
    assert stored.metadata == {"genaifeedback.schema": "verdict", "genaifeedback.schema_version": "3"}


def test_unknown_names_are_refused_when_the_file_says_so(strict, mlflow_client):
    trace_id = new_trace(strict)
    error = refused(submit, strict, trace_id=trace_id, name="quality", bool_value=True)
    assert violation_reasons(error) == {"name": "SCHEMA_MISMATCH"}
    assert "no feedback schema" in violations(error)["name"]
    error = refused(rate, strict, {"accuracy": 4, "tone": 3}, trace_id=trace_id)
    assert violation_reasons(error) == {"ratings[1].name": "SCHEMA_MISMATCH"}
    assert assessments(mlflow_client, trace_id) == []


def test_a_retry_checked_against_a_newer_schema_version_is_the_same_action(service, strict, mlflow_client):
    """The schema's metadata is the service's, not the caller's: a request sent again to a replica whose
    schema has a newer version is answered with the first assessment, not REQUEST_ID_REUSED."""
    trace_id = new_trace(service)
    request_id = str(uuid.uuid4())
    first = submit(service, trace_id=trace_id, name="user_rating", number_value=4, request_id=request_id)
    again = submit(strict, trace_id=trace_id, name="user_rating", number_value=4, request_id=request_id)
    assert again.assessment_id == first.assessment_id
    assert again.state == feedback_pb2.FEEDBACK_STATE_STORED
    stored = only(mlflow_client, trace_id, "user_rating")
    assert (stored.assessment_id, stored.metadata["genaifeedback.schema_version"]) == (first.assessment_id, "1")
    with pytest.raises(grpc.RpcError) as caught:  # another value under that request_id is still another action
        submit(strict, trace_id=trace_id, name="user_rating", number_value=5, request_id=request_id)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


# --- a bad file stops the service at start


@pytest.mark.slow  # a service process per bad file
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("unknown_names = 'sometimes'", 'unknown_names: must be "accept" or "refuse"'),
        ("[feedback.x]\ntype = 'stars'", "[feedback.x] type: must be one of boolean, number, category, text"),
        ("[feedback.x]\ntype = 'number'\nmin = 5\nmax = 1", "[feedback.x]: min (5) must be below max (1)"),
        ("[feedback.x]\ntype = 'category'\nlables = ['a']", "[feedback.x] lables: not a setting of a category schema"),
        ("[feedback.x]\ntype = 'category'\nlabels = []", "[feedback.x] labels: must be a non-empty list"),
        ("[feedback.x]\ntype = 'text'\nmax_length = 0", "[feedback.x] max_length: must be a whole number from 1"),
        ("[feedback.x]\ntype = 'boolean'\nrationale = 'maybe'", "[feedback.x] rationale: must be one of allowed"),
        (
            "[feedback.x]\ntype = 'boolean'\nsources = ['USER']",
            "[feedback.x] sources: must be a non-empty list of HUMAN",
        ),
        ("[feedback.x]\ntype = 'boolean'\nversion = 0", "[feedback.x] version: must be a whole number from 1"),
        ("[feedback.'a.b']\ntype = 'boolean'", "[feedback.a.b]: a feedback name starts with a letter"),
        ("[feedback.x\ntype = 'boolean'", "not valid TOML"),
    ],
    ids=[
        "unknown_names",
        "type",
        "range",
        "typo",
        "no-labels",
        "max_length",
        "rationale",
        "sources",
        "version",
        "name",
        "toml",
    ],
)
def test_a_bad_schema_file_is_refused_at_start_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "schemas.toml"
    path.write_text(content)
    # Refused before anything starts: no MLflow at this address is ever asked.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "feedback-service"), "--feedback-schemas-file", str(path),
         "--mlflow-tracking-uri", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"feedback-service: feedback schemas file {path}"), done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_schema_file_model_reports_every_problem_at_once_and_reads_a_good_file(tmp_path):
    from genaifeedback.service.domain.schema_file import SchemaFileError, load
    from genaifeedback.service.transport.convert.feedback import FEEDBACK_NAME_PATTERN

    bad = tmp_path / "bad.toml"
    bad.write_text(
        "colour = 1\n[feedback.c]\ntype = 'category'\nlabels = ['a', 'a']\n"
        "[feedback.n]\ntype = 'number'\nmin = nan\ninteger = 1\nlabels = ['x']\n"
    )
    with pytest.raises(SchemaFileError) as refused:
        load(bad, FEEDBACK_NAME_PATTERN)
    assert str(refused.value).splitlines()[1:] == [
        "  colour: unknown setting (expected `unknown_names` and [feedback.NAME] tables)",
        "  [feedback.c] labels: each label may appear once",
        "  [feedback.n] min: must be a finite number, not nan",
        "  [feedback.n] integer: must be true or false, not 1",
        "  [feedback.n] labels: not a setting of a number schema"
        " (its settings: description, integer, max, min, rationale, sources, type, version)",
    ]
    good = tmp_path / "good.toml"
    good.write_text("unknown_names = 'refuse'\n[feedback.n]\ntype = 'number'\nmin = 0\nsources = ['CODE', 'HUMAN']\n")
    loaded = load(good, FEEDBACK_NAME_PATTERN)
    number = loaded.declared["n"]
    assert (loaded.accept_unknown, number.min, number.max, number.sources) == (False, 0.0, None, ("HUMAN", "CODE"))


def test_a_missing_schema_file_is_refused_in_process_too(start_service, tmp_path):
    from genaifeedback.service.domain.schema_file import SchemaFileError

    with pytest.raises(SchemaFileError, match="cannot read it"):
        start_service(feedback_schemas_file=tmp_path / "absent.toml")


# --- the Python client and feedbackctl


def ctl(service, *argv: str) -> int:
    with FeedbackClient(service.target) as client:
        return cli.main(list(argv), client=client)


def test_client_lists_the_schemas(strict):
    with FeedbackClient(strict.target) as client:
        listed = client.list_feedback_schemas()
    assert not listed.unknown_names_accepted
    rating, topic, verdict = listed.schemas["user_rating"], listed.schemas["topic"], listed.schemas["verdict"]
    assert (rating.type, rating.min, rating.max, rating.integer_only, rating.version) == ("number", 1, 5, True, 2)
    assert (topic.type, topic.labels, topic.max_length) == ("category", ("billing", "bug", "other"), None)
    assert (verdict.rationale, verdict.source_types, verdict.built_in) == ("REQUIRED", ("LLM_JUDGE", "CODE"), False)
    assert listed.schemas["comment"].max_length == 20


def test_client_rate_writes_user_rating_and_a_refusal_names_the_field(service, mlflow_client):
    trace_id = new_trace(service)
    with FeedbackClient(service.target) as client:
        client.rate(5, trace_id=trace_id, wait_until_stored=True)
        with pytest.raises(FeedbackServiceError) as caught:
            client.rate(4.5, trace_id=trace_id)
    assert only(mlflow_client, trace_id, "user_rating").value == 5
    [violation] = caught.value.field_violations
    assert (violation.field, violation.reason) == ("number_value", "SCHEMA_MISMATCH")


def test_ctl_rating_writes_user_rating_within_its_schema(service, mlflow_client, capsys):
    trace_id = new_trace(service)
    assert ctl(service, "feedback", "--trace-id", trace_id, "--rating", "9") == 1
    first, violation = capsys.readouterr().err.splitlines()
    assert first.startswith("error: INVALID_ARGUMENT (INVALID_FIELD): ")
    assert violation.startswith("  number_value: `user_rating` must be from 1 to 5") and violation.endswith(
        "[OUT_OF_RANGE]"
    )
    assert assessments(mlflow_client, trace_id) == []

    assert ctl(service, "feedback", "--trace-id", trace_id, "--rating", "4", "--comment", "good", "--wait") == 0
    stored = only(mlflow_client, trace_id, "user_rating")
    assert (stored.value, stored.rationale, stored.metadata["genaifeedback.normalized"]) == (4, "good", "0.75")


def test_ctl_schemas_prints_each_schema(strict, capsys):
    assert ctl(strict, "schemas") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "user_rating (v2, schema file): integer 1..5; rationale allowed" in lines
    assert "accuracy (v1, built-in): integer 1..5; rationale allowed - how correct the answer is, 1 to 5" in lines
    assert "topic (v1, schema file): one of billing, bug, other; rationale allowed" in lines
    assert "comment (v1, schema file): text of at most 20 characters; rationale forbidden" in lines
    assert "verdict (v3, schema file): boolean; rationale required; only from LLM_JUDGE, CODE" in lines
    assert lines[-1] == "other names: refused"


def test_ctl_every_command_prints_json(service, mlflow_client, capsys):
    client_request_id = f"ctl-json-{uuid.uuid4()}"
    assert ctl(service, "--json", "chat", "Hello", "--client-request-id", client_request_id) == 0
    chatted = json.loads(capsys.readouterr().out)
    assert chatted["client_request_id"] == client_request_id and chatted["text"]
    trace_id = chatted["trace_id"]
    service.wait_stored(trace_id)

    assert ctl(service, "--json", "feedback", "--trace-id", trace_id, "--up", "--request-id", "r-1", "--wait") == 0
    fed = json.loads(capsys.readouterr().out)
    assert fed == {
        "assessment_id": only(mlflow_client, trace_id, "user_feedback").assessment_id,
        "trace_id": trace_id,
        "request_id": "r-1",
        "state": "STORED",
    }

    assert ctl(service, "--json", "rate", "--trace-id", trace_id, "accuracy=4", "--wait") == 0
    rated = json.loads(capsys.readouterr().out)
    assert rated["assessment_ids"] == {"accuracy": only(mlflow_client, trace_id, "accuracy").assessment_id}

    assert ctl(service, "--json", "status", "--trace-id", trace_id, "--request-id", "r-1") == 0
    assert json.loads(capsys.readouterr().out) == {
        "state": "STORED",
        "trace_id": trace_id,
        "assessment_ids": {"user_feedback": fed["assessment_id"]},
        "reason": "",
    }

    assert ctl(service, "--json", "schemas") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["unknown_names_accepted"] is True
    assert listed["schemas"]["user_rating"]["max"] == 5

    assert ctl(service, "--json", "feedback", "--trace-id", trace_id, "--rating", "0") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    error = json.loads(captured.err)["error"]
    assert (error["code"], error["reason"]) == ("INVALID_ARGUMENT", "INVALID_FIELD")
    assert error["field_violations"] == [
        {"field": "number_value", "description": "`user_rating` must be from 1 to 5, not 0", "reason": "OUT_OF_RANGE"}
    ]
