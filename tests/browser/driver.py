"""Headless Chromium through selenium, with Debian's chromium and chromedriver (nothing is downloaded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30.0  # a generous deadline for a page condition: Chromium is slow on a busy machine


def make_driver() -> WebDriver:
    """A headless Chromium; its console log is kept so tests can assert no page error happened."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def wait_until(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = WAIT_S) -> Any:
    """Wait for a condition on the page (never a sleep); returns its truthy value."""
    return WebDriverWait(driver, timeout).until(condition)


def text_of(driver: WebDriver, element_id: str) -> str:
    """The rendered text of an element."""
    return driver.find_element(By.ID, element_id).text


def log_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Log in through the form and wait for the page of the user's role."""
    driver.get(f"{base_url}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_until(driver, lambda d: "/login" not in d.current_url)


def wait_ws_open(driver: WebDriver) -> None:
    """Wait until the page's WebSocket is open."""
    wait_until(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ws") == "open")


def body_data(driver: WebDriver, name: str) -> str:
    """A data-* attribute of the page body (counters the page scripts keep)."""
    return driver.find_element(By.TAG_NAME, "body").get_attribute(f"data-{name}") or ""
