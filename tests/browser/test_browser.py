"""The published site as a reader's browser sees it.

The built ``html`` folder is served on 127.0.0.1 under the site's own path
(that of ``html.baseurl`` in _config.yml, as GitHub Pages serves it) and
opened in Chromium (the one ``tests/chromium.py`` finds, driven by
Playwright): every page must load
everything it needs from the site itself, typeset its formulas, show its
images, copy code, survive the dark theme, find chapters through search, and
offer a notebook that runs top to bottom. Screenshots of two pages at desktop
and phone widths are written to ``_build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from booktest import ROOT, cell_outputs_text, site_path, toc_docnames
from chromium import find_chromium

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "_build" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCAL_SCHEMES = {"data", "blob", "about"}
DOCNAMES = toc_docnames()


def source_of(docname: str) -> str:
    return (ROOT / f"{docname}.md").read_text()


def is_notebook(docname: str) -> bool:
    return "```{code-cell}" in source_of(docname)


CHAPTERS = [d for d in DOCNAMES if d.split("/")[1] in ("toolkit", "scratch", "further") and is_notebook(d)]


# --- the site, served as a static host would -------------------------------------

class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the site under its base path; answer a missing path with the site's 404.html.

    This is what GitHub Pages does for a project site: ``/<project>/...`` maps
    to the html folder, and any missing address, at any depth and in either
    edition's folder, gets the site's root ``404.html`` with status 404.
    """

    base = "/"  # the site's path, e.g. /linear-regression-from-scratch/ (set by the fixture)

    def log_message(self, format, *args):  # keep pytest's output readable
        pass

    def translate_path(self, path):
        route = urlsplit(path).path
        if not route.startswith(self.base):
            return str(Path(self.directory) / ".outside-the-site-path")  # no such file: answered 404
        return super().translate_path("/" + route[len(self.base):])

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def site(book) -> str:
    """The base URL of the built html folder, served on 127.0.0.1 (any free port) under the site's path."""
    base = site_path()
    handler = functools.partial(type("Site", (SiteHandler,), {"base": base}), directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{base}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """One Chromium for the whole session, with a fresh profile and clipboard access."""
    chromium, origin = find_chromium()
    if chromium is None:
        pytest.fail(f"the browser tests need Chromium: {origin}. Run `make chromium` "
                    "(Debian's package, where apt-get may be used), or `.venv/bin/python -m playwright "
                    "install chromium`, or point BOOK_CHROMIUM at a Chromium, then run the tests again.")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"],
            service_workers="block",
        )
        try:
            yield context
        finally:
            context.close()


