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


def pytest_collection_modifyitems(items):
    """Mark each test with its folder's group, so `-m chapters` selects the chapter claims."""
    for item in items:
        group = Path(item.fspath).relative_to(ROOT / "tests").parts[0]
        if group in GROUPS:
            item.add_marker(getattr(pytest.mark, group))


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
