"""The book's build rules, so that ``jupyter-book build .`` and ``make html`` agree.

- strict: warnings fail the build (as ``-W --keep-going -n``);
- every Markdown file under ``book/`` must be listed in ``_toc.yml``;
- ``src/scratchbook`` is tangled from the chapters before anything is read;
- a chapter that imports ``scratchbook`` is re-executed when the modules it
  imports change (jupyter-cache alone hashes only the chapter's own cells);
- a chapter whose execution failed is not published, and the next build
  looks at it again;
- MathJax is served from the site itself, never from a CDN.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).parent))
import tangle  # noqa: E402

logger = logging.getLogger(__name__)

# The MathJax files a page can ask for: the combined TeX/CHTML component, its
# fonts, and the TeX extensions it loads on demand (nothing else is shipped).
MATHJAX_FILES = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]
INPUTS_MARK = "# Inputs from the scratchbook package"
INPUTS_CELL = """

```{{code-cell}} ipython3
:tags: [remove-cell]

# Inputs from the scratchbook package; this chapter is re-executed when they change.
# {files}: {digest}
```
"""


def root_of(app) -> Path:
    return Path(app.srcdir)


def make_strict(app, config) -> None:
    """Fail on any warning but report them all, whatever the command line said."""
    app.keep_going = True
    app.warningiserror = False
    config.nitpicky = True
    config.mathjax_path = "mathjax/tex-chtml.js"  # copied into _static below


def check_toc(app) -> None:
    """Report every Markdown file under book/ that _toc.yml does not list."""
    root = root_of(app)
    listed = {p.resolve() for p in tangle.toc_files(root)}
    for path in sorted((root / app.config.book_dir).rglob("*.md")):
        rel = path.relative_to(root)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue  # templates, static files, checkpoints
        if path.resolve() not in listed:
            logger.warning(
                f"{rel} is not listed in _toc.yml, so it would not be built. "
                f"Add it to _toc.yml (or delete it).",
                type="bookbuild", subtype="toc",
            )


def tangle_package(app) -> None:
    """Write src/scratchbook from the chapters, or only check it when asked to."""
    root = root_of(app)
    if os.environ.get("SCRATCHBOOK_TANGLE") == "check":
        for problem in tangle.check(root):
            logger.warning(problem, type="bookbuild", subtype="tangle")
        return
    try:
        changed = tangle.write(root)
    except tangle.TangleError as err:
        logger.warning(str(err), type="bookbuild", subtype="tangle")
        return
    for path in changed:
        logger.info(f"tangled {path.relative_to(root)}")


def on_builder_inited(app) -> None:
    check_toc(app)
    tangle_package(app)


def stamp_inputs(app, docname: str, source: list[str]) -> None:
    """Make a chapter's cache key and Sphinx's dependencies include the package code it imports."""
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md" or "```{code-cell}" not in source[0]:
        return
    root = root_of(app)
    files, digest = tangle.inputs_digest(path, root)
    if not files:
        return
    for file in files:
        app.env.note_dependency(str(file))
    names = " ".join(f.name for f in files)
    source[0] += INPUTS_CELL.format(files=names, digest=digest)


def offer_notebook(app, pagename, templatename, context, doctree) -> None:
    """Let readers download a chapter as the notebook that ran, outputs included.

    The theme offers ``.ipynb`` only when a launch service is configured; the
    book runs offline, so it copies the executed notebook itself (without the
    build's hidden inputs cell).
    """
    import nbformat

    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if doctree is None or not executed.exists():
        return
    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if not c.source.startswith(INPUTS_MARK)]
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def failed_chapters(app) -> list[str]:
    """Docnames whose notebook execution did not succeed in this environment."""
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = []
    for docname in sorted(app.env.found_docs):
        data = NbMetadataCollector.get_exec_data(app.env, docname) if docname in app.env.all_docs else None
        if data and not data.get("succeeded", True):
            failed.append(docname)
    return failed


def on_build_finished(app, exception) -> None:
    if app.builder.format == "html":
        copy_mathjax(Path(app.outdir))
        for docname in failed_chapters(app):
            page = Path(app.outdir) / f"{docname}.html"
            page.unlink(missing_ok=True)
            logger.warning(
                f"{app.env.doc2path(docname, False)}: a cell failed (traceback above); "
                f"its page was not published. Fix the cell, or tag it raises-exception if the error is the point.",
                type="bookbuild", subtype="exec",
            )
    if exception is not None or app._warncount:
        # Forget what was read, so the next build reports these problems again
        # instead of reusing pages that were never right (executed outputs stay cached).
        (Path(app.doctreedir) / "environment.pickle").unlink(missing_ok=True)


def copy_mathjax(outdir: Path) -> None:
    import importlib.util

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


def setup(app):
    app.add_config_value("book_dir", "book", "env")
    app.connect("config-inited", make_strict)
    app.connect("builder-inited", on_builder_inited)
    app.connect("source-read", stamp_inputs)
    app.connect("html-page-context", offer_notebook, priority=400)  # before the theme's buttons
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
