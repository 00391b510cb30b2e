"""The browser pages (issue 18) in a real headless Chromium, through the real Envoy of `make demo`
(deploy/envoy/envoy.yaml, gRPC-Web and CORS) to a real service and MLflow, with the demo's caller
identities (scripts/web_demo.py's DemoIdentity, deploy/web/policy.toml): the chat page streams an
answer and records thumbs with the answer's feedback token, a tampered token is refused with its
reason, a vote whose answer was lost is sent again and recorded once, a page from an origin not
allowed never reaches the service, an end user's credential never reaches the dashboard's methods,
and the dashboard shows what GetFeedbackSummary says and follows new votes live.

The browser is Debian's chromium package (`make test` installs it), driven by playwright-core from
web/node_modules through web/test/browser.mjs; the pages are web/dist (`make -C web build`).
Screenshots of both pages go to $WEB_SCREENSHOTS_DIR, or the test's temporary folder.
"""

import base64
import contextlib
import functools
import importlib.util
import itertools
import json
import os
import re
import shutil
import time
import types
import uuid
from pathlib import Path

import httpx
import jwt
import pytest

import scripted_generators
from auth_support import bearer
from conftest import ROOT, free_port
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, chat_pb2, feedback_pb2
from support import assessments, metric
from web_support import CHROMIUM, Browser, CuttingRelay, Page, grpc_web

pytestmark = pytest.mark.slow

DIST = ROOT / "web" / "dist"
SECRET = "w" * 40


