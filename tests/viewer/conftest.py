"""A real headless browser (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium) for the
viewer tests. Nothing is downloaded: the browser and its driver must be installed. Without them
the tests are skipped on a developer machine and FAIL under CI (``CI`` set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SC_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
#: A browser that does nothing on its own: no network besides the page, no updates, no profile.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000")


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (under CI the browser tests must run: apt-get install chromium chromium-driver; "
                    "pip install -e '.[test]')")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless chromium with a fresh profile, quit after the module."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() or shutil.which(path)):
            _missing(f"{path} is missing")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
