"""The dashboard at /_mock/: its admin queries through Engine.handle, and the page end to end in
a real headless Chromium against a live uvicorn server on loopback.

The browser tests need Debian's chromium at /usr/bin/chromium and the `playwright` package (no
`playwright install`: the system browser is launched through `executable_path`)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from novu_mock import Call, Clock, Engine, Reply, bundled, create_app
from novu_mock._model.environment import Environment
from novu_mock._model.records import TriggerRecord

try:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - CI installs it
    HAVE_PLAYWRIGHT = False
else:
    HAVE_PLAYWRIGHT = True

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
KEY = "dashboard-test-key"
OTHER_KEY = "dashboard-other-zzzz"

# CI installs both, so there a missing browser fails the tests rather than skipping them.
needs_browser = pytest.mark.skipif(
    not (HAVE_PLAYWRIGHT and os.path.exists(CHROMIUM)) and os.environ.get("CI") != "true",
    reason=f"needs the playwright package and a Chromium at {CHROMIUM} "
    "(apt-get install chromium; pip install playwright)",
)


# -- helpers ----------------------------------------------------------------------------------


def get(engine: Engine, path: str, query: str = "", key: str | None = None) -> Reply:
    headers = {"authorization": f"ApiKey {key}"} if key else {}
    return engine.handle(Call("GET", path, query=query, headers=headers))


def post(engine: Engine, path: str, body: Any, key: str = KEY) -> Reply:
    headers = {"authorization": f"ApiKey {key}", "content-type": "application/json"}
    return engine.handle(Call("POST", path, headers=headers, body=json.dumps(body).encode()))


def data(reply: Reply) -> Any:
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def record(env: Environment, i: int, workflow: str, status: str, subscriber: str) -> TriggerRecord:
    return TriggerRecord(
        transaction_id=f"txn-{i}",
        workflow_id=workflow,
        status=status,
        error=["boom"] if status == "error" else None,
        to=subscriber,
        recipients=[subscriber] if status == "processed" else [],
        payload={"i": i, "text": "x" * 100},
        overrides={},
        actor=None,
        tenant=None,
        source="bulk",
        bulk_index=i % 100,
        received_at=1_700_000_000.0 + i,
        forced=False,
        notes=[],
        environment=env,
    )


# -- the admin queries, through Engine.handle ---------------------------------------------------

WORKFLOWS = ("welcome", "order-shipped", "comment-added", "password-reset")
STATUSES = ("processed", "processed", "processed", "error", "trigger_not_active")


@pytest.fixture(scope="module")
def big_engine() -> Engine:
    """An engine whose journal holds 100,000 records over two environments."""
    engine = Engine([bundled()])
    envs = [engine.environment("dashboard-key-aaaa"), engine.environment("dashboard-key-bbbb")]
    for i in range(100_000):
        env = envs[i % 2]
        env.record_trigger(record(env, i, WORKFLOWS[i % 4], STATUSES[i % 5], f"user-{i % 50}"))
    return engine


def test_paging_100k_records_is_filtered_and_paged_on_the_server(big_engine: Engine) -> None:
    journal = big_engine.trigger_journal()
    query = "workflowId=welcome&subscriberId=user-12&status=processed&environment=****aaaa"
    started = time.perf_counter()
    reply = get(big_engine, "/_mock/dashboard/triggers", query + "&limit=25&offset=10")
    elapsed = time.perf_counter() - started

    body = data(reply)
    expected = [
        r.seq
        for r in reversed(journal)
        if r.workflow_id == "welcome"
        and "user-12" in r.recipients
        and r.status == "processed"
        and r.environment.masked == "****aaaa"
    ]
    assert len(expected) > 35  # enough matches for the page to be a real slice
    assert body["total"] == len(expected)
    assert [row["seq"] for row in body["data"]] == expected[10:35]
    assert (body["offset"], body["limit"]) == (10, 25)
    # Only the page crosses the wire, as compact rows without payloads.
    assert len(reply.body) < 20_000
    assert all("payload" not in row for row in body["data"])
    assert elapsed < 2.0, f"a filtered page of 100,000 records took {elapsed:.2f}s"


def test_paging_100k_without_filters_slices_newest_first(big_engine: Engine) -> None:
    journal = big_engine.trigger_journal()
    started = time.perf_counter()
    body = data(get(big_engine, "/_mock/dashboard/triggers", "offset=99990&limit=50"))
    elapsed = time.perf_counter() - started
    assert body["total"] == 100_000
    assert [row["seq"] for row in body["data"]] == [r.seq for r in journal[9::-1]]
    assert elapsed < 0.5

    first = data(get(big_engine, "/_mock/dashboard/triggers"))
    assert len(first["data"]) == 50  # the default page size
    assert first["data"][0]["seq"] == journal[-1].seq


def test_environment_of_the_api_key_scopes_the_listing(big_engine: Engine) -> None:
    mine = data(get(big_engine, "/_mock/dashboard/triggers", "limit=500", key="dashboard-key-bbbb"))
    assert mine["total"] == 50_000
    assert {row["environment"] for row in mine["data"]} == {"****bbbb"}
    unknown = data(get(big_engine, "/_mock/dashboard/triggers", key="never-used"))
    assert unknown == {"data": [], "total": 0, "offset": 0, "limit": 50}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=ten", "offset=-1", "offset=1.5"])
def test_bad_paging_parameters_are_refused(query: str) -> None:
    reply = get(Engine([bundled()]), "/_mock/dashboard/triggers", query)
    assert reply.status == 422
    body = json.loads(reply.body)
    assert body["statusCode"] == 422
    assert query.split("=")[0] in body["message"]


def bulk(engine: Engine, *events: dict[str, Any], key: str = KEY) -> list[dict[str, Any]]:
    reply = post(engine, "/v1/events/trigger/bulk", {"events": list(events)}, key)
    assert reply.status == 201, reply.body
    result: list[dict[str, Any]] = json.loads(reply.body)["data"]
    return result


def test_existing_triggers_listing_is_unchanged() -> None:
    engine = Engine([bundled()])
    bulk(engine, {"name": "welcome", "to": "user-1"}, {"name": "welcome", "to": "user-2"})
    records = data(get(engine, "/_mock/triggers"))["data"]
    assert [r["to"] for r in records] == ["user-1", "user-2"]  # still oldest first
    journal = engine.trigger_journal()
    assert journal[0].seq < journal[1].seq
    assert set(records[0]) == {  # DESIGN section 6: `seq` stays a dashboard-only field
        "transactionId",
        "workflowId",
        "status",
        "error",
        "to",
        "recipients",
        "payload",
        "overrides",
        "actor",
        "tenant",
        "source",
        "bulkIndex",
        "receivedAt",
        "canceled",
        "forced",
        "notes",
        "jobs",  # DESIGN section 10: held delay and digest steps
        "environment",
    }
    only = data(get(engine, "/_mock/triggers", "subscriberId=user-2"))["data"]
    assert [r["to"] for r in only] == ["user-2"]


def test_detail_has_the_request_the_answer_and_the_notes() -> None:
    engine = Engine([bundled()])
    answers = bulk(
        engine,
        {"name": "welcome", "to": "user-1", "payload": {"name": "Ada"}},
        {
            "name": "order-shipped",
            "to": [{"topicKey": "no-such-topic", "type": "Topic"}],
            "payload": {"orderId": "A-17"},
            "overrides": {"email": {"subject": "Hi"}},
            "actor": "user-2",
            "tenant": "acme",
        },
    )
    rows = data(get(engine, "/_mock/dashboard/triggers"))["data"]
    assert [row["workflowId"] for row in rows] == ["order-shipped", "welcome"]
    assert rows[0]["noteCount"] == 1

    detail = data(get(engine, f"/_mock/dashboard/triggers/{rows[0]['seq']}"))["data"]
    assert detail["payload"] == {"orderId": "A-17"}
    assert detail["overrides"] == {"email": {"subject": "Hi"}}
    assert (detail["actor"], detail["tenant"]) == ("user-2", "acme")
    assert detail["answer"] == answers[1]  # activityFeedLink included: from the request journal
    assert detail["httpStatus"] == 201
    assert len(detail["notes"]) == 1 and "no-such-topic" in detail["notes"][0]
    first = data(get(engine, f"/_mock/dashboard/triggers/{rows[1]['seq']}"))["data"]
    # "Request as sent": the bulk item exactly as sent, `name` kept, nothing added.
    assert first["sent"] == {"name": "welcome", "to": "user-1", "payload": {"name": "Ada"}}

    missing = get(engine, "/_mock/dashboard/triggers/999999999")
    assert missing.status == 404
    other_env = get(engine, f"/_mock/dashboard/triggers/{rows[0]['seq']}", key="someone-else")
    assert other_env.status == 404


def test_detail_answer_is_rebuilt_when_the_request_is_gone() -> None:
    engine = Engine([bundled()])
    bulk(engine, {"name": "missing-workflow", "to": "user-1", "transactionId": "t-1"})
    engine.environment(KEY).journal.requests.clear()
    seq = data(get(engine, "/_mock/dashboard/triggers"))["data"][0]["seq"]
    detail = data(get(engine, f"/_mock/dashboard/triggers/{seq}"))["data"]
    assert detail["answer"] == {
        "acknowledged": True,
        "status": "error",
        "error": ["workflow_not_found"],
        "transactionId": "t-1",
    }
    assert detail["httpStatus"] is None
    assert detail["sent"] == {"name": "missing-workflow", "to": "user-1"}


def test_subscribers_view_counts_channels_of_active_steps() -> None:
    # order-shipped waits an hour first, so that its trigger has pending work to cancel.
    shipped = {
        "workflowId": "order-shipped",
        "steps": [
            {"type": "delay", "amount": 1, "unit": "hours"},
            {"type": "sms"},
            {"type": "push"},
            {"type": "chat", "active": False},
        ],
    }
    engine = Engine([bundled(), {"workflows": [shipped]}], clock=Clock.virtual())
    bulk(
        engine,
        # welcome: in_app + email, to user-1 and (through the topic) user-1 and user-2
        {"name": "welcome", "to": [{"topicKey": "beta-users", "type": "Topic"}]},
        # order-shipped: sms + push (its chat step is inactive)
        {"name": "order-shipped", "to": "user-1", "transactionId": "ship-1"},
        # comment-added: in_app + chat
        {"name": "comment-added", "to": "user-2"},
        {"name": "missing-workflow", "to": "user-1"},
    )
    cancel = engine.handle(
        Call("DELETE", "/v1/events/trigger/ship-1", headers={"authorization": f"ApiKey {KEY}"})
    )
    assert json.loads(cancel.body) == {"data": True}

    body = data(get(engine, "/_mock/dashboard/subscribers"))
    by_id = {entry["subscriberId"]: entry for entry in body["data"]}
    assert body["total"] == 2
    assert by_id["user-1"]["channels"] == {"in_app": 1, "email": 1, "sms": 0, "chat": 0, "push": 0}
    assert by_id["user-1"]["triggers"] == 2 and by_id["user-1"]["canceled"] == 1
    assert by_id["user-2"]["channels"] == {"in_app": 2, "email": 1, "sms": 0, "chat": 1, "push": 0}
    assert by_id["user-2"]["workflows"]["comment-added"] == {
        "triggers": 1,
        "channels": {"in_app": 1, "email": 0, "sms": 0, "chat": 1, "push": 0},
    }
    one = data(get(engine, "/_mock/dashboard/subscribers", "subscriberId=user-2"))
    assert [e["subscriberId"] for e in one["data"]] == ["user-2"]


def test_version_changes_with_every_novu_call_and_lists_environments() -> None:
    engine = Engine([bundled()])
    before = data(get(engine, "/_mock/dashboard/version"))
    assert before == {
        "triggers": 0,
        "last": 0,
        "requests": 0,
        "environments": [],
        "warnings": [],
    }
    bulk(engine, {"name": "welcome", "to": "user-1"})
    after = data(get(engine, "/_mock/dashboard/version"))
    assert after["triggers"] == 1 and after["last"] > 0 and after["requests"] == 1
    assert after["environments"] == ["****-key"]


def test_page_and_assets_are_packaged_and_fetch_nothing_elsewhere() -> None:
    engine = Engine([bundled()])
    for path in ("/_mock/", "/_mock"):
        page = get(engine, path)
        assert page.status == 200
        assert page.header("content-type") == "text/html; charset=utf-8"
        assert "default-src 'none'" in (page.header("content-security-policy") or "")
    html = get(engine, "/_mock/").body.decode()
    assert "http://" not in html and "https://" not in html
    for name, kind in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        asset = get(engine, f"/_mock/dashboard/assets/{name}")
        assert asset.status == 200 and (asset.header("content-type") or "").startswith(kind)
        assert f"/_mock/dashboard/assets/{name}" in html
        assert b"http://" not in asset.body and b"https://" not in asset.body
    assert get(engine, "/_mock/dashboard/assets/..%2F_engine.py").status == 404
    assert engine.request_journal() == []  # admin calls are not journaled


# -- the page in a real browser ------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    engine: Engine
    client: httpx.Client

    def bulk(self, *events: dict[str, Any], key: str = KEY) -> list[dict[str, Any]]:
        reply = self.client.post(
            "/v1/events/trigger/bulk",
            json={"events": list(events)},
            headers={"Authorization": f"ApiKey {key}"},
        )
        assert reply.status_code == 201, reply.text
        result: list[dict[str, Any]] = reply.json()["data"]
        return result


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    engine = Engine([bundled()])
    config = uvicorn.Config(
        create_app(engine), log_level="warning", lifespan="off", ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=10) as client:
        yield LiveServer(url, engine, client)
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    page: Page
    live: LiveServer
    urls: list[str] = field(default_factory=list)

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.live.url}/_mock/{hash_}")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(browser: Browser, live: LiveServer) -> Iterator[Tab]:
    assert live.client.post("/_mock/reset").status_code == 204
    context = browser.new_context(viewport={"width": 1360, "height": 820})
    page = context.new_page()
    page.set_default_timeout(10_000)
    opened = Tab(page, live)
    page.on("request", lambda request: opened.urls.append(request.url))
    yield opened
    context.close()


def rows(tab: Tab) -> Locator:
    return tab.page.locator("#journal tbody tr.row")


@needs_browser
def test_bulk_rows_appear_live_filter_detail_and_reset(tab: Tab) -> None:
    page = tab.page
    tab.open()
    expect(page.locator("#journal tbody tr.empty")).to_contain_text("No triggers yet")
    page.evaluate("window.__sameDocument = true")

    tab.live.bulk(
        {"name": "welcome", "to": ["user-1", "user-2"], "payload": {"name": "Ada"}},
        {"name": "order-shipped", "to": "user-3", "payload": {"orderId": "A-17"}},
        {"name": "welcome", "to": [{"topicKey": "beta-users", "type": "Topic"}]},
        {"name": "no-such-workflow", "to": "user-1"},
    )
    expect(rows(tab)).to_have_count(4)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    newest = rows(tab).nth(0)
    expect(newest).to_contain_text("bulk #3")
    expect(newest.locator(".status")).to_have_text("error")
    expect(newest.locator(".status")).to_have_class("badge status status-bad")
    expect(newest.locator(".error-text")).to_have_text("workflow_not_found")
    expect(rows(tab).nth(1)).to_contain_text("user-1, user-2")  # the topic's fan-out
    expect(rows(tab).nth(3).locator(".status")).to_have_class("badge status status-ok")
    expect(page.locator("#summary")).to_have_text("1-4 of 4 triggers, newest first")
    tab.shot("dashboard-journal")

    page.fill("#f-subscriberId", "user-3")
    expect(rows(tab)).to_have_count(1)
    expect(rows(tab).nth(0)).to_contain_text("order-shipped")
    assert "subscriberId=user-3" in page.url
    page.reload()  # the filter lives in the URL
    expect(page.locator("#f-subscriberId")).to_have_value("user-3")
    expect(rows(tab)).to_have_count(1)
    page.fill("#f-subscriberId", "user-2")
    expect(rows(tab)).to_have_count(2)
    for i in range(2):
        expect(rows(tab).nth(i)).to_contain_text("welcome")

    page.fill("#f-subscriberId", "user-3")
    expect(rows(tab)).to_have_count(1)
    rows(tab).nth(0).click()
    expect(page.locator("#view-trigger")).to_be_visible()
    expect(page.locator("#detail-request")).to_contain_text('"orderId": "A-17"')
    expect(page.locator("#detail-answer")).to_contain_text('"status": "processed"')
    expect(page.locator("#detail-http")).to_have_text("HTTP 201")
    expect(page.locator("#detail-notes")).to_contain_text("Novu would have done the same")
    assert "#/trigger/" in page.url
    tab.shot("dashboard-detail")

    page.click("#back")
    expect(rows(tab)).to_have_count(1)
    page.click("#clear-filters")
    expect(rows(tab)).to_have_count(4)
    page.click("#reset")
    expect(page.locator("#journal tbody tr.empty")).to_be_visible()
    expect(rows(tab)).to_have_count(0)
    assert tab.live.engine.trigger_journal() == []


@needs_browser
def test_environment_filter_status_filter_and_paging(tab: Tab) -> None:
    page = tab.page
    tab.live.bulk(*({"name": "welcome", "to": f"user-{i}"} for i in range(60)))
    tab.live.bulk({"name": "order-shipped", "to": "user-1"}, key=OTHER_KEY)
    tab.open()
    expect(page.locator("#summary")).to_have_text("1-50 of 61 triggers, newest first")
    page.click("#next")
    expect(rows(tab)).to_have_count(11)
    assert "offset=50" in page.url

    expect(page.locator("#f-environment option[value='****zzzz']")).to_have_count(1)
    page.select_option("#f-environment", "****zzzz")
    expect(rows(tab)).to_have_count(1)
    expect(rows(tab).nth(0)).to_contain_text("order-shipped")
    assert "environment=" in page.url and "offset" not in page.url

    page.select_option("#f-environment", "")
    page.select_option("#f-status", "error")
    expect(page.locator("#journal tbody tr.empty")).to_contain_text("No trigger matches")


@needs_browser
def test_subscriber_view_and_stores_update_live(tab: Tab) -> None:
    page = tab.page
    tab.live.bulk({"name": "welcome", "to": "user-1"})
    tab.open("#/subscribers")
    row = page.locator('#subscribers tr[data-subscriber="user-1"]')
    expect(row.locator('td[data-channel="email"]')).to_have_text("1")
    expect(row.locator('td[data-channel="sms"]')).to_have_text("0")

    tab.live.bulk({"name": "order-shipped", "to": "user-1"})
    expect(row.locator('td[data-channel="sms"]')).to_have_text("1")  # no reload
    expect(row.locator('td[data-channel="push"]')).to_have_text("1")
    expect(row.locator('td[data-channel="chat"]')).to_have_text("0")  # the chat step is inactive
    expect(row).to_contain_text("order-shipped (1): sms 1, push 1")
    tab.shot("dashboard-subscribers")

    page.click('nav a[data-view="stores"]')
    stores = page.locator(f'#stores .env-stores[data-environment="****{KEY[-4:]}"]')
    expect(stores).to_have_count(1)
    expect(stores).to_contain_text("order-shipped")
    expect(stores.locator(".badge.step.inactive")).to_have_text(["chat"])
    expect(stores).to_contain_text("beta-users")
    expect(stores).to_contain_text("user-1, user-2")
    tab.shot("dashboard-stores")

    page.click('nav a[data-view="subscribers"]')
    page.locator('#subscribers a:text("user-1")').click()
    expect(rows(tab)).to_have_count(2)
    assert "subscriberId=user-1" in page.url


@needs_browser
def test_page_requests_nothing_but_the_mock(tab: Tab) -> None:
    page = tab.page
    tab.live.bulk({"name": "welcome", "to": "user-1", "payload": {"link": "https://example.com/x"}})
    tab.open()
    expect(rows(tab)).to_have_count(1)
    rows(tab).nth(0).click()
    expect(page.locator("#detail-request")).to_contain_text("example.com")
    for view in ("subscribers", "stores", "journal"):
        page.click(f'nav a[data-view="{view}"]')
        expect(page.locator(f"#view-{view}")).to_be_visible()
    page.wait_for_timeout(1500)  # at least one poll
    mock = urlsplit(tab.live.url).netloc
    # data: URLs (the empty favicon) are no request to any host
    foreign = [u for u in tab.urls if urlsplit(u).scheme != "data" and urlsplit(u).netloc != mock]
    assert not foreign, foreign
    paths = {urlsplit(url).path for url in tab.urls}
    assert {"/_mock/", "/_mock/dashboard/assets/dashboard.js", "/_mock/dashboard/version"} <= paths


@needs_browser
def test_a_retry_loop_is_shown_as_a_banner(tab: Tab) -> None:
    page = tab.page
    tab.open()
    expect(page.locator("#warnings")).to_be_hidden()
    auth = {"Authorization": f"ApiKey {KEY}"}
    assert tab.live.client.post("/_mock/faults", json={"status": 503}, headers=auth).is_success
    retry = {**auth, "Idempotency-Key": "one-call"}  # @novu/api keeps the key across retries
    for _ in range(4):
        tab.live.client.post(
            "/v1/events/trigger", json={"name": "welcome", "to": "u"}, headers=retry
        )
    expect(page.locator("#warnings")).to_be_visible()
    expect(page.locator("#warnings")).to_contain_text("was sent 4 times")
    expect(page.locator("#warnings")).to_contain_text("Turn retries off")
    assert tab.live.client.post("/_mock/reset").status_code == 204
    expect(page.locator("#warnings")).to_be_hidden()