def _web_demo():
    """scripts/web_demo.py, the launcher `make demo` runs: the tests start its Envoy and static server."""
    spec = importlib.util.spec_from_file_location("web_demo", ROOT / "scripts" / "web_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


web_demo = _web_demo()


@pytest.fixture(scope="module")
def web(start_service, tmp_path_factory):
    """The service (feedback tokens on, caller identity and policy as in `make demo`, a model the test
    paces, a quick watch), Envoy with the shipped configuration, the pages from an allowed origin and
    from one not allowed."""
    if not (DIST / "chat.js").exists():
        pytest.fail("web/dist is not built: run `make -C web build` (make test does)")
    if not shutil.which("node"):
        pytest.fail("no `node` on PATH (Node 20, as for the Node client)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    folder = tmp_path_factory.mktemp("web")
    keys = folder / "keys.json"
    keys.write_text(json.dumps({"keys": [{"id": "web", "secret": SECRET}]}))
    identity = web_demo.DemoIdentity(folder)  # as `make demo`: bearer tokens, deploy/web/policy.toml
    service = start_service(
        **identity.service_settings(),
        experiment_name=f"web-{uuid.uuid4().hex[:8]}",  # its own: the dashboard's figures are this module's data
        feedback_token_keys_file=keys,
        # A model whose every chunk the test releases (tests/scripted_generators.py): what the page shows
        # after each one is checked before the next exists; no clock sets the pace.
        generator="callable",
        callable="scripted_generators:on_demand",
        watch_poll_seconds=0.5,
    )
    envoy_port = free_port()
    envoy_url = f"http://127.0.0.1:{envoy_port}"
    allowed = web_demo.StaticServer(0, envoy_url, identity).start()
    not_allowed = web_demo.StaticServer(0, envoy_url, identity).start()  # another port: another origin
    config = web_demo.envoy_config(
        listen_port=envoy_port, service_port=service.app.port, admin_port=free_port(), origins=[allowed.url]
    )
    envoy = web_demo.EnvoyProcess(config, folder / "envoy.log").start()
    browser = Browser(folder / "browser.log")
    shots = Path(os.environ.get("WEB_SCREENSHOTS_DIR") or folder)
    shots.mkdir(parents=True, exist_ok=True)
    yield types.SimpleNamespace(
        service=service,
        envoy=envoy,
        page_url=allowed.url,
        other_origin_url=not_allowed.url,
        browser=browser,
        shots=shots,
        identity=identity,
        analytics=analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel),
    )
    browser.close()
    envoy.stop()
    allowed.stop()
    not_allowed.stop()


def rpc_count(service) -> float:
    """Every RPC the service finished, any method and code (its genaifeedback_rpcs counter)."""
    return sum(s.value for m in service.app.metrics.rpcs.collect() for s in m.samples if s.name.endswith("_total"))


def forwarded(web) -> int:
    """Requests Envoy forwarded to the service (its cluster's upstream_rq_total), from its admin interface."""
    stats = httpx.get(f"{web.envoy.admin_url}/stats", params={"filter": "^cluster.feedback_service.upstream_rq_total$"})
    return int(stats.text.split(":")[1])


def chat_page(web) -> Page:
    page = web.browser.open(f"{web.page_url}/")
    page.wait("document.body.dataset.ready === 'true'")
    return page


def start_asking(page: Page, question: str) -> scripted_generators.OnDemandChat:
    """Type a question (unique: the model is found by it) and send it with Enter; the model answering it."""
    page.eval(
        """(() => {
          window.answerTexts = [];
          new MutationObserver(() => {
            const text = document.querySelector('.answer:last-of-type .answer-text');
            if (text) window.answerTexts.push(text.textContent);
          }).observe(document.getElementById('conversation'), {subtree: true, childList: true, characterData: true});
        })()"""
    )
    page.fill(selector="#prompt", value=question)
    page.press(selector="#prompt", key="Enter")
    return scripted_generators.on_demand_chat(question)


def shown_text_is(text: str) -> str:
    return f"document.querySelector('.answer:last-of-type .answer-text')?.textContent === {json.dumps(text)}"


def ask(page: Page, question: str, chunks: int = 3) -> dict:
    """Ask, then release the answer chunk by chunk, each seen in the page before the next is made; then
    the answer's texts after every DOM update, its trace id (as shown and as kept) and feedback token."""
    model = start_asking(page, question)
    for n in range(1, chunks + 1):
        model.next_chunk()
        page.wait(shown_text_is("".join(f" c{i}" for i in range(n))))
    model.end()
    page.wait("document.querySelector('.answer:last-of-type')?.dataset.finished === 'true'")
    return page.eval(
        """(() => {
          const view = document.querySelector('.answer:last-of-type');
          return {texts: window.answerTexts, traceIdShown: view.querySelector('.trace-id').textContent,
                  traceId: view.dataset.traceId, token: view.dataset.feedbackToken,
                  user: document.getElementById('user-id').textContent};
        })()"""
    )


def vote_state_is(state: str, not_assessment: str = "") -> str:
    return (
        "(() => { const line = document.querySelector('.answer:last-of-type .vote-state');"
        f" return line.dataset.state === '{state}' && line.dataset.assessmentId !== '{not_assessment}'"
        " && line.dataset.assessmentId; })()"
    )


def test_chat_streams_and_thumbs_land_in_mlflow_as_the_tokens_user_one_current_vote(web, mlflow_client):
    page = chat_page(web)
    answer = ask(page, f"What is MLflow? {uuid.uuid4()}")
    # Streamed: each chunk was in the DOM before the model made the next, so at least two updates before the last.
    assert [t for t in dict.fromkeys(answer["texts"]) if t] == [" c0", " c0 c1", " c0 c1 c2"], answer["texts"]
    assert re.fullmatch(r"tr-[0-9a-f]{32}", answer["traceId"]) and answer["traceIdShown"] == answer["traceId"]
    user = jwt.decode(answer["token"], options={"verify_signature": False})["sub"]
    assert user == answer["user"]
    web.service.wait_stored(answer["traceId"])

    page.eval(
        """(() => {
          window.voteStates = [];
          const line = document.querySelector('.answer:last-of-type .vote-state');
          new MutationObserver(() => window.voteStates.push(line.dataset.state))
            .observe(line, {attributes: true, attributeFilter: ['data-state']});
        })()"""
    )
    page.fill(selector=".answer:last-of-type .comment", value="Clear and correct")
    page.click(selector=".answer:last-of-type .thumb.up")
    # STORED is GetFeedbackStatus saying MLflow confirmed it: within 2 s of the click.
    up_id = page.wait(vote_state_is("STORED"), 2_000)
    # Shown as it moved: sent, acknowledged once journaled (PENDING), then confirmed in MLflow.
    assert [state for state, _ in itertools.groupby(page.eval("window.voteStates"))] == ["SENDING", "PENDING", "STORED"]
    (stored,) = assessments(mlflow_client, answer["traceId"], "user_feedback")
    assert (stored.assessment_id, stored.value, stored.rationale, stored.valid) == (
        up_id,
        True,
        "Clear and correct",
        True,
    )
    assert (stored.source.source_type, stored.source.source_id) == ("HUMAN", user)
    assert page.eval("document.querySelector('.answer:last-of-type .thumb.up').getAttribute('aria-pressed')") == "true"

    page.fill(selector=".answer:last-of-type .comment", value="")
    page.press(selector=".answer:last-of-type .thumb.down", key="Enter")  # from the keyboard
    down_id = page.wait(vote_state_is("STORED", not_assessment=up_id), 2_000)
    votes = {a.assessment_id: a for a in assessments(mlflow_client, answer["traceId"], "user_feedback")}
    assert set(votes) == {up_id, down_id}
    assert (votes[down_id].value, votes[down_id].valid, votes[down_id].overrides) == (False, True, up_id)
    assert votes[up_id].valid is False  # the earlier vote, kept as history
    assert {v.source.source_id for v in votes.values()} == {user}
    page.select(selector=".answer:last-of-type .rating", value="4")
    page.click(selector=".answer:last-of-type .send-rating")
    rating_id = page.wait(
        "(() => { const line = document.querySelector('.answer:last-of-type .rating-state');"
        " return line.dataset.state === 'STORED' && line.dataset.assessmentId; })()",
        2_000,
    )
    (rating,) = assessments(mlflow_client, answer["traceId"], "user_rating")
    assert (rating.assessment_id, rating.value, rating.source.source_id) == (rating_id, 4, user)
    # Every control has a name a screen reader can say: its label, aria-label or text.
    unnamed = page.eval(
        """[...document.querySelectorAll('button, select, textarea, input')]
             .filter((c) => !(c.labels?.length || c.getAttribute('aria-label') || c.textContent.trim()))
             .map((c) => c.outerHTML)"""
    )
    assert unnamed == []
    page.screenshot(path=str(web.shots / "chat.png"))
    assert not [line for line in page.console() if "Content Security Policy" in line]  # the pages run under it
    page.close()


def test_an_expired_or_tampered_token_shows_its_reason_and_mlflow_gains_nothing(web, mlflow_client):
    page = chat_page(web)
    answer = ask(page, f"Is this token mine? {uuid.uuid4()}")
    web.service.wait_stored(answer["traceId"])
    claims = jwt.decode(answer["token"], options={"verify_signature": False})
    # Signed with the right key, but its time is up.
    expired = jwt.encode({**claims, "exp": int(time.time()) - 120}, SECRET, headers={"kid": "web"})
    # Another user's vote, under the real token's signature.
    header, _, signature = answer["token"].split(".")
    payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "mallory"}).encode()).rstrip(b"=").decode()
    for token, reason in (
        (expired, "FEEDBACK_TOKEN_EXPIRED"),
        (f"{header}.{payload}.{signature}", "FEEDBACK_TOKEN_INVALID"),
    ):
        page.eval(f"document.querySelector('.answer:last-of-type').dataset.feedbackToken = '{token}'")
        page.click(selector=".answer:last-of-type .thumb.up")
        # The click cleared the previous error; the next one shown is this vote's.
        shown = page.wait("document.querySelector('.answer:last-of-type .error').dataset.reason && "
                          "document.querySelector('.answer:last-of-type .error').textContent")  # fmt: skip
        assert shown.startswith(f"{reason} (UNAUTHENTICATED): "), shown  # decoded from grpc-status-details-bin
        assert page.eval("document.querySelector('.answer:last-of-type .vote-state').dataset.state") == "FAILED"
    assert assessments(mlflow_client, answer["traceId"]) == []
    page.close()


