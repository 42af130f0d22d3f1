"""The dashboard's outbox (DESIGN 9): its query through Engine.handle, and the page in a real
headless Chromium: emails in a sandboxed frame that can run no script and fetch nothing, SMS,
push, chat and in-app as cards, skips with their reasons, live without a reload."""

from __future__ import annotations

import contextlib
import json

from test_dashboard import (  # the live server, browser and tab fixtures are shared
    KEY,
    Tab,
    browser,
    get,
    live,
    needs_browser,
    tab,
)

from novu_mock import Call, Engine, bundled

with contextlib.suppress(ImportError):  # CI installs it; the browser test is skipped without
    from playwright.sync_api import expect

__all__ = ["browser", "live", "tab"]  # fixtures imported for this module's tests


def _bulk(engine: Engine, *events: dict[str, object]) -> None:
    body = json.dumps({"events": list(events)}).encode()
    headers = {"authorization": f"ApiKey {KEY}", "content-type": "application/json"}
    assert engine.handle(Call("POST", "/v1/events/trigger/bulk", "", headers, body)).status == 201


def test_outbox_groups_messages_and_skips_per_subscriber() -> None:
    engine = Engine([bundled()])
    _bulk(
        engine,
        {"name": "welcome", "to": "user-1", "payload": {"plan": "pro"}},
        {"name": "comment-added", "to": "user-2", "actor": "user-1", "payload": {"comment": "Hi"}},
    )
    body = json.loads(get(engine, "/_mock/dashboard/outbox").body)
    assert body["total"] == 2
    by_id = {g["subscriberId"]: g for g in body["data"]}
    assert [m["channel"] for m in by_id["user-1"]["messages"]] == ["in_app", "email"]
    assert by_id["user-1"]["messages"][0]["subscriberName"] == "Ada Lovelace"
    assert [(s["channel"], s["reason"]) for s in by_id["user-2"]["skips"]] == [
        ("chat", "no_address")
    ]
    one = json.loads(get(engine, "/_mock/dashboard/outbox", "subscriberId=user-2").body)
    assert [g["subscriberId"] for g in one["data"]] == ["user-2"]
    email = by_id["user-1"]["messages"][1]
    html = get(engine, f"/_mock/dashboard/messages/{email['id']}/html")
    assert html.status == 200 and b"Hi Ada," in html.body
    policy = html.header("content-security-policy") or ""
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy  # no script of any origin
    missing = get(engine, f"/_mock/dashboard/messages/{by_id['user-1']['messages'][0]['id']}/html")
    assert missing.status == 404  # an in-app message has no HTML page


@needs_browser
def test_outbox_shows_what_each_person_would_see(tab: Tab) -> None:
    page = tab.page
    answered: list[str] = []  # what became of each attempt to fetch the hostile email's URLs
    page.on("response", lambda r: answered.append(r.url) if "leak" in r.url else None)
    page.on(
        "requestfailed",
        lambda r: answered.append(f"failed {r.url} {r.failure}") if "leak" in r.url else None,
    )
    tab.open("#/outbox")
    expect(page.locator("#outbox .empty")).to_contain_text("Nothing sent yet")
    page.evaluate("window.__sameDocument = true")
    leak = f"{tab.live.url}/_mock/health?leak=1"
    assert (
        tab.live.client.post(
            "/_mock/fixtures",
            json={
                "workflows": [
                    {
                        "workflowId": "hostile",
                        "steps": [
                            {
                                "type": "email",
                                "subject": "Hostile",
                                "body": "<p id='x'>plain</p><script>parent.document.title='pwned';"
                                "document.getElementById('x').textContent='ran'</script>"
                                f"<img src='{leak}'><link rel='stylesheet' href='{leak}'>",
                            }
                        ],
                    }
                ]
            },
            headers={"Authorization": f"ApiKey {KEY}"},
        ).status_code
        == 201
    )
    tab.live.bulk(
        {"name": "welcome", "to": "user-1", "payload": {"plan": "pro"}, "tenant": "acme"},
        {"name": "order-shipped", "to": "user-3", "payload": {"orderId": "A-17", "eta": "Friday"}},
        {
            "name": "comment-added",
            "to": ["user-2", "user-3"],
            "actor": "user-1",
            "payload": {
                "comment": "Lovely engine!",
                "postTitle": "Notes on the Analytical Engine",
                "postId": 7,
            },
        },
        {
            "name": "password-reset",
            "to": "user-2",
            "payload": {"resetUrl": "https://app.example.com/r/x"},
        },
    )
    ada = page.locator('.outbox-subscriber[data-subscriber="user-1"]')
    expect(ada).to_have_count(1)  # live: no reload
    assert page.evaluate("window.__sameDocument") is True
    expect(ada.locator(".card-in_app .subject")).to_have_text("Welcome, Ada!")
    expect(ada.locator(".card-in_app .cta")).to_contain_text("https://app.example.com/tour")
    frame = ada.locator(".card-email iframe.email-frame")
    expect(frame).to_have_attribute("sandbox", "")
    expect(
        page.frame_locator('.outbox-subscriber[data-subscriber="user-1"] iframe').locator("h1")
    ).to_have_text("Hi Ada,")
    grace = page.locator('.outbox-subscriber[data-subscriber="user-3"]')
    expect(grace.locator(".card-sms .content")).to_have_text(
        "Example: order A-17 has shipped, arriving Friday."
    )
    expect(grace.locator(".card-push .subject")).to_have_text("Order A-17 shipped")
    expect(grace.locator(".card-chat .content")).to_contain_text(
        "Ada commented on Notes on the Analytical Engine"
    )
    alan = page.locator('.outbox-subscriber[data-subscriber="user-2"]')
    expect(alan.locator(".card-email .subject")).to_have_text("Reset your password")
    skip = alan.locator('.skip[data-channel="chat"]')
    expect(skip).to_contain_text("no address")
    expect(skip.locator(".detail")).to_have_text("Webhook URL for the chat channel is missing")
    expect(page.locator("#outbox-summary")).to_have_text(
        "8 message(s) and 1 skipped step(s) for 3 subscriber(s)"
    )
    alan_mail = page.frame_locator('.outbox-subscriber[data-subscriber="user-2"] iframe').first
    expect(alan_mail.locator("p").first).to_contain_text("Hi Alan,")
    tab.shot("dashboard-outbox")

    # A hostile email can neither run script nor fetch anything.
    tab.live.bulk({"name": "hostile", "to": "user-2"})
    hostile = page.frame_locator(
        '.outbox-subscriber[data-subscriber="user-2"] .card-email iframe'
    ).first
    expect(hostile.locator("#x")).to_have_text("plain")
    assert page.title() != "pwned"
    page.wait_for_timeout(300)
    # Chromium reports each attempt, and its policy blocks it before any byte leaves.
    assert answered and all(a.startswith("failed ") and a.endswith(" csp") for a in answered)

    # The subscriber filter, kept in the URL.
    page.fill("#o-subscriberId", "user-3")
    expect(page.locator(".outbox-subscriber")).to_have_count(1)
    assert "subscriberId=user-3" in page.url
