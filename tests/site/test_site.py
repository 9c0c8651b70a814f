"""Static checks of the built HTML: every page is there, and nothing is fetched from elsewhere.

A reader may open the book offline, or behind a firewall: every script,
stylesheet, font, icon and image must come from the site itself. Plain
hyperlinks to other sites (PyTorch's documentation, say) are fine.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

import scratchbook
from booktest import ROOT, site_path, toc_docnames

BIB = ROOT / "book" / "references.bib"
ABSOLUTE = re.compile(r"^(https?:)?//", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
CSS_IMPORT = re.compile(r"@import\s+['\"]([^'\"]+)['\"]")


class Resources(HTMLParser):
    """Collect what a page loads (not what it merely links to)."""

    def __init__(self):
        super().__init__()
        self.loaded: list[str] = []
        self.ids: set[str] = set()
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.loaded.append(a["src"])
        if tag == "img" and a.get("srcset"):
            self.loaded += [part.split()[0] for part in a["srcset"].split(",")]
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if set(rel) & {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "manifest",
                           "apple-touch-icon", "mask-icon"}:
                self.loaded.append(a["href"])
        if tag == "object" and a.get("data"):
            self.loaded.append(a["data"])
        if a.get("style"):
            self.inline_css.append(a["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


def parse(path: Path) -> Resources:
    parser = Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def css_urls(text: str) -> list[str]:
    return [u for u in CSS_URL.findall(text) + CSS_IMPORT.findall(text) if not u.startswith("data:")]


def pages(html: Path) -> list[Path]:
    """The site's pages, in every edition (the theme also copies two Jinja templates into _static: not pages)."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


@pytest.mark.parametrize("docname", toc_docnames())
def test_every_toc_entry_has_a_page(book, docname):
    assert (book.html / f"{docname}.html").is_file(), f"{docname} is listed in _toc.yml but was not published"


def test_no_page_loads_anything_from_another_site(book):
    outside = {}
    for page in pages(book.html):
        parsed = parse(page)
        found = [u for u in parsed.loaded if ABSOLUTE.match(u)]
        found += [u for css in parsed.inline_css for u in css_urls(css) if ABSOLUTE.match(u)]
        if found:
            outside[str(page.relative_to(book.html))] = sorted(set(found))
    assert outside == {}


def test_shipped_css_fetches_nothing_from_another_site(book):
    outside = {}
    for css in sorted((book.html / "_static").rglob("*.css")):
        found = [u for u in css_urls(css.read_text(encoding="utf-8", errors="replace")) if ABSOLUTE.match(u)]
        if found:
            outside[str(css.relative_to(book.html))] = sorted(set(found))
    assert outside == {}


def test_every_local_resource_a_page_loads_exists(book):
    missing = {}
    for page in pages(book.html):
        if page.name == "404.html":
            continue  # its links are absolute, under the site's path (checked below)
        for url in parse(page).loaded:
            if ABSOLUTE.match(url) or url.startswith(("data:", "#")):
                continue
            target = (page.parent / url.split("?")[0].split("#")[0]).resolve()
            if not target.exists():
                missing.setdefault(str(page.relative_to(book.html)), []).append(url)
    assert missing == {}