def test_a_page_from_an_origin_not_allowed_is_refused_by_cors_and_the_service_sees_no_call(web):
    page = web.browser.open(f"{web.other_origin_url}/")
    page.wait("document.body.dataset.ready === 'true'")
    before, sent = rpc_count(web.service), forwarded(web)
    chats = metric(web.service, "genaifeedback_chats_started_total")
    page.fill(selector="#prompt", value="Let me in?")
    page.press(selector="#prompt", key="Enter")
    shown = page.wait("document.querySelector('.answer .error')?.dataset.reason && "
                      "document.querySelector('.answer .error').textContent")  # fmt: skip
    assert shown.startswith("UNREACHABLE (UNAVAILABLE)"), shown
    assert any("blocked by CORS policy" in line for line in page.console()), page.console()
    assert forwarded(web) == sent  # Envoy answered the preflight itself, without CORS headers
    assert rpc_count(web.service) == before
    assert metric(web.service, "genaifeedback_chats_started_total") == chats
    page.close()


def test_a_chat_cut_by_closing_the_tab_is_recorded_as_cancelled(web, mlflow_client):
    page = chat_page(web)
    model = start_asking(page, f"Closing soon {uuid.uuid4()}")
    model.next_chunk()
    page.wait(shown_text_is(" c0"))
    trace_id = page.eval("document.querySelector('.answer:last-of-type').dataset.traceId")
    page.close()  # the tab goes: the browser drops the fetch, Envoy resets the stream to the service
    assert model.closed.wait(10), "the service did not close the model after the browser went"
    web.service.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    assert (trace.info.tags["chat.outcome"], trace.data.spans[0].outputs) == ("cancelled", " c0")


