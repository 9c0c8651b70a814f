"""Each chapter's executed notebook, outputs included, offered for download from its page.

- myst-nb renders a page from the cached outputs but, on a cache hit, writes
  ``_build/jupyter_execute/<chapter>.ipynb`` without them; the file is
  completed here from the same cache record (the tests read it too).
- The theme offers ``.ipynb`` only when a launch service is configured; the
  book runs offline, so the executed notebook is copied to ``_sources/``
  itself, without the build's hidden cache-key cell and with each cell's
  printed text in one piece (as the page shows it, ``nb_merge_streams``).

Events: ``doctree-read`` (complete the executed notebook), ``html-page-context``
(priority 400, before the theme draws its download button).
"""

from __future__ import annotations

from pathlib import Path

from bookbuild.cachekey import MARK


def executed_path(app, docname: str) -> Path:
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def complete_executed_notebook(app, doctree) -> None:
    import nbformat

    config = getattr(app.env, "mystnb_config", None)
    executed = executed_path(app, app.env.docname)
    if config is None or config.execution_mode != "cache" or not executed.exists():
        return
    from jupyter_cache import get_cache

    nb = nbformat.read(executed, as_version=4)
    try:
        _, merged = get_cache(config.execution_cache_path).merge_match_into_notebook(nb)
    except KeyError:
        return  # not cached: the file came straight from an execution and has its outputs
    nbformat.write(merged, executed)


def offer_notebook(app, pagename, templatename, context, doctree) -> None:
    import nbformat
    from myst_nb.core.utils import coalesce_streams

    executed = executed_path(app, pagename)
    if doctree is None or not executed.exists():
        return
    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if not c.source.startswith(MARK)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app) -> None:
    app.connect("doctree-read", complete_executed_notebook)
    app.connect("html-page-context", offer_notebook, priority=400)
