"""Page weight: what each page of the built site costs a reader to download.

For every page in _toc.yml: its own bytes (the HTML and the figures in
_images it shows), and the shared assets it loads (_static's scripts,
stylesheets, icons and what those stylesheets pull in with url(...), and the
search index). The
total of a first visit is the landing page plus every asset it loads. A
chapter page carrying more than 500 KB of its own is flagged.

Last, what _static ships that no page loads: files a browser never fetches
(source maps, license notes, the theme's translation catalogs and Jinja
templates, launch-service logos with launch buttons off), and TrueType fonts
that browsers skip because a WOFF2 of the same font comes first.

MathJax is counted as it is loaded: tex-chtml.js on every page with math; its
fonts and TeX extensions are fetched on demand, so they are listed as
"loaded on demand" rather than added to a page.

The first visit is weighed twice. From the files (what the landing page
names, and everything its stylesheets name with url(), icon fonts included
even if no glyph of them is drawn): an upper bound. Then in Chromium, when
it is installed: the site is served on 127.0.0.1, the root index.html is
opened (it redirects to the landing page), and every byte the browser fetched
by the time the formulas are typeset, the images and fonts loaded and no
request is open is summed by asset type (HTML, CSS, JS, fonts, search index,
figures), with each type's share. The budget, 1.5 MB without figures, is
checked on that figure.

Run: PYTHONPATH=_ext .venv/bin/python benchmarks/bench_pages.py [BUILD]   (BUILD holds html/;
default $BOOK_BUILD or _build).
"""

from __future__ import annotations

import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent

OWN_LIMIT = 500 * 1024
FIRST_VISIT_BUDGET = 1500 * 1000  # bytes, without figures
CHROMIUM = Path("/usr/bin/chromium")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")
ON_DEMAND = ("mathjax/output/", "mathjax/input/")  # fetched by tex-chtml.js when a formula needs them


class Loads(HTMLParser):
    """The URLs a page makes the browser fetch (scripts, stylesheets, icons, images)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "source", "iframe") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = set((a.get("rel") or "").lower().split())
            if rel & {"stylesheet", "icon", "shortcut", "preload", "manifest", "apple-touch-icon"}:
                self.urls.append(a["href"])


def local_file(base: Path, url: str, html: Path) -> Path | None:
    """The file a relative or root-absolute URL points to, if it is in the site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("data:", "#")):
        return None
    path = unquote(parts.path)
    target = (html / path.lstrip("/")) if path.startswith("/") else (base / path)
    target = target.resolve()
    return target if target.is_file() and html.resolve() in target.parents else None


def add_load(base: Path, url: str, html: Path, seen: set[Path]) -> None:
    """Add the local file a url names to seen; for a stylesheet, also what it pulls in."""
    target = local_file(base, url, html)
    if target is None or target in seen:
        return
    seen.add(target)
    if target.suffix == ".css":
        for css_url, imported in CSS_URL.findall(target.read_text(encoding="utf-8", errors="replace")):
            add_load(target.parent, css_url or imported, html, seen)


def page_loads(page: Path, html: Path) -> set[Path]:
    parser = Loads()
    parser.feed(page.read_text(encoding="utf-8"))
    files: set[Path] = set()
    for url in parser.urls:
        add_load(page.parent, url, html, files)
    return files


def skipped_by_browsers(path: Path, loaded: set[Path]) -> bool:
    """A .ttf next to a .woff2 of the same font: @font-face lists the WOFF2 first."""
    return path.suffix == ".ttf" and path.with_suffix(".woff2") in loaded


def asset_type(url: str, resource_type: str) -> str:
    path = urlsplit(url).path
    if resource_type == "document" or path.endswith(".html"):
        return "HTML"
    if "/_images/" in path or resource_type == "image" and "/_static/" not in path:
        return "figures"
    if path.endswith("searchindex.js"):
        return "search index"
    if resource_type == "stylesheet" or path.endswith(".css"):
        return "CSS"
    if resource_type == "script" or path.endswith(".js"):
        return "JS"
    if resource_type == "font" or path.endswith((".woff", ".woff2", ".ttf", ".otf")):
        return "fonts"
    return "icons and other"


def first_visit_in_browser(html: Path) -> list[tuple[str, str, int]] | None:
    """(url path, asset type, bytes) of everything Chromium fetches on a first visit to the site."""
    import functools
    import http.server
    import threading
    import time

    if not CHROMIUM.exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    server.handle_error = lambda *args: None  # the browser may drop a connection it no longer needs
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetched: list[tuple[str, str, int]] = []
    pending: set = set()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            done: list = []
            page.on("request", lambda r: pending.add(r))
            page.on("requestfailed", lambda r: pending.discard(r))
            page.on("requestfinished", lambda r: (pending.discard(r), done.append(r)))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html", wait_until="load")
            page.wait_for_url("**/book/index.html")
            page.wait_for_load_state("load")
            page.wait_for_function("() => !document.querySelector('.math') || "
                                   "(window.MathJax && MathJax.startup && MathJax.startup.promise)")
            page.evaluate("() => (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve())"
                          ".then(() => document.fonts.ready).then(() => true)")
            deadline = time.monotonic() + 30
            while pending and time.monotonic() < deadline:
                page.wait_for_timeout(20)
            for request in done:  # served as files, uncompressed: a fetch costs the file's size
                response = request.response()
                path = unquote(urlsplit(request.url).path)
                file = html / path.lstrip("/")
                ok = response is not None and response.status < 300 and file.is_file()
                fetched.append((path, asset_type(request.url, request.resource_type), file.stat().st_size if ok else 0))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return fetched


