"""Every chapter page is its own program: its visible code, copied in order into a fresh kernel, runs.

The code is read from the built HTML, as a reader copies it (cells whose code
is hidden behind a toggle count: a click shows them; removed cells do not).
Only a cell tagged ``raises-exception`` may raise. A page that uses a name only
a removed cell defines fails here with that cell's ``NameError``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from bs4 import BeautifulSoup

from booktest import ROOT, chapter_docnames, longest_first

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True).execute()
nbformat.write(nb, sys.argv[2])
"""


def page_cells(html: str) -> list[tuple[str, bool]]:
    """(code, may raise) of each code cell the page shows, in order."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for cell in soup.select("article div.cell"):
        code = cell.select_one("div.cell_input pre")
        if code is not None:
            found.append((code.get_text(), "tag_raises-exception" in (cell.get("class") or [])))
    return found


def run_page(book, docname: str, folder) -> tuple[list[tuple[str, bool]], nbformat.NotebookNode]:
    cells = page_cells((book.html / f"{docname}.html").read_text(encoding="utf-8"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code, _ in cells]
    source, out = folder / f"{docname.replace('/', '-')}.ipynb", folder / f"{docname.replace('/', '-')}.out.ipynb"
    nbformat.write(nb, source)
    chapter_dir = ROOT / docname.rpartition("/")[0]  # a page that reads a file finds it where the chapter is
    env = {k: v for k, v in os.environ.items() if k not in ("IPYTHONDIR",)}  # a reader's own IPython
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(source), str(out)], cwd=chapter_dir,
                          capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cells, nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def page_runs(book, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    docnames = longest_first(book.build, [d for d in chapter_docnames() if page_cells(
        (book.html / f"{d}.html").read_text(encoding="utf-8"))])
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(docnames, pool.map(lambda d: run_page(book, d, folder), docnames), strict=True))
    return runs


@pytest.mark.parametrize("docname", chapter_docnames())
def test_the_pages_visible_code_run_in_order_in_a_fresh_kernel_raises_only_where_tagged(page_runs, docname):
    if docname not in page_runs:
        pytest.skip(f"{docname} shows no code")
    cells, nb = page_runs[docname]
    failed = []
    for (code, may_raise), cell in zip(cells, nb.cells, strict=True):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors and not may_raise:
            failed.append(f"{code.strip().splitlines()[0][:60]!r}: {errors[0].ename}: {errors[0].evalue[:200]}")
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)
