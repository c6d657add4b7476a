"""Supervisor and admin pages in headless Chromium: live calls, figures, charts, knowledge publishing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from ivr.storage.knowledge_store import KnowledgeStore
from ivr.survey import store_survey_score
from ivr.web.supervisor import poke
from tests.browser.conftest import Backend
from tests.browser.driver import log_in, text_of, wait_until, wait_ws_open
from tests.integration.web_core.seed import PASSWORD, add_user
from tests.integration.web_supervision.supervision_seed import Timings, add_disposition, stored_call

XSS = "<img src=x onerror=alert(1)>"
WAITING = Timings(transfer=10, queued=11, called=None, answered=None, completed=None)


def rows(driver: WebDriver, table: str) -> list[list[str]]:
    """The cell texts of a table's body, read in one script run (the page swaps tbody on every update)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))"
        ".map((tr) => Array.from(tr.cells).map((td) => td.textContent));",
        f"#{table}",
    )


def no_alert(driver: WebDriver) -> bool:
    """True when no JavaScript alert is open (an injected onerror=alert(1) would open one)."""
    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_supervisor_sees_live_calls_and_the_days_figures(
    desk_backend: Callable[..., Backend], browsers: Callable[[], WebDriver]
) -> None:
    in_bot: list[dict[str, Any]] = []
    backend = desk_backend(lambda deps: setattr(deps, "active_calls", lambda: list(in_bot)))
    now = datetime.now(UTC)
    # A call answered 1 minute ago, still with the agent, rated 4 and resolved (figures of today).
    started = now - timedelta(minutes=3)
    talking = backend.run(stored_call(backend.store, started, name=XSS, number="+15550111"))
    backend.run(stored_call(backend.store, now - timedelta(minutes=1), name="Waiting Wendy",
                            timings=WAITING))  # fmt: skip
    sue = backend.run(add_user(backend.desk, "sue", "supervisor"))
    backend.run(add_disposition(backend.store, talking, sue.id, True, now))
    backend.run(store_survey_score(backend.store, talking, 4))
    backend.run(backend.store.wait_flushed())

    async def still_talking() -> None:
        from tests.integration.web_supervision.supervision_seed import set_timings

        await set_timings(backend.store, talking, started, Timings(completed=None))

    backend.run(still_talking())
    driver = browsers()
    log_in(driver, backend.url, "sue", PASSWORD)
    assert driver.current_url.endswith("/supervisor")
    wait_until(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    wait_ws_open(driver)

    assert rows(driver, "with-agents")[0][:4] == ["+15550111", XSS, "billing", "Agent Seven"]
    assert rows(driver, "waiting")[0][:3] == ["+15550100", "Waiting Wendy", "billing"]
    assert text_of(driver, "count-with-agents") == "1" and text_of(driver, "count-in-bot") == "0"
    assert driver.find_elements(By.CSS_SELECTOR, "#with-agents img") == [] and no_alert(driver)

    # A new call reaches the bot: pushed over the WebSocket, no reload.
    in_bot.append({"call_uuid": "c-live", "caller_number": "+15550199", "caller_name": XSS, "language": "zh"})
    backend.run(_poke(backend))
    wait_until(driver, lambda d: text_of(d, "count-in-bot") == "1")
    assert rows(driver, "in-bot")[0][:3] == ["+15550199", XSS, "zh"]

    # Today's figures: 30 s speed of answer, satisfaction 4.0, agents' FCR 100 %, charts drawn.
    wait_until(driver, lambda d: text_of(d, "kpi-calls") == "2")
    assert text_of(driver, "kpi-asa").startswith("30 s")
    assert text_of(driver, "kpi-satisfaction").startswith("4.0 / 5")
    assert text_of(driver, "kpi-fcr").startswith("100 %")
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-reasons rect[data-reason='sensitive-topic']")
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-hourly rect.bar-calls")
    scores = [r[-1] for r in rows(driver, "day-calls")]
    assert "4" in scores
    assert no_alert(driver)


async def _poke(backend: Backend) -> None:
    """Ask the supervisor push task for a snapshot now (what AMI events do in the service)."""
    poke(backend.server.app)


def test_admin_edits_and_publishes_a_draft(
    desk_backend: Callable[..., Backend], browsers: Callable[[], WebDriver]
) -> None:
    published: list[int] = []

    async def reload() -> None:
        published.append(1)

    backend = desk_backend(lambda deps: setattr(deps, "on_knowledge_published", reload))
    backend.run(add_user(backend.desk, "adam", "admin"))
    entry = backend.run(backend.desk.add_knowledge_draft(
        language="en", question=XSS, answer="Hold reset for 10 seconds.", now=datetime.now(UTC),
        source_call_uuid="call-9",
    ))  # fmt: skip
    driver = browsers()
    log_in(driver, backend.url, "adam", PASSWORD)
    assert driver.current_url.endswith("/admin")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"li[data-entry-id='{entry}']"))
    item = driver.find_element(By.CSS_SELECTOR, f"li[data-entry-id='{entry}']")
    questions = item.find_element(By.NAME, "questions")
    assert questions.get_attribute("value") == XSS and no_alert(driver)
    questions.clear()
    questions.send_keys("How do I reset my router?")
    item.find_element(By.NAME, "keywords").send_keys("router, reset")
    item.find_element(By.CSS_SELECTOR, "button.publish").click()
    wait_until(driver, lambda d: "published" in text_of(d, "message"))
    assert driver.find_elements(By.CSS_SELECTOR, f"li[data-entry-id='{entry}']") == []

    entries = backend.run(KnowledgeStore(backend.store.session_factory).published_entries())
    assert [(e.questions, e.keywords) for e in entries] == [
        (("How do I reset my router?",), ("router", "reset"))
    ]
    assert published == [1]
    Select(driver.find_element(By.ID, "status")).select_by_value("published")
    wait_until(
        driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "published"
    )
    assert len(driver.find_elements(By.CSS_SELECTOR, "#entries li")) == 1