def print_first_visit(fetched: list[tuple[str, str, int]]) -> None:
    by_type: dict[str, int] = {}
    for _, kind, size in fetched:
        by_type[kind] = by_type.get(kind, 0) + size
    figures = by_type.get("figures", 0)
    total = sum(by_type.values()) - figures
    verdict = "within" if total < FIRST_VISIT_BUDGET else "OVER"
    print(f"\nfirst visit measured in Chromium: {total / 1e6:.2f} MB ({kb(total)} KB) in "
          f"{sum(1 for f in fetched if f[1] != 'figures')} requests, without figures "
          f"({verdict} the {FIRST_VISIT_BUDGET / 1e6:.1f} MB budget); figures {kb(figures)} KB more")
    for kind, size in sorted(by_type.items(), key=lambda kv: -kv[1]):
        if kind != "figures":
            print(f"  {kind:<16}{kb(size):>9} KB  {100 * size / total:5.1f} %")
    print("  largest:")
    for path, _kind, size in sorted(fetched, key=lambda f: -f[2])[:6]:
        print(f"  {kb(size):>9} KB  {path.lstrip('/')}")


def kb(n: int) -> str:
    return f"{n / 1024:,.1f}"


def find_html(argv: list[str]) -> Path:
    build = Path(argv[0]) if argv else Path(os.environ.get("BOOK_BUILD", ROOT / "_build"))
    return (build / "html").resolve()


def main(argv: list[str] | None = None) -> int:
    from booktools.toc import toc_files

    html = find_html(sys.argv[1:] if argv is None else argv)
    if not (html / "index.html").exists():
        print(f"no built site in {html}: run `make html` first (or pass the build folder)")
        return 1
    static = html / "_static"
    docnames = [p.relative_to(ROOT).with_suffix("").as_posix() for p in toc_files(ROOT)]

    rows, all_loaded, flagged = [], set(), []
    for docname in docnames:
        page = html / f"{docname}.html"
        if not page.exists():
            rows.append((docname, None, None, None, None))
            continue
        loads = page_loads(page, html)
        all_loaded |= loads
        images = sum(f.stat().st_size for f in loads if (html / "_images") in f.parents)
        shared = sum(f.stat().st_size for f in loads
                     if (html / "_images") not in f.parents and not skipped_by_browsers(f, loads))
        own = page.stat().st_size + images
        rows.append((docname, page.stat().st_size, images, own, shared))
        if own > OWN_LIMIT and docname != "book/index":
            flagged.append(docname)

    print(f"site: {html}")
    print(f"\n{'page':<34}{'HTML KB':>9}{'images KB':>11}{'own KB':>9}{'shared KB':>11}")
    for docname, size, images, own, shared in rows:
        if size is None:
            print(f"{docname:<34}{'(not built)':>40}")
            continue
        mark = "  > 500 KB" if docname in flagged else ""
        print(f"{docname:<34}{kb(size):>9}{kb(images):>11}{kb(own):>9}{kb(shared):>11}{mark}")

    # A first visit: the root index.html (a redirect), the landing page, and what it loads.
    landing = html / "book" / "index.html"
    first = page_loads(landing, html) if landing.exists() else set()
    first_files = {html / "index.html", landing} | {f for f in first if not skipped_by_browsers(f, first)}
    first_total = sum(f.stat().st_size for f in first_files if f.exists())
    print(f"\nfirst visit (index.html -> book/index.html and its assets): {kb(first_total)} KB in "
          f"{len(first_files)} files")
    for f in sorted(first_files, key=lambda f: -f.stat().st_size)[:6]:
        print(f"  {kb(f.stat().st_size):>9} KB  {f.relative_to(html)}")

    measured = first_visit_in_browser(html)
    if measured is None:
        print("\n(Chromium or Playwright missing: the first visit is not measured in a browser)")
    else:
        print_first_visit(measured)

    everything = [f for f in static.rglob("*") if f.is_file()]
    on_demand = [f for f in everything if any(f.relative_to(static).as_posix().startswith(p) for p in ON_DEMAND)]
    unused = [f for f in everything if f not in all_loaded and f not in on_demand]
    skipped = [f for f in everything if f in all_loaded and skipped_by_browsers(f, all_loaded)]
    total_static = sum(f.stat().st_size for f in everything)
    print(f"\n_static: {kb(total_static)} KB in {len(everything)} files; "
          f"MathJax fonts and extensions loaded on demand: {kb(sum(f.stat().st_size for f in on_demand))} KB")

    groups: dict[str, list[Path]] = {}
    for f in unused:
        rel = f.relative_to(static).as_posix()
        key = ("source maps (*.map)" if rel.endswith(".map")
               else "license notes (*.LICENSE.txt)" if rel.endswith(".LICENSE.txt")
               else "translation catalogs (locales/)" if rel.startswith("locales/")
               else rel)
        groups.setdefault(key, []).append(f)
    groups["TrueType fonts shadowed by WOFF2 (never fetched)"] = skipped
    print("\nshipped in _static but loaded by no page:")
    for key, files in sorted(groups.items(), key=lambda kv: -sum(f.stat().st_size for f in kv[1])):
        if files:
            size = sum(f.stat().st_size for f in files)
            print(f"  {kb(size):>9} KB  {key}" + (f" ({len(files)} files)" if len(files) > 1 else ""))
    waste = sum(f.stat().st_size for f in unused + skipped)
    print(f"  {kb(waste):>9} KB  in all, of {kb(total_static)} KB")

    if flagged:
        print(f"\nchapters over {OWN_LIMIT // 1024} KB of their own: {', '.join(flagged)}")
    else:
        print(f"\nno chapter carries more than {OWN_LIMIT // 1024} KB of its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