@contextlib.contextmanager
def another_front(web, service_port: int, folder: Path):
    """Another Envoy (the shipped configuration) in front of service_port, and the pages pointing at it;
    the chat page's URL."""
    envoy_port = free_port()
    static = web_demo.StaticServer(0, f"http://127.0.0.1:{envoy_port}", web.identity).start()
    config = web_demo.envoy_config(
        listen_port=envoy_port, service_port=service_port, admin_port=free_port(), origins=[static.url]
    )
    envoy = web_demo.EnvoyProcess(config, folder / "envoy.log").start()
    try:
        yield f"{static.url}/"
    finally:
        envoy.stop()
        static.stop()


def test_a_service_envoy_cannot_reach_shows_unavailable(web, tmp_path):
    """Envoy up, the service behind it gone: the page says UNAVAILABLE with Envoy's reason, not nothing."""
    with another_front(web, free_port(), tmp_path) as url:
        page = web.browser.open(url)
        page.wait("document.body.dataset.ready === 'true'")
        page.fill(selector="#prompt", value="Anyone there?")
        page.press(selector="#prompt", key="Enter")
        shown = page.wait("document.querySelector('.answer .error')?.dataset.reason && "
                          "document.querySelector('.answer .error').textContent")  # fmt: skip
        assert shown.startswith("UNAVAILABLE (UNAVAILABLE): upstream connect error"), shown
        page.close()