class Visit:
    """A fresh tab that records every request, failure and console error it sees."""

    def __init__(self, context, site: str):
        self.site = site
        self.page = context.new_page()
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.pending: set = set()
        self.page.on("request", self._request)
        self.page.on("requestfinished", lambda r: self.pending.discard(r))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.expected_status: dict[str, int] = {}

    def _request(self, request) -> None:
        self.requests.append(request.url)
        self.pending.add(request)

    def _failed(self, request) -> None:
        self.pending.discard(request)
        self.failures.append(f"{request.url} ({request.failure})")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium logs the status of a page it was asked for; a 404 expected by the test is no error.
        if self.expected_status.get(message.location.get("url")) == 404 and "404" in message.text:
            return
        self.errors.append(f"console: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and self.expected_status.get(response.url) != response.status:
            self.failures.append(f"{response.url} answered {response.status}")

    def open(self, path: str, status: int = 200):
        url = self.site + path
        self.expected_status[url] = status
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == status, f"{url}: status {response and response.status}"
        return self.page

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the page is complete: formulas typeset, images and fonts loaded, no request open.

        Each condition is waited for exactly (no "network idle" guess), so a
        slow machine only makes the wait longer, never wrong.
        """
        wait_for_mathjax(self.page)
        self.page.evaluate(LOAD_IMAGES)
        self.page.evaluate("() => document.fonts.ready.then(() => true)")
        deadline = time.monotonic() + timeout
        while self.pending:  # requests events arrive while Playwright waits
            assert time.monotonic() < deadline, f"requests still open: {[r.url for r in self.pending]}"
            self.page.wait_for_timeout(20)

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).hostname != "127.0.0.1"]

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def visit(browser_context, site):
    v = Visit(browser_context, site)
    yield v
    v.close()


def wait_for_mathjax(page) -> None:
    """Wait until MathJax has loaded and typeset the page (no-op on pages without math)."""
    if not page.evaluate("() => document.querySelector('.math') !== null"):
        return
    page.wait_for_function("() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => window.MathJax.startup.promise.then(() => true)")


LOAD_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.getAttribute('src'));
}"""


# --- every page ---------------------------------------------------------------------

@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_loads_only_from_the_site_without_errors(visit, docname):
    page = visit.open(f"{docname}.html")
    wait_for_mathjax(page)
    broken = page.evaluate(LOAD_IMAGES)
    visit.settle()
    assert visit.outside_requests() == [], "requests leaving the site"
    assert visit.failures == [], "requests that failed"
    assert visit.errors == [], "console errors"
    assert broken == [], "images that did not load"


@pytest.mark.parametrize("docname", [d for d in DOCNAMES if "$" in source_of(d)])
def test_every_formula_is_typeset_by_the_shipped_mathjax(visit, docname):
    page = visit.open(f"{docname}.html")
    wait_for_mathjax(page)
    report = page.evaluate("""() => {
      const math = Array.from(document.querySelectorAll('.math'));
      return {
        count: math.length,
        untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
        errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent),
        scripts: Array.from(document.scripts).map(s => s.src).filter(s => /mathjax/i.test(s)),
      };
    }""")
    assert report["count"] > 0, "the source has $...$ but the page has no math"
    assert report["untypeset"] == [], "formulas MathJax did not typeset"
    assert report["errors"] == [], "TeX errors"
    assert report["scripts"] and all(s.startswith(visit.site + "_static/mathjax/") for s in report["scripts"])


@pytest.mark.parametrize("docname", CHAPTERS)
def test_copy_button_copies_exactly_a_cell_that_ran(visit, book, docname):
    page = visit.open(f"{docname}.html")
    cell = page.locator("div.cell:not(.tag_remove-input) div.cell_input div.highlight").first
    code = cell.locator("pre").inner_text()
    cell.hover()
    cell.locator(".copybtn").click()
    page.wait_for_function("() => document.querySelector('.copybtn.success') !== null", timeout=5_000)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == code.strip()
    sources = [c.source.strip() for c in book.notebook(docname).cells if c.cell_type == "code"]
    assert copied.strip() in sources, "the copied text is not the source of any executed cell"


def test_theme_switch_turns_the_page_dark(visit):
    page = visit.open("book/index.html")
    page.evaluate("() => localStorage.clear()")
    page.reload(wait_until="load")
    modes = []
    for _ in range(3):
        page.locator(".theme-switch-button").first.click()
        modes.append(page.evaluate("() => document.documentElement.dataset.theme"))
        if modes[-1] == "dark":
            break
    assert modes[-1] == "dark", f"the theme switch went through {modes}"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    page.evaluate("() => localStorage.clear()")  # the next tests see the default theme again
    assert luminance(background) < 0.2, f"the page background {background} is not dark"


def luminance(css_color: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


OPAQUE_FIGURES = """() => Array.from(document.querySelectorAll('article.bd-article img'))
  .filter(img => img.naturalWidth > 0 && !img.closest('.only-light, .only-dark'))
  .map(img => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let transparent = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] < 255) transparent++;
    const style = getComputedStyle(img);
    return {src: img.getAttribute('src'), transparent, filter: style.filter,
            opacity: style.opacity, hidden: style.display === 'none'};
  })"""


def test_figures_stay_readable_in_the_dark_theme(visit):
    """Every figure in the book is drawn on its own opaque background, shown unfiltered."""
    checked = []
    for docname in DOCNAMES:
        page = visit.open(f"{docname}.html")
        page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
        page.evaluate(LOAD_IMAGES)
        for fig in page.evaluate(OPAQUE_FIGURES):
            checked.append(fig["src"])
            where = f"{docname}: {fig['src']}"
            assert fig["transparent"] == 0, f"{where} has {fig['transparent']} transparent pixels"
            assert "invert" not in fig["filter"], f"{where} is inverted in the dark theme"
            assert float(fig["opacity"]) > 0.9 and not fig["hidden"], f"{where} is faded or hidden"
    assert checked, "no figure found in the whole book"


# --- search -------------------------------------------------------------------------

def search(visit, query: str, edition: str = "", heading: str = "Search Results") -> list[str]:
    """The result links (site paths, in order) of the site's own search page (of an edition: "zh/")."""
    page = visit.open(f"{edition}search.html?q={query}")
    page.wait_for_function(
        "heading => { const h = document.querySelector('#search-results h2');"
        " return h && h.textContent.startsWith(heading); }", arg=heading, timeout=30_000)
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('#search-results ul.search > li > a'))"
                          ".map(a => a.href)")
    return [site_relative(visit, h) for h in hrefs]


