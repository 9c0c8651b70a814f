"""What the outputs show a reader: errors end in the failing line and the message; no page names the build machine."""

from __future__ import annotations

import re

import pytest

from booktest import ROOT, chapter_docnames

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MACHINE = [str(ROOT), "site-packages", "/tmp/", str(ROOT.home())]


@pytest.mark.parametrize("docname", chapter_docnames())
def test_an_error_shown_on_purpose_ends_in_the_failing_line_and_the_message(book, docname):
    for cell in book.notebook(docname).cells:
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            lines = ANSI.sub("", "\n".join(output.traceback)).splitlines()
            # where, in the reader's cell; the line itself; then the exception and its message, nothing else
            assert re.match(r"Cell In\[\d+\], line \d+:$", lines[0]), lines
            name, _, message = "\n".join(lines[2:]).partition(": ")
            assert name.split(".")[-1] == output.ename and message == output.evalue.rstrip("\n"), lines


def test_no_page_or_notebook_names_a_path_of_the_machine_that_built_it(book):
    found = []
    for path in [*book.html.rglob("*.html"), *book.html.rglob("*.ipynb"), *book.html.rglob("*.txt")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(book.html)}: {marker}" for marker in MACHINE if marker in text]
    assert not found, found[:20]
