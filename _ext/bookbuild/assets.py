"""The site loads nothing from another site and ships nothing no page loads.

- MathJax is copied from the pinned ``sphinx-mathjax-offline`` wheel, only
  the files a page can ask for (``mathjax_path`` in _config.yml points at it).
- The live-code (thebe) scripts are left out: the book runs offline, with
  thebe off, yet sphinx-thebe writes its configuration, with a CDN address,
  on every page.
- Font Awesome's JavaScript (``fontawesome.js``, 1.45 MB, every icon of Font
  Awesome Free) is not loaded: the pages show about fifteen icons. The theme
  has no option to leave it out (pydata-sphinx-theme writes the tag in its
  ``static/webpack-macros.html``), so the book overrides that one template
  the documented way, through ``templates_path``
  (``book/_templates/static/webpack-macros.html`` imports the theme's own and
  drops the line naming fontawesome.js). The icons the built pages name (``fa-*`` classes, plus
  those the theme's scripts add) are then drawn by ``book-icons.css``,
  written at the end of the build: one CSS mask (an inline SVG data URI, the
  path taken from the theme's own fontawesome.js, so the icons are exactly
  the theme's) per icon, painted in the text color, so they follow the light
  and dark themes. The webfont glyphs the theme's Font Awesome CSS would draw
  in those ``<i>`` elements are turned off; the theme's own CSS-only icons
  (admonition titles, breadcrumbs) still use its solid webfont, as before.
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
``build-finished`` (copy MathJax, write the icons, prune).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

# The MathJax files a page can ask for: the combined TeX/CHTML component, its
# fonts, and the TeX extensions it loads on demand (nothing else is shipped).
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]

# The book's own CSS and JavaScript, relative to the book's root.
SITE_STATIC = Path("book") / "_static" / "site"
SITE_CSS = ["book-icons.css", "book.css"]
SITE_JS = ["book.js"]


# Icons the theme's scripts create at run time (not in the written HTML).
SCRIPT_ICONS = {("solid", "xmark")}
FA_STYLES = {"fa-solid": "solid", "fas": "solid", "fa-regular": "regular", "far": "regular",
             "fa-brands": "brands", "fab": "brands"}
FA_CLASS = re.compile(r'class="([^"]*\bfa-[^"]*)"')
FA_NOT_ICONS = {"fa-lg", "fa-xs", "fa-sm", "fa-xl", "fa-2x", "fa-3x", "fa-fw", "fa-spin", "fa-pulse",
                "fa-solid", "fa-regular", "fa-brands"}
# In fontawesome.js each style's icons are an object {name: [width, height, aliases, unicode, path]}
# registered by a call like d("fas", ...) right after it.
FA_ICON = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]*",'
                     r'("(?:[^"\\]|\\.)*"|\[[^\]]*\])\]')
FA_REGISTER = re.compile(r'\("(fas|far|fab)",')


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


def fontawesome_icons(script: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(style, name) -> (width, height, SVG path) of every icon in Font Awesome's JavaScript."""
    icons: dict[tuple[str, str], tuple[int, int, str]] = {}
    start = 0
    for register in FA_REGISTER.finditer(script):
        style = {"fas": "solid", "far": "regular", "fab": "brands"}[register.group(1)]
        for m in FA_ICON.finditer(script, start, register.start()):
            path = json.loads(m.group(5))
            if isinstance(path, list):  # duotone: [secondary, primary]
                path = " ".join(path)
            icons.setdefault((style, m.group(1) or m.group(2)), (int(m.group(3)), int(m.group(4)), path))
        start = register.end()
    return icons


def icons_used(html: Path) -> set[tuple[str, str]]:
    """(style, name) of every Font Awesome icon the built pages show."""
    used = set(SCRIPT_ICONS)
    for page in html.rglob("*.html"):
        if page.parent.name == "_static":
            continue
        for classes in FA_CLASS.findall(page.read_text(encoding="utf-8", errors="replace")):
            names = classes.split()
            style = next((FA_STYLES[n] for n in names if n in FA_STYLES), "solid")
            used |= {(style, n[3:]) for n in names if n.startswith("fa-") and n not in FA_NOT_ICONS}
    return used


def icon_css(icons: dict, used: set[tuple[str, str]]) -> str:
    lines = [
        "/* Written by bookbuild.assets: the icons the pages show, drawn as CSS masks in the text",
        "   color, in place of Font Awesome's 1.45 MB script. Paths from Font Awesome Free",
        "   (https://fontawesome.com, icons CC BY 4.0), as shipped by pydata-sphinx-theme. */",
        # The theme's Font Awesome CSS draws each icon as a glyph of its webfont; an empty glyph
        # keeps the browser from fetching the font, the mask below draws the icon instead.
        ".fa-solid::before, .fas::before, .fa-regular::before, .far::before,",
        ".fa-brands::before, .fab::before, .fa::before {",
        "  content: \"\" !important; display: inline-block; height: 1em; width: var(--book-icon-width, 1em);",
        "  vertical-align: -0.125em; background-color: currentColor;",
        "  -webkit-mask: var(--book-icon) center / contain no-repeat;",
        "  mask: var(--book-icon) center / contain no-repeat;",
        "}",
    ]
    missing = []
    for style, name in sorted(used):
        if (style, name) not in icons:
            missing.append(f"{style} {name}")
            continue
        width, height, path = icons[style, name]
        svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'><path d='{path}'/></svg>"
        selector = {"solid": ".fa-solid, .fas", "regular": ".fa-regular, .far", "brands": ".fa-brands, .fab"}[style]
        parts = [f"{s.strip()}.fa-{name}" for s in selector.split(",")]
        uri = "data:image/svg+xml," + quote(svg, safe=" =:/'")
        lines.append(f"{', '.join(parts)} {{ --book-icon-width: {width / height:.4g}em; "
                     f'--book-icon: url("{uri}"); }}')
    if missing:
        lines.append(f"/* not in the theme's Font Awesome: {', '.join(missing)} */")
    return "\n".join(lines) + "\n"


def write_icons(outdir: Path) -> None:
    script = fontawesome_script()
    css = icon_css(fontawesome_icons(script.read_text(encoding="utf-8")), icons_used(outdir))
    (outdir / "_static" / "book-icons.css").write_text(css, encoding="utf-8")


def fontawesome_script() -> Path:
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    return theme / "static" / "scripts" / "fontawesome.js"


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
        write_icons(outdir)
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
