"""The icons the pages show, drawn without Font Awesome's 1.45 MB script.

Font Awesome's JavaScript (``fontawesome.js``, 1.45 MB, every icon of Font
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

An icon a page names that the theme's Font Awesome does not have (after a
theme upgrade, say) is a build warning, not a blank square.

Events: ``build-finished`` (write ``_static/book-icons.css``, after every page is written).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from sphinx.util import logging

logger = logging.getLogger(__name__)

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
        "/* Written by bookbuild.icons: the icons the pages show, drawn as CSS masks in the text",
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
        logger.warning(f"the pages show icons the theme's Font Awesome does not have: {', '.join(missing)}; "
                       "they would be blank (a theme upgrade? see bookbuild.icons)", type="bookbuild", subtype="icons")
    return "\n".join(lines) + "\n"


def write_icons(outdir: Path) -> None:
    script = fontawesome_script()
    css = icon_css(fontawesome_icons(script.read_text(encoding="utf-8")), icons_used(outdir))
    (outdir / "_static" / "book-icons.css").write_text(css, encoding="utf-8")


def fontawesome_script() -> Path:
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    return theme / "static" / "scripts" / "fontawesome.js"


def finish(app, exception) -> None:
    if app.builder.format == "html" and exception is None:
        write_icons(Path(app.outdir))


def setup(app) -> None:
    app.connect("build-finished", finish)
