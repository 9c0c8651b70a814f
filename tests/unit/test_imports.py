"""The trace of which package modules a chapter uses, which decides what a change re-executes."""

from __future__ import annotations

import pytest

from booktest import ROOT
from booktools.imports import imported_modules

PACKAGE = ROOT / "src" / "scratchbook"
EVERY = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def trace(*cells: str) -> set[str]:
    return imported_modules(list(cells), PACKAGE)


def test_a_named_import_is_traced_to_the_module_that_saves_it():
    assert trace("from scratchbook import use_book_style") == {"conventions"}


def test_modules_imported_by_the_saving_module_are_followed():
    assert {"training", "model", "minibatches"} <= trace("from scratchbook import train")


def test_code_that_imports_nothing_of_ours_depends_on_nothing():
    assert trace("import torch\nx = 1", "%matplotlib inline") == set()


@pytest.mark.parametrize("cell", [
    "%%time\nfrom scratchbook import train",
    "%time from scratchbook import train",
    "%%capture\nfrom scratchbook import train\nw, b, h = train(X, y)",
])
def test_an_import_under_a_magic_is_traced(cell):
    assert "training" in trace(cell)


@pytest.mark.parametrize("cell", [
    "import scratchbook",
    "from scratchbook import *",
    "from scratchbook import no_such_name",
    "import importlib\nimportlib.import_module('scratchbook')",
    "!pip install --no-deps scratchbook",
    "from scratchbook import train  &&& not python",
])
def test_what_the_trace_cannot_resolve_depends_on_the_whole_package(cell):
    assert trace(cell) == EVERY