def test_a_vote_whose_answer_was_lost_is_sent_again_with_its_request_id_and_recorded_once(web, tmp_path, mlflow_client):
    """The service journals the vote, the connection breaks before its answer reaches the browser
    (Envoy: UNAVAILABLE); the page shows RETRYING, sends the same request_id again after the contract's
    backoff, and the service answers with the vote it already has: one assessment in MLflow."""
    relay = CuttingRelay(web.service.app.port)
    try:
        with another_front(web, relay.port, tmp_path) as url:
            page = web.browser.open(url)
            page.wait("document.body.dataset.ready === 'true'")
            answer = ask(page, f"Is the network reliable? {uuid.uuid4()}")
            web.service.wait_stored(answer["traceId"])
            page.eval(
                """(() => {
                  window.voteLines = [];
                  const line = document.querySelector('.answer:last-of-type .vote-state');
                  new MutationObserver(() => window.voteLines.push([line.dataset.state, line.textContent]))
                    .observe(line, {attributes: true, attributeFilter: ['data-state']});
                })()"""
            )
            served = metric(web.service, "genaifeedback_rpcs_total", method="SubmitFeedback", code="OK")
            relay.armed.set()
            page.click(selector=".answer:last-of-type .thumb.up")
            voted = page.wait(vote_state_is("STORED"), 15_000)
            assert relay.cut.is_set()
            lost = feedback_pb2.SubmitFeedbackResponse.FromString(relay.lost_reply)
            lines = [next(group) for _, group in itertools.groupby(page.eval("window.voteLines"), lambda x: x[0])]
            # The second attempt is answered with the recorded vote's state: PENDING, or STORED already.
            states = [state for state, _ in lines if state != "PENDING"]
            assert states == ["SENDING", "RETRYING", "SENDING", "STORED"], lines
            assert re.fullmatch(r"👍 vote: UNAVAILABLE \(UNAVAILABLE\); attempt 2 of 5 in \d\.\d s", lines[1][1])
            assert lines[2][1] == "👍 vote: sending again (attempt 2 of 5)"
            # Both attempts were served, with one request_id: the second was answered with the first one's
            # vote, whose answer was lost (a new request_id would have been a new vote, replacing it).
            assert metric(web.service, "genaifeedback_rpcs_total", method="SubmitFeedback", code="OK") == served + 2
            (stored,) = assessments(mlflow_client, answer["traceId"], "user_feedback")
            assert (stored.assessment_id, stored.value, stored.valid) == (lost.assessment_id, True, True)
            assert voted == lost.assessment_id
            assert not page.eval("document.querySelector('.answer:last-of-type .error').textContent")
            page.close()
    finally:
        relay.close()


ANALYTICS = "/operator/genaifeedback.v1.FeedbackAnalyticsService/"
DASHBOARD_METHODS = {
    "GetFeedbackSummary": (analytics_pb2.GetFeedbackSummaryRequest, "analytics:read"),
    "ExportFeedback": (analytics_pb2.ExportFeedbackRequest, "analytics:export"),
    "WatchFeedback": (analytics_pb2.WatchFeedbackRequest, "analytics:read"),
}


def test_an_end_users_credential_never_reaches_the_dashboards_methods(web):
    """Through Envoy's /operator/ route, as the dashboard calls: the end user's token is refused
    SCOPE_MISSING before the handler runs (a request the handler would refuse as invalid gets the same
    answer), the operator's reaches it. And each credential reaches only its own page's methods."""
    call = functools.partial(grpc_web, web.envoy.url, origin=web.page_url)
    end_user, operator = web.identity.token(web_demo.END_USER), web.identity.token(web_demo.OPERATOR)
    scope_missing = metric(web.service, "genaifeedback_auth_failures_total", reason="SCOPE_MISSING")
    for method, (request_type, scope) in DASHBOARD_METHODS.items():
        invalid = request_type(source_type=99)  # no such source type: INVALID_ARGUMENT from the handler's checks
        for request in (request_type(), invalid):
            code, (info,), replies = call(ANALYTICS + method, request, token=end_user)
            assert (code, info.reason, replies) == (7, "SCOPE_MISSING", []), method  # PERMISSION_DENIED
            assert dict(info.metadata) == {"principal": web_demo.END_USER, "scope": scope}
        code, (info,), _ = call(ANALYTICS + method, invalid, token=operator)
        assert (code, info.reason) == (3, "INVALID_FIELD"), method  # the operator's reached the handler
    assert metric(web.service, "genaifeedback_auth_failures_total", reason="SCOPE_MISSING") == scope_missing + 6
    code, _, (reply,) = call(
        ANALYTICS + "GetFeedbackSummary", analytics_pb2.GetFeedbackSummaryRequest(), token=operator
    )
    assert code == 0 and analytics_pb2.GetFeedbackSummaryResponse.FromString(reply).total.trace_count > 0
    code, _, replies = call(ANALYTICS + "ExportFeedback", analytics_pb2.ExportFeedbackRequest(), token=operator)
    assert code == 0 and replies

    chat, submit = "/genaifeedback.v1.ChatService/Chat", "/genaifeedback.v1.FeedbackService/SubmitFeedback"
    vote = feedback_pb2.SubmitFeedbackRequest(trace_id="tr-" + "0" * 32, bool_value=True, request_id="r")
    for path, request, token, (status, reason) in [
        (chat, chat_pb2.ChatRequest(message="hi"), "", (16, "CREDENTIALS_MISSING")),  # UNAUTHENTICATED
        (chat, chat_pb2.ChatRequest(message="hi"), operator, (7, "SCOPE_MISSING")),
        (submit, vote, end_user, (7, "SOURCE_NOT_ALLOWED")),  # an end user's vote needs a feedback token
    ]:
        code, (info,), _ = call(path, request, token=token)
        assert (code, info.reason) == (status, reason), (path, token[:0])