def test_math_is_served_from_the_site(book):
    mathjax = book.html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file() and mathjax.stat().st_size > 100_000
    fonts = list((book.html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert fonts, "MathJax's CHTML fonts are not shipped"
    with_math = [p for p in pages(book.html) if 'class="math' in p.read_text(encoding="utf-8")]
    assert with_math, "no page has math"
    for page in with_math:
        scripts = [u for u in parse(page).loaded if "mathjax" in u.lower()]
        assert scripts and all(u.split("?")[0].endswith("_static/mathjax/tex-chtml.js") for u in scripts), page


def test_every_figure_has_an_opaque_background(book):
    """Figures are PNGs without transparency, so they read the same on a dark page."""
    images = sorted((book.html / "_images").glob("*.png"))
    assert images, "the book has no figure"
    transparent = []
    for path in images:
        with Image.open(path) as img:
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                alpha = img.convert("RGBA").getchannel("A")
                if alpha.getextrema()[0] < 255:
                    transparent.append(path.name)
    assert transparent == []


def test_favicon_is_the_books_own(book):
    icons = []
    for page in (book.html / "book" / "index.html", book.html / "404.html"):
        html = page.read_text(encoding="utf-8")
        icons += re.findall(r'<link[^>]*rel="icon"[^>]*href="([^"]+)"', html)
    assert len(icons) == 2 and all(i.split("?")[0].endswith("_static/favicon.svg") for i in icons), icons
    assert (book.html / "_static" / "favicon.svg").read_text().lstrip().startswith(("<svg", "<?xml"))


@pytest.mark.parametrize("edition, title", [("", "Page not found"), ("zh/", "页面不存在")])
def test_404_page_links_from_the_path_the_site_is_published_under(book, edition, title):
    """A host serves 404.html at any missing address: its links are absolute, from html.baseurl's path."""
    html = (book.html / edition / "404.html").read_text(encoding="utf-8")
    prefix = site_path() + edition  # /linear-regression-from-scratch/ (zh/)
    assert title in html
    assert f'href="{prefix}_static/styles/theme.css' in html, f"the 404 page must load the theme from {prefix}"
    assert f'href="{prefix}book/index.html"' in html, "the 404 page does not lead back to the book"
    loaded = [u for u in parse(book.html / edition / "404.html").loaded if not u.startswith(("data:", "#"))]
    wrong = [u for u in loaded if not ABSOLUTE.match(u) and not u.startswith(prefix)]
    assert loaded and wrong == [], f"resources of the 404 page not under {prefix}"
    missing = [u for u in loaded if not ABSOLUTE.match(u)
               and not (book.html / u[len(site_path()):].split("?")[0].split("#")[0]).exists()]
    assert missing == [], "resources of the 404 page that the site lacks"


def test_api_reference_documents_every_public_name_of_scratchbook(book):
    """Every function or class exported by scratchbook has an entry (a target id) on the API page."""
    ids = parse(book.html / "book" / "appendix" / "api.html").ids
    documented = {i.rsplit(".", 1)[-1] for i in ids if i.startswith("scratchbook.")}
    public = {n for n in scratchbook.__all__ if callable(getattr(scratchbook, n))}
    assert public - documented == set(), "public functions missing from book/appendix/api.md"


def test_api_entries_name_the_chapter_that_builds_them(book):
    html = (book.html / "book" / "appendix" / "api.html").read_text(encoding="utf-8")
    entries = re.split(r'<dt class="sig sig-object py" id="', html)[1:]
    assert entries
    for entry in entries:
        name = entry.split('"', 1)[0]
        assert re.search(r'Defined in chapter <a class="reference internal" href="[^"]+\.html"', entry), name


def test_bibliography_lists_the_sources(book):
    page = (book.html / "book" / "appendix" / "bibliography.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page).lower()
    for needle in ("Dive into Deep Learning", "PyTorch: An Imperative Style", "Matplotlib: A 2D Graphics",
                   "A Stochastic Approximation Method", "Optimization Methods for Large-Scale Machine Learning"):
        assert needle.lower() in text, needle
    entries = re.findall(r'<div class="citation" id="[^"]+" role="doc-biblioentry">', page)
    in_bib = re.findall(r"^@\w+\{", BIB.read_text(), re.M)
    assert len(entries) == len(in_bib), "an entry of references.bib is not listed"


def test_every_citation_resolves(book):
    """A {cite} whose key is unknown renders as an empty "[]": no page has one."""
    empty = {}
    for page in pages(book.html):
        html = page.read_text(encoding="utf-8")
        bad = re.findall(r'<span class="bibtex-citation" id="[^"]+">(?:\[\])?</span>', html)
        if bad:
            empty[str(page.relative_to(book.html))] = len(bad)
    assert empty == {}


def test_a_page_without_formulas_does_not_load_mathjax(book):
    """The landing page has no formula, so a first visit does not download MathJax's 1.1 MB."""
    page = book.html / "book" / "index.html"
    assert 'class="math' not in page.read_text(encoding="utf-8")
    assert not [u for u in parse(page).loaded if "mathjax" in u.lower()]
