"""The book as PDF, English and Chinese: read from the PDFs themselves (pypdf, poppler's pdftotext).

``make test`` builds them (``jupyter-book build . --builder latex``) after the
site, from the same doctrees and execution cache.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from booktest import toc_docnames

EDITIONS = {  # edition -> (site folder, PDF name, LaTeX folder)
    "en": ("", "linear-regression-from-scratch.pdf", "latex"),
    "zh": ("zh", "linear-regression-from-scratch-zh.pdf", "zh/latex"),
}
CJK_RUN = re.compile(r"[\u4e00-\u9fff，、]{8,}")  # eight or more Chinese characters in a row


def pdf_path(book, edition: str) -> Path:
    path = book.build / "pdf" / EDITIONS[edition][1]
    if not path.exists():
        pytest.fail(f"{path} is missing: `make pdf` (or `jupyter-book build . --builder latex`) builds it")
    return path


@cache
def _reader(path: Path) -> PdfReader:
    return PdfReader(path)


@cache
def _pages_text(path: Path) -> list[str]:
    """Each page's text as poppler extracts it, in the order it is drawn (columns of an output stay on their line)."""
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split("\f")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def site_page(book, docname: str, edition: str) -> BeautifulSoup:
    folder = book.html / EDITIONS[edition][0]
    return BeautifulSoup((folder / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")


def site_title(book, docname: str, edition: str) -> str:
    """A page's title as its h1 shows it, without the section number and the heading link."""
    h1 = site_page(book, docname, edition).select_one("article h1")
    for tag in h1.select(".section-number, a.headerlink"):
        tag.decompose()
    return squeeze(h1.get_text())


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(squeeze(item.title))
    walk(reader.outline)
    return titles


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_outline_lists_every_toc_chapter_in_order(book, edition):
    titles = outline_titles(_reader(pdf_path(book, edition)))
    position = -1
    for docname in toc_docnames()[1:]:  # the landing page's title is the book's, on the title page
        expected = site_title(book, docname, edition)
        later = [i for i, title in enumerate(titles) if title == expected and i > position]
        assert later, f"{edition}: '{expected}' ({docname}) is not in the outline after position {position}: {titles}"
        position = later[0]


@pytest.mark.parametrize("edition", EDITIONS)
def test_parts_are_numbered_and_captioned_as_on_the_site(book, edition):
    captions = [squeeze(c.get_text()) for c in site_page(book, "book/index", edition).select("p.caption")]
    assert len(captions) == 5, captions
    # the outline's top level: the opening chapter (the landing page), then one entry per part
    top = [squeeze(item.title) for item in _reader(pdf_path(book, edition)).outline if not isinstance(item, list)]
    assert top == [site_title(book, "book/index", edition), *captions]


def site_numbers(book, docname: str, edition: str) -> list[str]:
    """The numbers the site shows on a page: sections ("13.1 Title"), figures ("Fig. 2.1"), equations ("(13.1)")."""
    soup = site_page(book, docname, edition)
    article = soup.select_one("article.bd-article")
    found = []
    for heading in article.select("h2, h3"):
        number = heading.select_one(".section-number")
        if number is not None:
            title = squeeze(heading.get_text().replace(number.get_text(), "", 1)).rstrip("#").strip()
            found.append(f"{number.get_text().strip().rstrip('.')} {title}")
    for caption in article.select("figure .caption-number"):
        found.append(squeeze(caption.get_text()))
    for eqno in article.select(".eqno"):
        for link in eqno.select("a.headerlink"):
            link.decompose()
        found.append(squeeze(eqno.get_text()))
    return found


@pytest.mark.parametrize("edition", EDITIONS)
def test_sections_figures_and_equations_are_numbered_as_on_the_site(book, edition):
    text = squeeze(" ".join(_pages_text(pdf_path(book, edition))))
    numbers = [(d, n) for d in toc_docnames() for n in site_numbers(book, d, edition)]
    assert len(numbers) > 150
    missing = [(d, n) for d, n in numbers if n not in text]
    assert not missing, f"{edition}: numbered as on the site but not so in the PDF: {missing[:10]}"


@pytest.mark.parametrize("edition", EDITIONS)
def test_page_count_fits_the_content(book, edition):
    # 22 pages of the site, 16 of them chapters of several printed pages each; a runaway
    # (an unbroken code line, a figure per page) or a truncated PDF falls outside this range.
    pages = len(_reader(pdf_path(book, edition)).pages)
    assert 120 <= pages <= 320, f"{edition}: {pages} pages"


def stream_lines(book, docname: str) -> list[str]:
    """Short printed lines of a chapter's executed cells (long ones wrap in print)."""
    lines = []
    for cell in book.notebook(docname).cells:
        if cell.cell_type != "code" or "remove-output" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                lines += [squeeze(line) for line in output["text"].splitlines() if 12 <= len(line) <= 60]
    return lines


@pytest.mark.parametrize("edition", EDITIONS)
def test_printed_outputs_are_the_sites(book, edition):
    text = squeeze(" ".join(_pages_text(pdf_path(book, edition))))
    assert "tensor([1.0000, 1.5000, 2.0000])" in text
    assert re.search(r"epoch 1, loss \d\.\d{6} epoch 2, loss", text), "the training loop's epoch lines"
    checked = 0
    for docname in toc_docnames():
        if not (book.build / "jupyter_execute" / f"{docname}.ipynb").exists():
            continue
        for line in stream_lines(book, docname):
            assert line in text, f"{edition}: {docname} printed '{line}', which the PDF lacks"
            checked += 1
    assert checked > 100, f"only {checked} printed lines were compared"


def site_figures(book, edition: str) -> int:
    count = 0
    for docname in toc_docnames():
        article = site_page(book, docname, edition).select_one("article.bd-article")
        count += len(article.select("img"))
    return count


def pdf_figures(path: Path) -> int:
    """Images drawn in the PDF (their transparency masks are not counted)."""
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return sum(1 for row in listing.splitlines()[2:] if row.split()[2] == "image")


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_figure_of_the_site_is_in_the_pdf(book, edition):
    expected = site_figures(book, edition)
    assert expected >= 20
    assert pdf_figures(pdf_path(book, edition)) == expected


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_latex_run_left_no_missing_glyph_and_no_unresolved_reference(book, edition):
    log = (book.build / EDITIONS[edition][2] / EDITIONS[edition][1]).with_suffix(".log").read_text(errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    assert not missing, f"{edition}: characters with no glyph in the chosen fonts: {missing}"
    assert "There were undefined references" not in log


@pytest.mark.parametrize("edition", EDITIONS)
def test_internal_links_exist_and_point_inside_the_document(book, edition):
    reader = _reader(pdf_path(book, edition))
    destinations = set(reader.named_destinations)
    internal = 0
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if action is not None and action.get("/S") == "/URI":
                continue
            target = annotation.get("/Dest") or (action or {}).get("/D")
            assert target is not None, f"{edition}: page {number} has a link to nowhere"
            if isinstance(target, str):
                assert target in destinations, f"{edition}: page {number} links to '{target}', not in the document"
            internal += 1
    # the table of contents alone links every chapter and section; the text adds its cross-references
    assert internal > 300, f"{edition}: only {internal} internal links"


def test_the_chinese_pdfs_own_headings_are_chinese(book):
    pages = _pages_text(pdf_path(book, "zh"))
    text = squeeze(" ".join(pages))
    assert "目录" in squeeze(" ".join(pages[:4])), "the contents page is not titled 目录"
    assert re.search(r"第 ?1 ?章", text) and not re.search(r"\bChapter \d", text)
    assert "参考文献" in text and "Bibliography" not in text


def test_the_chinese_pdf_is_chinese_where_the_chinese_site_is(book):
    text = re.sub(r"\s+", "", "".join(_pages_text(pdf_path(book, "zh"))))
    for docname in toc_docnames():
        paragraphs = [p.get_text() for p in site_page(book, docname, "zh").select("article.bd-article section > p")]
        # the longest run of Chinese in the page's first Chinese paragraph (math and code are set apart)
        runs = [max(CJK_RUN.findall(p), key=len) for p in paragraphs if CJK_RUN.search(p)]
        assert runs, f"{docname}: no Chinese paragraph on the Chinese page"
        assert runs[0] in text, f"{docname}: the Chinese page's '{runs[0]}' is not in the PDF"


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_cjk_font_is_embedded(book, edition):
    fonts = subprocess.run(["pdffonts", str(pdf_path(book, edition))], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    cjk = [row for row in fonts if "Fandol" in row]
    assert cjk, f"{edition}: no CJK font in {fonts}"
    assert all(row.split()[-5] == "yes" for row in fonts), f"{edition}: a font is not embedded: {fonts}"


def test_code_copied_from_the_pdf_keeps_its_indentation_and_has_no_prompts(book):
    path = pdf_path(book, "en")
    loop = "for X, y in data_iter(batch_size, features, labels):"
    pages = [i for i, text in enumerate(_pages_text(path)) if loop in text]
    assert pages, "the training loop is not in the PDF"
    # pypdf reads the characters a viewer copies: the spaces must be there, not just the gaps
    copied = "\n".join(_reader(path).pages[i].extract_text() for i in pages)
    assert "for epoch in range(num_epochs):\n    for X, y in data_iter(batch_size, features, labels):\n" \
           "        l = loss(net(X, w, b), y)" in copied
    assert not re.search(r"^\s*(In \[\d*\]:|>>>|\d+\s+for epoch)", copied, re.M)


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_links_to_the_pdf_of_its_language(book, edition):
    folder, name, _ = EDITIONS[edition]
    assert (book.html / folder / name).read_bytes() == pdf_path(book, edition).read_bytes()
    for docname in toc_docnames():
        links = site_page(book, docname, edition).select("a.btn[href$='.pdf']")
        assert len(links) == 1, f"{edition} {docname}: {len(links)} links to a PDF"
        target = (book.html / folder / Path(docname).parent / links[0]["href"]).resolve()
        assert target == (book.html / folder / name).resolve(), f"{edition} {docname}: links to {target}"

