"""A site publishes and links a PDF only when the PDF was built from the site's own pages (bookbuild.pdf)."""

from __future__ import annotations

import re

from tinybook import TinyBook, chapter

NAME = "linear-regression-from-scratch.pdf"
DOCNAMES = ["book/index", "book/good"]


def pdf_links(tiny: TinyBook) -> dict[str, list[str]]:
    """Each page's links to a PDF, as written."""
    return {d: re.findall(r'href="([^"]+\.pdf)"', tiny.page(d).read_text()) for d in DOCNAMES}


def test_a_pdf_is_published_and_linked_only_while_it_was_built_from_the_sites_pages(tmp_path):
    tiny = TinyBook(tmp_path)
    tiny.write("book/good.md", chapter("Good", "print('marker-one')"))
    tiny.toc("book/good")
    site, shelf = tiny.out / "_build" / "html", tiny.out / "_build" / "pdf"

    proc = tiny.build()
    assert proc.returncode == 0, proc.log[-3000:]
    assert not (site / NAME).exists()
    assert pdf_links(tiny) == {d: [] for d in DOCNAMES}, "the pages link to a PDF no build made"

    proc = tiny.build("latex")
    assert proc.returncode == 0, proc.log[-3000:]
    assert (shelf / NAME).stat().st_size > 10_000
    proc = tiny.build()  # the same doctrees: the site publishes the PDF, and every page links to it
    assert proc.returncode == 0, proc.log[-3000:]
    assert (site / NAME).read_bytes() == (shelf / NAME).read_bytes()
    assert pdf_links(tiny) == {"book/index": [f"../{NAME}"], "book/good": [f"../{NAME}"]}

    tiny.write("book/good.md", chapter("Good", "print('marker-two')"))
    proc = tiny.build()  # the pages changed, the PDF did not
    assert proc.returncode == 0, proc.log[-3000:]
    assert "marker-two" in tiny.page("book/good").read_text()
    assert (shelf / NAME).exists(), "the shelf keeps the last PDF built"
    assert not (site / NAME).exists(), "the site still offers the PDF of its older pages"
    # book/index was not read again: it is written again without the link all the same
    assert pdf_links(tiny) == {d: [] for d in DOCNAMES}, "pages link to a PDF of other pages"
