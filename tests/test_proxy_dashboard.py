"""The dashboard's drift list, in a real headless Chromium: shown on a proxy, hidden on serve."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from proxy_support import new_key, proxy_to, upstream

from novu_mock import bundled

try:
    from playwright.sync_api import Browser, expect, sync_playwright
except ImportError:  # pragma: no cover - CI installs it
    HAVE_PLAYWRIGHT = False
else:
    HAVE_PLAYWRIGHT = True

CHROMIUM = "/usr/bin/chromium"
FIXTURES: list[Any] = [bundled("statuses.yaml")]
INACTIVE = {"workflows": [{"workflowId": "status-processed", "active": False}]}

pytestmark = pytest.mark.skipif(
    not (HAVE_PLAYWRIGHT and os.path.exists(CHROMIUM)) and os.environ.get("CI") != "true",
    reason=f"needs the playwright package and a Chromium at {CHROMIUM}",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


def test_the_dashboard_lists_drift_on_a_proxy(browser: Browser) -> None:
    key = new_key()
    with upstream(*FIXTURES, INACTIVE) as up, proxy_to(up.url, *FIXTURES) as (proxy, _):
        page = browser.new_page()
        page.goto(f"{proxy.url}/_mock/#/drift")
        expect(page.locator("#nav-drift")).to_be_visible()
        expect(page.locator("#drift tbody")).to_contain_text("No drift")
        httpx.post(
            f"{proxy.url}/v1/events/trigger",
            json={"name": "status-processed", "to": "status-user"},
            headers={"Authorization": f"ApiKey {key}"},
        )
        row = page.locator("#drift tbody tr").first
        expect(row).to_contain_text("POST /v1/events/trigger")  # the page polls for changes
        expect(row).to_contain_text("$.data.status")
        expect(row).to_contain_text('"trigger_not_active"')
        expect(row).to_contain_text(f"****{key[-4:]}")
        expect(page.locator("#drift-summary")).to_have_text("1 call with drift")
        page.close()


def test_the_drift_link_stays_hidden_on_serve(browser: Browser) -> None:
    with upstream(*FIXTURES) as server:
        page = browser.new_page()
        page.goto(f"{server.url}/_mock/")
        expect(page.locator("#journal")).to_be_visible()
        expect(page.locator("#nav-drift")).to_be_hidden()
        page.close()
