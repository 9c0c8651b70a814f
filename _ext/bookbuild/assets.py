"""The site loads nothing from another site and ships nothing no page loads.

- MathJax is copied from the pinned ``sphinx-mathjax-offline`` wheel, only
  the files a page can ask for (``mathjax_path`` in _config.yml points at it).
- The live-code (thebe) scripts are left out: the book runs offline, with
  thebe off, yet sphinx-thebe writes its configuration, with a CDN address,
  on every page.
- Source maps, the dropped thebe files and TrueType fonts with a woff2 twin are removed.

Events: ``html-page-context`` (drop thebe), ``build-finished`` (copy MathJax, prune).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

# The MathJax files a page can ask for: the combined TeX/CHTML component, its
# fonts, and the TeX extensions it loads on demand (nothing else is shipped).
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    def wanted(asset) -> bool:
        body = getattr(asset, "attributes", {}).get("body", "") or ""
        return "thebe" not in str(getattr(asset, "filename", asset) or "").lower() and "THEBE" not in body

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if wanted(a)]


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
    for path in [*static.rglob("*.map"), *static.glob("sphinx-thebe.*")]:
        path.unlink()
    for path in static.rglob("*.ttf"):
        if path.with_suffix(".woff2").exists():
            path.unlink()


def finish(app, exception) -> None:
    if app.builder.format == "html" and exception is None:
        copy_mathjax(Path(app.outdir))
        prune_static(Path(app.outdir))


def setup(app) -> None:
    app.connect("html-page-context", drop_thebe)
    app.connect("build-finished", finish)
