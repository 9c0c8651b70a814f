"""Rules every chapter follows, read from the chapters' sources as the build reads them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from booktest import ROOT, chapter_docnames
from booktools.chapters import read_chapter

CHAPTERS = chapter_docnames()


def calls_glue(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "glue(" in source
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "glue"
               for n in ast.walk(tree))


@pytest.mark.parametrize("docname", CHAPTERS)
def test_glue_calls_sit_in_hidden_cells_so_a_reader_sees_only_the_computation(docname):
    nb = read_chapter(Path(ROOT / f"{docname}.md"))
    shown = [c.source.splitlines()[0] for c in nb.cells
             if c.cell_type == "code" and calls_glue(c.source) and "remove-cell" not in c.metadata.get("tags", [])]
    assert shown == [], f"cells that show a glue call (move it to a cell tagged remove-cell): {shown}"


# Parts I and II so far; the other parts still import glue in their first cells.
PARTS_I_AND_II = [d for d in CHAPTERS if d.startswith(("book/toolkit/", "book/scratch/"))]


@pytest.mark.parametrize("docname", PARTS_I_AND_II)
def test_visible_cells_never_import_the_build_tools(docname):
    # copied in order, the visible cells must run as a reader's own program: glue is the build's business
    nb = read_chapter(Path(ROOT / f"{docname}.md"))
    shown = [c.source.splitlines()[0] for c in nb.cells
             if c.cell_type == "code" and "myst_nb" in c.source and "remove-cell" not in c.metadata.get("tags", [])]
    assert shown == [], f"cells that import myst_nb where the reader sees it: {shown}"
