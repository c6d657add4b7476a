"""The agent desktop in headless Chromium: login, screen-pop, caller data shown as text, disposition, KB."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from ivr.web.deps import HUB
from tests.browser.conftest import Backend
from tests.browser.driver import body_data, log_in, text_of, wait_until, wait_ws_open
from tests.integration.web_core.seed import PASSWORD, add_user, agent_event, seed_call

XSS = "<img src=x onerror=alert(1)>"


def _agent_browser(
    backend: Backend, browsers: Callable[[], WebDriver], username: str, agent_id: str
) -> WebDriver:
    """A browser logged in as a new agent, its WebSocket open."""
    backend.run(add_user(backend.desk, username, "agent", agent_id))
    driver = browsers()
    log_in(driver, backend.url, username, PASSWORD)
    assert driver.current_url.endswith("/agent")
    wait_ws_open(driver)
    return driver


async def _emit(backend: Backend, headers: list[tuple[str, str]]) -> None:
    """Send an AMI event from the fake Asterisk."""
    await backend.ami_server.emit(headers)


async def _send_marker(backend: Backend, agent_id: str) -> None:
    """Send a harmless status message to one agent (it arrives after anything sent before it)."""
    backend.server.app[HUB].send_to_agent(
        agent_id, {"type": "status", "agent_id": agent_id, "status": "paused"}
    )


def _pop_visible(driver: WebDriver) -> bool:
    """True once the screen-pop section is shown."""
    return driver.find_element(By.ID, "pop").is_displayed()


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_agent_page(desk_backend, browsers) -> None:
    backend = desk_backend()
    backend.run(add_user(backend.desk, "alice", "agent", "A1"))
    driver = browsers()
    driver.get(f"{backend.url}/agent")
    wait_until(driver, lambda d: d.current_url.endswith("/login"))
    driver.find_element(By.ID, "username").send_keys("alice")
    driver.find_element(By.ID, "password").send_keys("not the password")
    driver.find_element(By.ID, "login-submit").click()
    wait_until(driver, lambda d: text_of(d, "login-error") != "")
    assert "wrong username or password" in text_of(driver, "login-error")

    log_in(driver, backend.url, "alice", PASSWORD)
    wait_ws_open(driver)
    wait_until(driver, lambda d: "Alice (A1)" in text_of(d, "whoami"))


def test_agent_called_pops_the_transcript_for_the_ringing_agent_only_with_the_name_as_text(
    desk_backend, browsers
) -> None:
    backend = desk_backend()
    alice = _agent_browser(backend, browsers, "alice", "A1")
    bob = _agent_browser(backend, browsers, "bob", "A2")
    _, uniqueid = backend.run(seed_call(backend.store, caller_name=XSS))

    backend.run(_emit(backend, agent_event("AgentCalled", uniqueid=uniqueid, caller_name=XSS)))
    wait_until(alice, _pop_visible)

    assert text_of(alice, "pop-caller-name") == XSS
    assert alice.find_elements(By.TAG_NAME, "img") == []
    with pytest.raises(NoAlertPresentException):
        alice.switch_to.alert.text  # noqa: B018 (reading it is the check)
    turns = alice.find_elements(By.CSS_SELECTOR, "#pop-transcript li")
    assert len(turns) == 4
    assert "my invoice is wrong <b>twice</b>" in turns[1].text
    assert alice.find_elements(By.CSS_SELECTOR, "#pop-transcript b") == []
    assert text_of(alice, "pop-reason") == "caller-request"
    assert text_of(alice, "pop-tier") == "gold"
    assert text_of(alice, "pop-summary").startswith("Invoice looks wrong")
    assert "INV-42" in text_of(alice, "pop-slots")
    errors = [
        e["message"]
        for e in alice.get_log("browser")
        if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]
    assert errors == []  # no CSP violation, no script error

    # Bob's socket carried nothing between his hello and this later marker: no pop reached him.
    backend.run(_send_marker(backend, "A2"))
    wait_until(bob, lambda d: body_data(d, "messages") == "2")
    assert body_data(bob, "pops") == "0"
    assert not _pop_visible(bob)
    assert text_of(bob, "status-label") == "PAUSED"


def test_disposition_and_knowledge_draft_are_saved_through_the_page(desk_backend, browsers) -> None:
    backend = desk_backend()
    alice = _agent_browser(backend, browsers, "alice", "A1")
    call_uuid, uniqueid = backend.run(seed_call(backend.store))
    backend.run(_emit(backend, agent_event("AgentCalled", uniqueid=uniqueid)))
    wait_until(alice, _pop_visible)

    Select(alice.find_element(By.ID, "disp-category")).select_by_visible_text("billing")
    alice.find_element(By.ID, "disp-notes").send_keys("Corrected invoice INV-42")
    alice.find_element(By.ID, "disp-resolved").click()
    alice.find_element(By.ID, "disp-submit").click()
    wait_until(alice, lambda d: text_of(d, "disposition-result") == "Disposition saved.")

    question = alice.find_element(By.ID, "kb-question")
    assert question.get_attribute("value") == "my invoice is wrong <b>twice</b>"
    question.clear()
    question.send_keys("Why is my invoice wrong?")
    alice.find_element(By.ID, "kb-answer").send_keys("Open Billing, pick the invoice, press Dispute.")
    alice.find_element(By.ID, "kb-submit").click()
    wait_until(alice, lambda d: text_of(d, "knowledge-result") == "Proposed as a knowledge draft.")

    saved = backend.run(backend.desk.dispositions_for([call_uuid]))[call_uuid]
    assert [(d.category, d.notes, d.resolved) for d in saved] == [
        ("billing", "Corrected invoice INV-42", True)
    ]
    drafts = backend.run(backend.desk.knowledge_drafts())
    assert [(d["questions"], d["source_call_uuid"], d["language"]) for d in drafts] == [
        (["Why is my invoice wrong?"], call_uuid, "en")
    ]
    assert drafts[0]["answer"] == "Open Billing, pick the invoice, press Dispute."
