"""The outbox names the provider that sent each message, and a step skipped for want of an
active integration shows Novu's reason (a real headless Chromium, as tests/test_dashboard.py)."""

from __future__ import annotations

import contextlib

from test_dashboard import KEY, Tab, browser, live, needs_browser, tab

with contextlib.suppress(ImportError):
    from playwright.sync_api import expect

__all__ = ["browser", "live", "tab"]  # fixtures imported for this module's tests


@needs_browser
def test_outbox_names_the_provider_and_the_missing_integration(tab: Tab) -> None:
    page = tab.page
    headers = {"Authorization": f"ApiKey {KEY}"}
    listed = tab.live.client.get("/v1/integrations", headers=headers).json()["data"]
    twilio = next(i for i in listed if i["identifier"] == "twilio")
    answer = tab.live.client.put(
        f"/v1/integrations/{twilio['_id']}", json={"active": False}, headers=headers
    )
    assert answer.status_code == 200
    tab.open("#/outbox")
    tab.live.bulk(
        {"name": "welcome", "to": "user-1", "payload": {"plan": "pro"}},
        {"name": "order-shipped", "to": "user-3", "payload": {"orderId": "A-1", "eta": "Monday"}},
    )
    ada = page.locator('.outbox-subscriber[data-subscriber="user-1"]')
    expect(ada.locator(".card-email .to")).to_contain_text("sendgrid")
    expect(ada.locator(".card-in_app")).to_contain_text("novu")
    grace = page.locator('.outbox-subscriber[data-subscriber="user-3"]')
    skip = grace.locator('.skip[data-channel="sms"]')
    expect(skip).to_contain_text("no integration")
    expect(skip.locator(".detail")).to_have_text("Subscriber does not have an active integration")
    expect(grace.locator(".card-sms")).to_have_count(0)
