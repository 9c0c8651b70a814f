"""Fixtures and test groups.

The tests fall into six folders, each a pytest marker of the same name:
``unit`` (the package and the tools), ``chapters`` (each chapter's claims,
read from an executed build), ``build`` (the build rules, on throwaway
books), ``site`` (the built HTML), ``pdf`` (the built PDFs) and ``browser`` (the site
in Chromium).

``book`` is one strict build of the whole book. Set BOOK_BUILD to an existing
build folder (the one holding html/ and jupyter_execute/, e.g. ``_build``) to
test that build, as ``make test`` does after building; otherwise the book is
built from scratch into a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookbuild.kernels import KERNEL_ENV
from booktest import ROOT, BookBuild, jupyter_book

GROUPS = ("unit", "chapters", "build", "site", "pdf", "browser")

# Kernels the tests start (downloaded notebooks) compute as the build's kernels do.
for _key, _value in KERNEL_ENV.items():
    os.environ.setdefault(_key, _value)


# The files that take longest, first: `make test` spreads whole files over the cores
# (pytest-xdist's --dist loadfile, in collection order), so the long ones must not start last.
LONGEST_FIRST = ("site/test_downloads.py", "build/test_book.py", "browser/test_browser.py",
                 "build/test_translation_rules.py", "build/test_rebuilds.py",
                 "build/test_pdf_publishing.py", "pdf/test_pdf.py", "build/test_contributing.py")


def pytest_collection_modifyitems(items):
    """Mark each test with its folder's group, so `-m chapters` selects the chapter claims; the
    longest files first (the order within a file is kept)."""
    for item in items:
        group = Path(item.fspath).relative_to(ROOT / "tests").parts[0]
        if group in GROUPS:
            item.add_marker(getattr(pytest.mark, group))

    def rank(item) -> int:
        rel = Path(item.fspath).relative_to(ROOT / "tests").as_posix()
        return LONGEST_FIRST.index(rel) if rel in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> BookBuild:
    """The whole book, built strictly (any warning fails it)."""
    existing = os.environ.get("BOOK_BUILD")
    if existing:
        build = Path(existing).resolve()
        if not (build / "html").is_dir():
            pytest.fail(f"BOOK_BUILD={existing} holds no html/ folder; run `make html` first")
        return BookBuild.read(build)
    out = tmp_path_factory.mktemp("book")
    proc = jupyter_book(ROOT, out)
    return BookBuild.read(out / "_build", proc.returncode, proc.stdout + proc.stderr)
