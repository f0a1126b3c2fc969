"""Debian's headless Chromium, driven through Selenium, for the console's tests.

Every call into the driver blocks, so each runs in a thread (``asyncio.to_thread``):
the event loop of the test keeps serving the marketplace the browser talks to.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The repository's screenshots of each page, refreshed by every run (a few are in the README).
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".stack" / "screenshots"


def missing() -> str | None:
    """Why no browser can start here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing: install Debian's chromium and chromium-driver (`psm stack browser`)"
    return None


class Browser:
    """One browser session (its own profile: its own sessionStorage and localStorage)."""

    def __init__(self, base_url: str, *, width: int = 1280, height: int = 900) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="psm-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        # The machine's network is closed: without these, Chromium's own background
        # connections are refused many at a time and slow every start.
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-default-apps", "--disable-extensions", f"--user-data-dir={self.profile}",
                     f"--window-size={width},{height}", "--lang=zh-CN"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)

    @classmethod
    async def start(cls, base_url: str, **kw: Any) -> "Browser":
        return await asyncio.to_thread(cls, base_url, **kw)

    async def close(self) -> None:
        await asyncio.to_thread(self.driver.quit)
        shutil.rmtree(self.profile, ignore_errors=True)

    async def open(self, fragment: str) -> None:
        """Open the console at ``#<fragment>`` (a full page load)."""
        await asyncio.to_thread(self.driver.get, f"{self.base_url}/#{fragment}")

    async def go(self, fragment: str) -> None:
        """Navigate within the page, as a click on a link would."""
        await self.js(f"location.hash = {fragment!r}")

    async def js(self, script: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.driver.execute_script, script, *args)

    async def sign_in(self, key: str, then: str = "/") -> None:
        await self.open(f"/signin?next=%23{then}")
        await self.type("[data-test=key]", key)
        await self.click("[data-test=signin] button[type=submit]")
        await self.wait(lambda: self.driver.execute_script("return sessionStorage.getItem('psm.key')") == key,
                        "the key stored after signing in")

    async def type(self, css: str, text: str, *, clear: bool = True) -> None:
        def run() -> None:
            el = self._find(css)
            if clear:
                el.clear()
            el.send_keys(text)
        await self.until(run, f"typing into {css}")

    async def click(self, css: str) -> None:
        await self.until(lambda: self._find(css).click(), f"clicking {css}")

    async def text(self, css: str) -> str:
        return await self.until(lambda: self._find(css).text, f"reading {css}")

    async def texts(self, css: str) -> list[str]:
        return await asyncio.to_thread(lambda: [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)])

    async def attr(self, css: str, name: str) -> str | None:
        return await self.until(lambda: self._find(css).get_attribute(name), f"reading {css}[{name}]")

    async def wait_text(self, css: str, check: Callable[[str], bool], what: str, timeout: float = 15.0) -> str:
        """Wait until the text of ``css`` satisfies ``check``; fail naming ``what`` and the last text seen."""
        seen: list[str] = []

        def probe() -> bool:
            try:
                els = self.driver.find_elements(By.CSS_SELECTOR, css)
                seen[:] = [els[0].text] if els else ["(no such element)"]
                return bool(els) and check(els[0].text)
            except StaleElementReferenceException:
                return False
        await self.wait(probe, f"{what} (last seen: {seen[0] if seen else '-'!r})", timeout)
        return seen[0]

    async def wait_count(self, css: str, check: Callable[[int], bool], what: str, timeout: float = 15.0) -> int:
        count = [0]

        def probe() -> bool:
            count[0] = len(self.driver.find_elements(By.CSS_SELECTOR, css))
            return check(count[0])
        await self.wait(probe, f"{what} (last count {count[0]})", timeout)
        return count[0]

    async def wait(self, probe: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if await asyncio.to_thread(probe):
                return
            if time.monotonic() > deadline:
                errors = await self.errors()
                raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                                     + (f"; browser console errors: {errors}" if errors else ""))
            await asyncio.sleep(0.1)

    async def until(self, action: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
        """Run ``action`` once the element it needs is there (the page renders asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return await asyncio.to_thread(action)
            except (WebDriverException, LookupError) as e:
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out after {timeout} s {what}: {type(e).__name__}: {e}") from e
                await asyncio.sleep(0.1)

    async def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await asyncio.to_thread(self.driver.save_screenshot, str(path))
        return path

    async def errors(self) -> list[str]:
        """Severe messages from the page's console (script errors, failed loads)."""
        logs = await asyncio.to_thread(self.driver.get_log, "browser")
        return [e["message"] for e in logs if e.get("level") == "SEVERE"]

    def _find(self, css: str):
        els = self.driver.find_elements(By.CSS_SELECTOR, css)
        if not els:
            raise LookupError(f"no element matches {css}")
        return els[0]
