"""The site loads nothing from another site and ships nothing no page loads.

- MathJax is copied from the pinned ``sphinx-mathjax-offline`` wheel, only
  the files a page can ask for (``mathjax_path`` in _config.yml points at it).
- The live-code (thebe) scripts are left out: the book runs offline, with
  thebe off, yet sphinx-thebe writes its configuration, with a CDN address,
  on every page.
- Font Awesome's JavaScript (1.45 MB) is not loaded: :mod:`bookbuild.icons`
  draws the icons the pages show.
- The search ranks a page whose title holds the query first (``_ext/search-scorer.js``,
  Sphinx's ``html_search_scorer``, read relative to the book).
- The book's own stylesheet and script (``book/_static/site/``: accessibility
  fixes to the theme's colors and button names, each explained beside it)
  are added to every page.
- A page with no formula of its own does not load MathJax (Sphinx loads it
  on a page whose toctree includes formulas: the landing page).
- Source maps, the dropped thebe files, fontawesome.js and TrueType fonts
  with a woff2 twin are removed.

Events: ``config-inited`` (the book's static folder), ``html-page-context`` (drop thebe; priority
600, drop MathJax where no formula needs it),
``build-finished`` (copy MathJax, prune).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

# The MathJax files a page can ask for: the combined TeX/CHTML component, its
# fonts, and the TeX extensions it loads on demand (nothing else is shipped).
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]

# The book's own CSS and JavaScript, relative to the book's root.
SITE_STATIC = Path("book") / "_static" / "site"
SITE_CSS = ["book-icons.css", "book.css"]
SITE_JS = ["book.js"]


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    def wanted(asset) -> bool:
        body = getattr(asset, "attributes", {}).get("body", "") or ""
        return "thebe" not in str(getattr(asset, "filename", asset) or "").lower() and "THEBE" not in body

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if wanted(a)]


def add_site_static(app, config) -> None:
    """Ship book/_static/site/ (the book's own CSS and JS) in _static."""
    folder = Path(app.srcdir) / SITE_STATIC
    if folder.is_dir() and str(folder) not in config.html_static_path:
        config.html_static_path.append(str(folder))


def copy_mathjax(outdir: Path) -> None:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    source = Path(spec.origin).parent / "static" / "mathjax"
    target = outdir / "_static" / "mathjax"
    for name in MATHJAX_FILES:
        src, dst = source / name, target / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def prune_static(outdir: Path) -> None:
    static = outdir / "_static"
    for path in {*static.rglob("*.map"), *static.glob("sphinx-thebe.*"), *static.glob("scripts/fontawesome.js*")}:
        path.unlink()
    for path in static.rglob("*.ttf"):
        if path.with_suffix(".woff2").exists():
            path.unlink()


def finish(app, exception) -> None:
    if app.builder.format == "html" and exception is None:
        outdir = Path(app.outdir)
        copy_mathjax(outdir)
        prune_static(outdir)


def drop_unused_mathjax(app, pagename, templatename, context, doctree) -> None:
    """Leave MathJax (1.1 MB) out of a page that has no formula of its own.

    Sphinx loads it on every page whose toctree includes a page with
    formulas, so the landing page, which includes every chapter, loaded it
    for nothing. A page keeps it when its own document has math, or has
    notebook cells (their outputs may hold LaTeX).
    """
    from docutils import nodes

    if doctree is None or "script_files" not in context:
        return
    if any(True for _ in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
        return
    if any(True for _ in doctree.findall(lambda n: "cell" in n.get("classes", ()) if isinstance(n, nodes.Element)
                                         else False)):
        return

    def not_mathjax(asset) -> bool:
        name = str(getattr(asset, "filename", asset) or "")
        body = getattr(asset, "attributes", {}).get("body", "") or ""
        return "mathjax" not in name.lower() and "MathJax" not in body

    context["script_files"] = [a for a in context["script_files"] if not_mathjax(a)]


def scorer_from_the_book(app, config) -> None:
    """Read ``html_search_scorer`` relative to the book, as Sphinx documents it (Sphinx 7.4 opens it
    relative to the current directory, so a build started elsewhere would not find it)."""
    scorer = config.html_search_scorer
    if scorer and not Path(scorer).is_absolute():
        config.html_search_scorer = str(Path(app.confdir) / scorer)


def setup(app) -> None:
    app.connect("config-inited", add_site_static)
    app.connect("config-inited", scorer_from_the_book)
    for name in SITE_CSS:
        app.add_css_file(name)
    for name in SITE_JS:
        app.add_js_file(name, loading_method="defer")
    app.connect("html-page-context", drop_thebe)
    app.connect("html-page-context", drop_unused_mathjax, priority=600)  # after sphinx.ext.mathjax adds it
    app.connect("build-finished", finish)