def test_envoy_routes_only_the_browsers_methods_and_bridges_connect(web):
    before = rpc_count(web.service)
    origin = {"Origin": web.page_url}
    # Not routed: a method of the service no page needs, reflection, and the dashboard's methods outside /operator/.
    for path in (
        "/genaifeedback.v1.FeedbackService/EraseFeedbackBySource",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/genaifeedback.v1.FeedbackAnalyticsService/GetFeedbackSummary",
    ):
        response = httpx.post(
            f"{web.envoy.url}{path}", content=b"\0\0\0\0\0", headers={"content-type": "application/grpc-web+proto"}
        )
        assert response.status_code == 404, path
    assert rpc_count(web.service) == before
    # The Connect protocol, through the connect_grpc_bridge filter: a unary call in binary protobuf, answered
    # by the service (NOT_FOUND for a trace it does not know) as a Connect error.
    response = httpx.post(
        f"{web.envoy.url}/genaifeedback.v1.FeedbackService/GetFeedbackStatus",
        content=feedback_pb2.GetFeedbackStatusRequest(
            trace_id="tr-" + "0" * 32, request_id="never-sent"
        ).SerializeToString(),
        headers={
            "content-type": "application/proto",
            "connect-protocol-version": "1",
            "authorization": f"Bearer {web.identity.token(web_demo.END_USER)}",
            **origin,
        },
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found", response.text
    assert response.headers["access-control-allow-origin"] == web.page_url


def vote(web, model: str, up: bool | None, rating: int | None, comment: str = "") -> str:
    """A chat tagged with a model, then its user's thumb and rating with the chat's token; the thumb's id."""
    user, message = f"user-{uuid.uuid4().hex[:6]}", f"hi {uuid.uuid4()}"
    as_end_user = bearer(web.identity.token(web_demo.END_USER))  # what the chat page sends
    request = chat_pb2.ChatRequest(message=message, user_id=user, tags={"model": model})
    call = web.service.chat.Chat(request, metadata=as_end_user, timeout=60)
    answering = scripted_generators.on_demand_chat(message)
    answering.next_chunk()
    answering.end()
    finished = list(call)[-1].finished
    web.service.wait_stored(finished.trace_id)
    assessment_id = ""
    if up is not None:
        assessment_id = web.service.feedback.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                trace_id=finished.trace_id,
                bool_value=up,
                rationale=comment,
                feedback_token=finished.feedback_token,
                request_id=str(uuid.uuid4()),
                wait_until_stored=True,
            ),
            metadata=as_end_user,
            timeout=60,
        ).assessment_id
    if rating is not None:
        web.service.feedback.SubmitRatings(
            feedback_pb2.SubmitRatingsRequest(
                trace_id=finished.trace_id,
                ratings=[feedback_pb2.DimensionRating(name="user_rating", score=rating)],
                feedback_token=finished.feedback_token,
                request_id=str(uuid.uuid4()),
                wait_until_stored=True,
            ),
            metadata=as_end_user,
            timeout=60,
        )
    return assessment_id


