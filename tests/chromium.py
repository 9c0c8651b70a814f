"""The Chromium the browser tests drive, found without assuming a system layout.

In order: ``BOOK_CHROMIUM`` (a path, when set); the Chromium Playwright
installed for itself (``python -m playwright install chromium``, what the
workflow uses on Ubuntu and what macOS contributors use); else a ``chromium``
or ``chromium-browser`` on ``PATH`` (Debian's package), unless it is Ubuntu's
stub that only asks for the snap.

``python tests/chromium.py`` prints the browser it found, or says why there is
none and exits 1; ``make chromium`` uses it to decide whether to install one.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENV = "BOOK_CHROMIUM"
NAMES = ("chromium", "chromium-browser")


def is_snap_stub(path: Path) -> bool:
    """Ubuntu's ``chromium`` packages are a launcher of the snap (or a script asking to install it),
    which a headless test cannot drive."""
    real = path.resolve()
    if real.name == "snap" or "snap" in real.parts:
        return True
    try:
        with real.open("rb") as f:
            head = f.read(8192)
    except OSError:
        return True
    return head.startswith(b"#!") and b"snap" in head


def playwright_chromium() -> Path | None:
    """The Chromium Playwright downloaded for itself, if it did."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as pw:
        path = Path(pw.chromium.executable_path)
    return path if path.is_file() else None


def find_chromium() -> tuple[Path | None, str]:
    """(the browser, where it came from), or (None, why none was taken)."""
    chosen = os.environ.get(ENV)
    if chosen:
        path = Path(chosen)
        if path.is_file() and os.access(path, os.X_OK):
            return path, ENV
        return None, f"{ENV}={chosen} is not an executable file"
    path = playwright_chromium()
    if path is not None:
        return path, "Playwright's own Chromium"
    stubs = []
    for name in NAMES:
        found = shutil.which(name)
        if found is None:
            continue
        if is_snap_stub(Path(found)):
            stubs.append(found)
            continue
        return Path(found), f"{name} on PATH"
    why = "no Chromium: neither Playwright's own (python -m playwright install chromium) nor chromium on PATH"
    if stubs:
        why += f" ({', '.join(stubs)} only launch the snap)"
    return None, why


if __name__ == "__main__":
    browser, origin = find_chromium()
    if browser is None:
        print(origin, file=sys.stderr)
        sys.exit(1)
    print(f"{browser} ({origin})")
