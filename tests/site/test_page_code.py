"""Every chapter page is its own program: its visible code, copied in order into a fresh kernel, runs.

The code is read from the built HTML, as a reader copies it (cells whose code
is hidden behind a toggle count: a click shows them; removed cells do not).
Here each page's code is shown to be, cell for cell and tag for tag, the code
of the chapter's downloaded notebook after its set-up cell. That notebook runs
in test_downloads.py, in a clean environment, with its namespace emptied after
the set-up cell: so each page's code runs there in order as in a fresh kernel,
only a cell tagged ``raises-exception`` may raise, and a page that uses a name
only a removed cell defines fails there with that cell's ``NameError``. One
execution serves both checks.
"""

from __future__ import annotations

import nbformat
import pytest
from bs4 import BeautifulSoup

from booktest import chapter_docnames


def page_cells(html: str) -> list[tuple[str, bool]]:
    """(code, may raise) of each code cell the page shows, in order."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for cell in soup.select("article div.cell"):
        code = cell.select_one("div.cell_input pre")
        if code is not None:
            found.append((code.get_text(), "tag_raises-exception" in (cell.get("class") or [])))
    return found


def notebook_cells(path) -> list[tuple[str, bool]]:
    """(code, may raise) of each code cell of a downloaded notebook after its set-up cell."""
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return [(c.source, "raises-exception" in c.metadata.get("tags", [])) for c in code[1:]]


@pytest.mark.parametrize("docname", chapter_docnames())
def test_the_pages_visible_code_is_the_downloaded_notebooks_code_after_its_setup_cell(book, docname):
    shown = page_cells((book.html / f"{docname}.html").read_text(encoding="utf-8"))
    if not shown:
        pytest.skip(f"{docname} shows no code")
    offered = notebook_cells(book.html / "_sources" / f"{docname}.ipynb")
    assert [(code.strip(), tag) for code, tag in shown] == [(code.strip(), tag) for code, tag in offered]