def summary(web) -> analytics_pb2.GetFeedbackSummaryResponse:
    """What the dashboard asks for (web/src/dashboard.ts), asked directly with the operator's credential."""
    return web.analytics.GetFeedbackSummary(
        analytics_pb2.GetFeedbackSummaryRequest(
            interval=analytics_pb2.SUMMARY_INTERVAL_HOUR,
            group_by=analytics_pb2.GROUP_DIMENSION_TRACE_TAG,
            group_by_tag="model",
            count_traces_with_feedback=True,
        ),
        metadata=bearer(web.identity.token(web_demo.OPERATOR)),
        timeout=60,
    )


def figures(page: Page) -> dict:
    return page.eval(
        """(() => Object.fromEntries(['trace-count', 'traces-with-feedback', 'feedback-rate', 'positive-rate',
             'positive-interval', 'votes', 'rating-mean', 'rating-count', 'rating-distribution']
             .map((id) => [id, document.getElementById(id).dataset.value])))()"""
    )


def expected_figures(response) -> dict:
    total = response.total
    (thumbs,) = [b for b in total.booleans if b.name == "user_feedback"]
    (rating,) = [n for n in total.numbers if n.name == "user_rating"]
    counts = {d.score: d.count for d in rating.distribution}
    return {
        "trace-count": str(total.trace_count),
        "traces-with-feedback": str(total.traces_with_feedback),
        "feedback-rate": _js_number(total.feedback_rate),
        "positive-rate": _js_number(thumbs.positive_rate),
        "positive-interval": f"{_js_number(thumbs.positive_rate_low)},{_js_number(thumbs.positive_rate_high)}",
        "votes": f"{thumbs.positive},{thumbs.negative}",
        "rating-mean": _js_number(rating.mean),
        "rating-count": str(rating.count),
        "rating-distribution": ",".join(str(counts.get(score, 0)) for score in range(1, 6)),
    }


def _js_number(value: float) -> str:
    """A double as JavaScript's String(number) writes it (shortest round trip; integers without .0)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def test_the_dashboard_shows_the_summarys_figures_and_a_new_vote_live(web):
    vote(web, "demo", True, 5)
    vote(web, "demo", False, 2, "Too vague")
    vote(web, "large", True, 4)
    vote(web, "large", None, 1)
    page = web.browser.open(f"{web.page_url}/dashboard.html")
    page.wait("document.body.dataset.ready === 'true'", 30_000)
    assert not page.eval("document.getElementById('page-error').textContent")
    expected = summary(web)
    assert figures(page) == expected_figures(expected)
    rows = page.eval("[...document.querySelectorAll('#models tr')].map((row) => row.dataset.model)")
    assert sorted(rows) == sorted(g.value for g in expected.groups) == ["demo", "large"]
    low = page.eval("[...document.querySelectorAll('#low-rated li')].map((item) => item.textContent)")
    # The low ones of this module: the first test's flipped 👎, the 👎 "Too vague" and its rating of 2, a rating of 1.
    assert len(low) == 4 and sum("Too vague" in item for item in low) == 1, low
    loads = int(page.eval("document.body.dataset.summaryLoaded"))

    new_vote = vote(web, "large", False, None, "Wrong model answer")
    acknowledged = time.monotonic()
    page.wait(f"document.querySelector('#live li[data-assessment-id=\"{new_vote}\"]')", 3_000)
    assert time.monotonic() - acknowledged < 3
    assert "Wrong model answer" in page.eval("document.querySelector('#low-rated li').textContent")
    # The figures follow: the summary is fetched again and equals GetFeedbackSummary's once more.
    page.wait(f"Number(document.body.dataset.summaryLoaded) > {loads}", 5_000)
    assert figures(page) == expected_figures(summary(web))
    page.screenshot(path=str(web.shots / "dashboard.png"))
    page.close()
