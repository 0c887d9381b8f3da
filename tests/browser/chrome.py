"""Headless Debian Chromium for the browser tests, and logging in to Airflow's UI with it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def new_driver(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def log_in(browser: Any, wait: Any, url: str, password: str) -> None:
    """Airflow's UI sends a browser without a session on to its login page after the first page loads:
    a form found before that navigation is gone ("aborted by navigation"), so the login starts over."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    for attempt in range(3):
        try:
            browser.get(f"{url}/")
            wait.until(shown.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
            browser.find_element(By.NAME, "password").send_keys(password)
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(shown.url_to_be(f"{url}/"))
            return
        except (StaleElementReferenceException, WebDriverException) as error:
            if attempt == 2 or (not isinstance(error, StaleElementReferenceException) and "navigat" not in str(error)):
                raise
            time.sleep(1)