def site_relative(visit, url: str) -> str:
    """A URL of the site as a path from the site's root (``book/index.html``); it must be in the site."""
    assert url.startswith(visit.site), f"{url} is not under the site {visit.site}"
    return urlsplit(url).path[len(urlsplit(visit.site).path):]


def test_search_for_matmul_lists_the_matmul_chapter_first(visit):
    results = search(visit, "matmul")
    assert results, "no result for matmul"
    assert results[0] == "book/toolkit/matmul.html", results


def test_search_for_squared_loss_finds_part_two(visit):
    results = search(visit, "squared_loss")
    assert any(r.startswith("book/scratch/") for r in results), results


# Chinese has no spaces between words: the Chinese edition's index is built with a word
# segmenter (jieba), so a search for a word finds the chapter that is about it.
# The chapters with a page or section title naming the word: broadcasting has a section in two
# (matmul's rules, the model's trap), the learning rate too (training's rate too large, the sweep).
@pytest.mark.parametrize("query, chapters", [("小批量", ["book/scratch/minibatches"]),
                                             ("广播", ["book/toolkit/matmul", "book/scratch/model"]),
                                             ("学习率", ["book/further/hyperparameters", "book/scratch/training"])])
def test_chinese_search_lists_a_chapter_about_the_word_first(visit, query, chapters):
    results = search(visit, query, edition="zh/", heading="搜索结果")
    assert results, f"no result for {query}"
    assert results[0] in [f"zh/{chapter}.html" for chapter in chapters], results
    assert len(results) > 3, "the word is found in one title only, not in the text of other chapters"


# --- the 404 page -------------------------------------------------------------------
# A static host answers every missing address with the site's 404.html, whatever its depth, so
# that page's links are absolute: they start with the site's path (bookbuild.notfound derives it
# from html.baseurl). Served under that path, as published, a wrong prefix shows as a page
# without its stylesheet and with links that lead nowhere.

STYLESHEETS = """() => Array.from(document.querySelectorAll('link[rel="stylesheet"]'))
  .map(l => ({href: l.href, rules: l.sheet ? l.sheet.cssRules.length : 0}))"""
