"""Which Chromium the browser tests drive (tests/chromium.py): no path is assumed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import chromium


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def no_playwright_browser(monkeypatch):
    monkeypatch.delenv(chromium.ENV, raising=False)
    monkeypatch.setattr(chromium, "playwright_chromium", lambda: None)


def test_book_chromium_names_the_browser_and_a_wrong_one_is_reported(tmp_path, monkeypatch):
    browser = executable(tmp_path / "my-chromium", "#!/bin/sh\n")
    monkeypatch.setattr(chromium, "playwright_chromium", lambda: pytest.fail("BOOK_CHROMIUM comes first"))
    monkeypatch.setenv(chromium.ENV, str(browser))
    assert chromium.find_chromium() == (browser, chromium.ENV)
    monkeypatch.setenv(chromium.ENV, str(tmp_path / "missing"))
    found, why = chromium.find_chromium()
    assert found is None and "missing" in why


def test_playwrights_own_chromium_comes_before_one_on_path(tmp_path, monkeypatch):
    own = executable(tmp_path / "ms-playwright" / "chrome", "")
    executable(tmp_path / "bin" / "chromium", "#!/bin/sh\nexec /usr/lib/chromium/chromium \"$@\"\n")
    monkeypatch.delenv(chromium.ENV, raising=False)
    monkeypatch.setattr(chromium, "playwright_chromium", lambda: own)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert chromium.find_chromium()[0] == own


def test_a_chromium_on_path_is_used_unless_it_only_launches_the_snap(tmp_path, monkeypatch, no_playwright_browser):
    bin_ = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_))
    stub = executable(bin_ / "chromium", "#!/bin/sh\necho 'needs the chromium snap: snap install chromium'\nexit 1\n")
    assert chromium.is_snap_stub(stub)
    found, why = chromium.find_chromium()
    assert found is None and str(stub) in why
    debian = executable(bin_ / "chromium-browser", "#!/bin/sh\nexec /usr/lib/chromium/chromium \"$@\"\n")
    assert chromium.find_chromium() == (debian, "chromium-browser on PATH")


def test_a_link_to_the_snap_command_is_a_stub(tmp_path):
    snap = executable(tmp_path / "usr" / "bin" / "snap", "\x7fELF")
    link = tmp_path / "snap-bin" / "chromium"
    link.parent.mkdir()
    os.symlink(snap, link)
    assert chromium.is_snap_stub(link)


def test_no_browser_at_all_says_how_to_get_one(tmp_path, monkeypatch, no_playwright_browser):
    monkeypatch.setenv("PATH", str(tmp_path))
    found, why = chromium.find_chromium()
    assert found is None and "playwright install chromium" in why
