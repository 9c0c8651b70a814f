"""The translation catalogs follow the English source, and every chapter is translated or says it is pending."""

from __future__ import annotations

import os
import subprocess
import sys

from booktest import ROOT


def test_catalogs_are_in_step_with_the_english_and_every_chapter_is_translated_or_marked_pending(book):
    # `make i18n`'s own check, reading the execution cache of the build under test (so it executes nothing)
    command = [sys.executable, "-m", "booktools.i18n", "check", "--cache", str(book.build / ".jupyter_cache")]
    proc = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "_ext")},
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