LOCAL_LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.getAttribute('href').startsWith('#'))  // anchors on the page itself
  .map(a => a.href).filter(h => h.startsWith(location.origin)).map(h => h.split('#')[0])"""


def assert_styled_with_working_links(visit, page) -> None:
    page.evaluate(LOAD_IMAGES)
    visit.settle()
    sheets = page.evaluate(STYLESHEETS)
    assert any("/_static/styles/theme.css" in s["href"] for s in sheets), "the page names no theme stylesheet"
    assert [s["href"] for s in sheets if not s["href"].startswith(visit.site)] == [], "stylesheets outside the site"
    assert [s["href"] for s in sheets if not s["rules"]] == [], "stylesheets that did not load"
    # the theme's own rule, not the browser's default (a <header> is a block either way)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.bd-header')).display") == "flex"
    assert visit.outside_requests() == [], "requests leaving the site"
    assert visit.failures == [], "requests that failed"
    assert visit.errors == [], "console errors"
    links = sorted(set(page.evaluate(LOCAL_LINKS)))
    home = page.locator("a.navbar-brand").first.evaluate("a => a.href")
    assert home.split("#")[0] in links and len(links) > 5, links
    broken = [link for link in links if page.request.get(link).status != 200]
    assert broken == [], "links of the 404 page that lead nowhere"


@pytest.mark.parametrize("missing", ["book/no/such/chapter.html", "no-such-page", "zh/book/no/such/chapter.html"])
def test_missing_address_under_the_site_shows_the_404_page_styled_with_working_links(visit, missing):
    page = visit.open(missing, status=404)
    assert "Page not found" in page.locator("article").inner_text()
    assert_styled_with_working_links(visit, page)


@pytest.mark.parametrize("edition, title", [("", "Page not found"), ("zh/", "页面不存在")])
def test_each_editions_404_page_is_styled_and_its_links_stay_in_its_edition(visit, edition, title):
    """Each edition has a 404 page in its language (a host that serves a folder's own 404.html shows it)."""
    page = visit.open(f"{edition}404.html")
    assert title in page.locator("article").inner_text()
    assert_styled_with_working_links(visit, page)
    home = site_relative(visit, page.locator("a.navbar-brand").first.evaluate("a => a.href"))
    assert home == f"{edition}book/index.html", f"the logo of the {edition or 'English'} 404 page leads to {home}"


# --- screenshots --------------------------------------------------------------------

@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("docname", ["book/index", "book/scratch/training", "zh/book/scratch/training"])
def test_screenshot_fits_the_screen(visit, docname, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    page = visit.page
    page.set_viewport_size(viewport)
    visit.open(f"{docname}.html")
    page.evaluate("() => localStorage.clear()")  # a first visit: the default (light) theme
    page.reload(wait_until="load")
    visit.settle()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = ("zh-" if docname.startswith("zh/") else "") + docname.split("/")[-1]
    page.screenshot(path=SCREENSHOTS / f"{stem}-{size}.png")
    page.screenshot(path=SCREENSHOTS / f"{stem}-{size}-full.png", full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {viewport['width']}px screen"


# --- the notebook download ----------------------------------------------------------

def notebook_link(visit, docname: str) -> str:
    page = visit.open(f"{docname}.html")
    link = page.locator("a.btn-download-notebook-button")
    assert link.count() == 1, "the page offers no .ipynb download"
    return page.evaluate("(a) => a.href", link.element_handle())


@pytest.mark.parametrize("docname", CHAPTERS)
def test_download_button_serves_the_runnable_notebook_of_the_page(visit, book, docname):
    """The button a reader clicks serves the site's notebook (tests/site/test_downloads.py runs each one)."""
    url = notebook_link(visit, docname)
    assert urlsplit(url).hostname == "127.0.0.1"
    with urllib.request.urlopen(url) as response:
        served = response.read()
    assert served == (book.html / "_sources" / f"{docname}.ipynb").read_bytes()
    nb = nbformat.reads(served.decode(), as_version=4)
    assert any(cell_outputs_text(c) for c in nb.cells if c.cell_type == "code"), "the notebook has no outputs"


# --- icons --------------------------------------------------------------------------

MODES = ["light", "dark"]


def set_mode(page, mode: str) -> None:
    """Show the page in a color mode, as the theme switch does (data-mode and data-theme)."""
    page.evaluate("(mode) => { const d = document.documentElement.dataset; d.mode = mode; d.theme = mode; }", mode)
    # The theme fades colors in: judge them once every transition has ended.
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))).then(() => true)")


