"""The Chinese edition of the built site: every page, its language switch, its prose, and the shared outputs."""

from __future__ import annotations

import posixpath
import re

import pytest
from bs4 import BeautifulSoup

from booktest import toc_docnames
from booktools.i18n import status_rows

ZH = "zh"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# What the theme, Sphinx and the book's own buttons say in English; none may be left on a Chinese page.
ENGLISH_INTERFACE = ["Search", "Contents", "Previous", "Next", "Toggle primary sidebar", "Toggle secondary sidebar",
                     "Color mode", "System Settings", "Light", "Dark", "Run this chapter",
                     "Open this chapter's notebook in Colab", "Download this page", "Download source file",
                     "Download notebook file", "Fullscreen mode", "Link to this heading", "Back to top", "By ",
                     "Last updated", "Print to PDF", "Book (PDF)", "Download the whole book as PDF"]


def page(book, docname: str, language: str = "en") -> BeautifulSoup:
    folder = book.html / ZH if language == ZH else book.html
    return BeautifulSoup((folder / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")


def switch_target(soup: BeautifulSoup, docname: str, hreflang: str) -> str:
    """The page (relative to the English site's root) the language switch's link to `hreflang` leads to."""
    links = soup.select(f".book-language-switch a[hreflang='{hreflang}']")
    assert len(links) == 1, f"{docname}: expected one switch link to {hreflang}, found {len(links)}"
    here = posixpath.dirname(docname)
    return posixpath.normpath(posixpath.join(here, links[0]["href"]))


@pytest.mark.parametrize("docname", toc_docnames())
def test_every_page_has_a_chinese_twin_and_the_switch_leads_to_it_and_back(book, docname):
    assert (book.html / ZH / f"{docname}.html").exists(), f"no Chinese page for {docname}"
    assert switch_target(page(book, docname), docname, "zh-CN") == f"{ZH}/{docname}.html"
    zh_here = f"{ZH}/{docname}"
    assert switch_target(page(book, docname, ZH), zh_here, "en") == f"{docname}.html"


@pytest.mark.parametrize("docname", toc_docnames())
def test_each_page_declares_its_language(book, docname):
    assert page(book, docname).html["lang"] == "en"
    assert page(book, docname, ZH).html["lang"] == "zh-CN"


def prose(soup: BeautifulSoup) -> str:
    """The paragraph text of the article, without code, math, outputs, tables, references or docstrings.

    Tables keep the English beside the Chinese (the glossary's terms, the status
    table's names), the bibliography cites English titles, and the API
    reference's docstrings stay English in every edition.
    """
    article = soup.select_one("article.bd-article")
    for tag in article.select("div.cell, pre, code, .math, dl, .MathJax, script, table, div.citation, "
                              "div.bibliography, span.label"):
        tag.decompose()
    return " ".join(p.get_text(" ") for p in article.find_all("p"))


API = "book/appendix/api"


@pytest.mark.parametrize("docname", [d for d in toc_docnames() if d != API])
def test_chinese_pages_are_written_in_chinese(book, docname):
    text = prose(page(book, docname, ZH))
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    # a Chinese sentence keeps code names and symbols, but most of its letters are Chinese
    assert cjk > 2 * latin, f"{docname}: {cjk} Chinese characters against {latin} Latin letters in its prose"


def test_the_api_pages_own_prose_is_chinese_and_its_docstrings_stay_english(book):
    paragraphs = [p.get_text(" ") for p in page(book, API, ZH).select("article.bd-article p")]
    assert all(CJK.search(p) for p in paragraphs[:3]), paragraphs[:3]  # the introduction
    english = [p.get_text(" ") for p in page(book, API).select("article.bd-article dl p")]
    assert english and english == [p.get_text(" ") for p in page(book, API, ZH).select("article.bd-article dl p")]


def cells(soup: BeautifulSoup) -> list[str]:
    """Every code cell's source and printed output, and the figures it shows, in order."""
    found = []
    for cell in soup.select("article div.cell"):
        for caption in cell.select("figcaption"):
            caption.decompose()  # a figure's caption is prose, and translated
        images = [img["src"] for img in cell.select("img")]
        found.append(cell.get_text().strip() + " " + " ".join(images))
    return found


@pytest.mark.parametrize("docname", toc_docnames())
def test_chinese_pages_show_the_same_code_outputs_and_figures(book, docname):
    english, chinese = cells(page(book, docname)), cells(page(book, docname, ZH))
    assert chinese == english


@pytest.mark.parametrize("docname", toc_docnames())
def test_no_english_interface_text_is_left_on_chinese_pages(book, docname):
    soup = page(book, docname, ZH)
    chrome = [soup.select_one(s) for s in (".bd-header", ".bd-header-article", ".bd-sidebar-primary",
                                            ".bd-sidebar-secondary", ".prev-next-area", "footer")]
    texts = []
    for part in filter(None, chrome):
        for switch in part.select(".book-language-switch"):
            switch.decompose()  # names each language in that language: "English" on purpose
        texts.append(part.get_text(" "))
        texts += [tag[a] for tag in part.find_all(True) for a in ("title", "aria-label", "data-bs-title",
                                                                  "placeholder") if tag.has_attr(a)]
    texts += [tag["title"] for tag in soup.select("article [title]")]
    left = sorted({word for word in ENGLISH_INTERFACE for t in texts if word in t})
    assert left == [], f"{docname}: English interface text on the Chinese page: {left}"


def test_part_captions_of_the_table_of_contents_are_translated(book):
    sidebar = page(book, "book/index", ZH).select(".bd-sidebar-primary .caption-text")
    captions = [c.get_text(strip=True) for c in sidebar]
    assert captions and all(CJK.search(c) for c in captions), captions


def test_a_glued_number_in_a_translated_paragraph_shows_the_same_value(book):
    glued = book.glued("book/toolkit/normal")["normal_sample_mean"]
    value = f"{float(glued):.3f}"
    zh = prose(page(book, "book/toolkit/normal", ZH))
    assert re.search(rf"样本均值为\s*{re.escape(value)}\s*，", zh), zh[:300]


def test_build_status_page_shows_the_catalogs_translation_counts(book):
    table = page(book, "book/appendix/build-status").select_one("table.bookbuild-translations")
    assert table is not None
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.select("tbody tr")]
    expected = [(lang, c) for lang in ["zh_CN"] for _, c, _ in status_rows(lang) if c.total]
    assert len(rows) == len(expected)
    for row, (language, counts) in zip(rows, expected, strict=True):
        assert row[1:] == [language, str(counts.translated), str(counts.outdated), str(counts.untranslated)]


def test_the_site_names_each_pages_twin_as_an_alternate(book):
    soup = page(book, "book/scratch/minibatches")
    alternates = {link["hreflang"]: link["href"] for link in soup.select("link[rel=alternate][hreflang]")}
    assert alternates == {"zh-CN": "../../zh/book/scratch/minibatches.html"}
