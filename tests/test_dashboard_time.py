"""The dashboard's clock and a trigger's timeline (DESIGN 10) in a real browser: pending work is
shown with its due time, an advance button moves the virtual clock, and the message arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from test_dashboard import CHROMIUM, CHROMIUM_ARGS, HAVE_PLAYWRIGHT, needs_browser

from novu_mock import NovuMock

if HAVE_PLAYWRIGHT:
    from playwright.sync_api import Page, expect, sync_playwright

KEY = "dashboard-time-key"
FIXTURE = {
    "workflows": [
        {
            "workflowId": "reminder",
            "steps": [
                {"stepId": "wait", "type": "delay", "amount": 5, "unit": "minutes"},
                {
                    "stepId": "mail",
                    "type": "email",
                    "subject": "Your reminder",
                    "body": "Hello {{ subscriber.firstName }}",
                },
            ],
        }
    ],
    "subscribers": [{"subscriberId": "ada", "email": "ada@example.com", "firstName": "Ada"}],
}


@pytest.fixture
def page() -> Iterator[tuple[Page, str, NovuMock]]:
    mock = NovuMock(FIXTURE)  # a virtual clock
    with mock.serve() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab, server.url, mock
        context.close()
        browser.close()


@needs_browser
def test_timeline_shows_pending_work_and_an_advance_button_delivers_it(
    page: tuple[Page, str, NovuMock],
) -> None:
    tab, url, mock = page
    answer = httpx.post(
        url + "/v1/events/trigger",
        json={"name": "reminder", "to": "ada", "transactionId": "txn-dash"},
        headers={"Authorization": f"ApiKey {KEY}"},
    )
    assert answer.status_code == 201
    tab.goto(f"{url}/_mock/")
    expect(tab.locator("#clock-mode")).to_have_text("virtual")
    expect(tab.locator("#clock-pending")).to_have_text("1 pending")
    tab.locator("#journal tbody tr.row").first.click()

    timeline = tab.locator("#detail-timeline")
    job = timeline.locator(".job")
    expect(job).to_contain_text("delay step wait for ada")
    expect(job).to_contain_text("(pending)")
    expect(job.locator(".badge")).to_have_text("delayed")
    expect(timeline.locator(".message")).to_have_count(0)
    due = mock.clock.pending_jobs()[0]["dueAt"]
    tab.locator("a[data-view='outbox']").click()
    expect(tab.locator("#outbox-summary")).to_contain_text("0 message(s)")
    tab.go_back()
    expect(job).to_contain_text("(pending)")
    expect(job).to_contain_text(f"due {due}")

    tab.locator("button.advance[data-advance='60']").click()  # one minute: still waiting
    expect(tab.locator("#clock-pending")).to_have_text("1 pending")
    expect(timeline.locator(".message")).to_have_count(0)

    tab.locator("button.advance[data-advance='300']").click()  # past the due time
    expect(tab.locator("#clock-pending")).to_have_text("0 pending")
    message = timeline.locator(".message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("email to ada: Your reminder Hello Ada")
    expect(job.locator(".badge")).to_have_text("completed")
    expect(job).not_to_contain_text("(pending)")
    # The dashboard's outbox: empty before, the email card after (the clock moved in the tab).
    tab.locator("a[data-view='outbox']").click()
    card = tab.locator("#outbox .card-email")
    expect(card).to_have_count(1)
    expect(card.locator(".subject")).to_have_text("Your reminder")
    # The outbox as the API sees it: the email was sent at the delay's due time.
    sent = json.loads(httpx.get(url + "/_mock/messages").text)["data"]
    assert [(m["channel"], m["subscriberId"], m["createdAt"]) for m in sent] == [
        ("email", "ada", due)
    ]