VISIBLE_ICONS = """() => Array.from(document.querySelectorAll('i[class*="fa-"]'))
  .filter(i => { const r = i.getBoundingClientRect(); return r.width > 0 && r.height > 0
                 && getComputedStyle(i).visibility === 'visible'; })
  .map((i, n) => { i.dataset.iconProbe = n;
    const before = getComputedStyle(i, '::before');
    return {probe: n, icon: i.className, width: parseFloat(before.width), height: parseFloat(before.height),
            mask: before.webkitMaskImage || before.maskImage, control: !!i.closest('button, a')}; })"""


def drawn_pixels(png: bytes) -> int:
    """Pixels of a screenshot that differ clearly from its most common color (the background)."""
    import io

    from PIL import Image

    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = [data[i:i + 3] for i in range(0, len(data), 3)]
    background = max(set(pixels), key=pixels.count)
    return sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background, strict=True)) > 96)


@pytest.mark.parametrize("mode", MODES)
def test_buttons_show_their_icons_without_font_awesomes_script(visit, mode):
    """Every icon the chapter page shows is drawn (not a blank box), and fontawesome.js is not loaded."""
    page = visit.open("book/scratch/training.html")
    set_mode(page, mode)
    visit.settle()
    assert not any("fontawesome.js" in u for u in visit.requests), "fontawesome.js is still loaded"
    icons = page.evaluate(VISIBLE_ICONS)
    names = {c for i in icons for c in i["icon"].split() if c.startswith("fa-")}
    for needed in ("fa-magnifying-glass", "fa-list", "fa-download", "fa-expand"):
        assert needed in names, f"no visible {needed} icon in {mode} mode"
    assert {"fa-sun", "fa-moon", "fa-circle-half-stroke"} & names, "the theme switch shows no icon"
    blank = []
    for icon in icons:
        where = f"{icon['icon']} ({mode})"
        assert icon["width"] > 0 and icon["height"] > 0, f"{where} has no size"
        assert "data:image/svg+xml" in icon["mask"], f"{where} has no icon drawing"
        shot = page.locator(f'[data-icon-probe="{icon["probe"]}"]').screenshot()
        if drawn_pixels(shot) < 8:
            blank.append(where)
    assert blank == [], f"icons drawn as blank boxes: {blank}"


# --- accessibility --------------------------------------------------------------------

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}  # WCAG 2.1 A and AA, as axe-core 4.12 judges them
AUDITED = [*DOCNAMES, "genindex", "search"]


def axe_violations(page, options: dict) -> list[str]:
    """Serious and critical findings of axe-core on the page as it is shown."""
    import json

    report = page.evaluate(f"() => axe.run(document, {json.dumps(options)})")
    return [f"{v['id']} ({v['impact']}): {', '.join(' '.join(n['target']) for n in v['nodes'][:8])}"
            + (f" and {len(v['nodes']) - 8} more" if len(v["nodes"]) > 8 else "")
            for v in report["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("docname", AUDITED)
def test_page_meets_wcag_aa_in_light_and_dark_mode(visit, docname):
    """axe-core finds nothing serious or critical on the page, in either color mode."""
    from axe_playwright_python.base import AXE_SCRIPT

    page = visit.open(f"{docname}.html")
    visit.settle()
    page.evaluate(AXE_SCRIPT)
    found = []
    for mode in MODES:
        set_mode(page, mode)
        # Only colors change with the mode: the other rules are judged once, in the first.
        options = AXE_OPTIONS if mode == MODES[0] else {**AXE_OPTIONS, "runOnly": ["color-contrast"]}
        found += [f"[{mode}] {v}" for v in axe_violations(page, options)]
    assert found == [], "accessibility violations:\n" + "\n".join(found)
