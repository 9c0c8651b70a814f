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
import re
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
    # Follow the reader's light/dark preference (unset, the theme logs an error on a first visit).
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}


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
    prefill_cache(app)


def inputs_cell(path: Path, root: Path) -> tuple[list[Path], str]:
    """The package files a chapter imports, and the hidden cell that puts their hash in its cache key."""
    files, digest = tangle.inputs_digest(path, root)
    if not files:
        return [], ""
    return files, INPUTS_CELL.format(files=" ".join(f.name for f in files), digest=digest)


def stamp_inputs(app, docname: str, source: list[str]) -> None:
    """Make a chapter's cache key and Sphinx's dependencies include the package code it imports."""
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md" or "```{code-cell}" not in source[0]:
        return
    files, cell = inputs_cell(path, root_of(app))
    for file in files:
        app.env.note_dependency(str(file))
    source[0] += cell


def open_cache(app):
    """The jupyter-cache myst-nb uses; a damaged one is reported in one line and started afresh."""
    from jupyter_cache import get_cache

    path = Path(app.env.mystnb_config.execution_cache_path)
    try:
        cache = get_cache(path)
        cache.list_cache_records()
        return cache
    except Exception as err:  # sqlite reports damage in several ways
        logger.info(f"execution cache {path} is damaged ({type(err).__name__}: {err}); starting a new one")
        shutil.rmtree(path, ignore_errors=True)
        return get_cache(path)


def _execute(rel: str, source: str, cwd: str, timeout: int, allow_errors: bool):
    """Run one notebook in a worker process; return it executed, its run time and any traceback."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    print(f"{rel}: Executing notebook in worker {os.getpid()}", flush=True)

    nb = nbformat.reads(source, as_version=4)
    result = single_nb_execution(nb, cwd=cwd, timeout=timeout, allow_errors=allow_errors)
    return nbformat.writes(nb), result.time, result.exc_string


def prefill_cache(app) -> None:
    """Execute, in parallel, every chapter the cache has no outputs for.

    myst-nb executes chapters one at a time while Sphinx reads them; running
    the missing ones first, one per core (``BOOK_WORKERS`` to change it), fills
    the cache so that reading them costs nothing. A chapter that fails here is not cached: myst-nb runs it
    again while reading and reports the error in context.
    """
    config = app.env.mystnb_config
    if config.execution_mode != "cache" or app.builder.format != "html":
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    import nbformat
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import create_nb_reader

    root = root_of(app)
    cache = open_cache(app)
    todo = []
    for path in tangle.toc_files(root):
        if path.suffix != ".md" or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if "```{code-cell}" not in text:
            continue
        text += inputs_cell(path, root)[1]
        reader = create_nb_reader(str(path), app.env.myst_config, config, text)
        if reader is None:
            continue
        nb = reader.read(text)
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append((path, nb))
    workers = min(len(todo), int(os.environ.get("BOOK_WORKERS", os.cpu_count() or 1)))
    if workers < 2:
        return  # nothing to gain: myst-nb runs it while reading
    logger.info(f"executing {len(todo)} chapters, {workers} at a time")
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        futures = {}
        for path, nb in todo:
            rel = path.relative_to(root).as_posix()
            futures[pool.submit(_execute, rel, nbformat.writes(nb), str(path.parent),
                                config.execution_timeout, config.execution_allow_errors)] = path
        for done, future in enumerate(as_completed(futures), 1):
            path = futures[future]
            rel = path.relative_to(root)
            source, seconds, error = future.result()
            if error:
                logger.info(f"[{done}/{len(todo)}] {rel}: failed; it is run again while reading, to report it")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(source, as_version=4), str(path),
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            logger.info(f"[{done}/{len(todo)}] {rel}: Executed notebook in {seconds:.2f} seconds")


def complete_executed_notebook(app, doctree) -> None:
    """Put the cached outputs into ``_build/jupyter_execute/<chapter>.ipynb``.

    myst-nb renders a page from the cached outputs but, on a cache hit, writes
    the notebook file without them; the download button and the tests read
    that file, so it is completed from the same cache record here.
    """
    import nbformat

    config = getattr(app.env, "mystnb_config", None)
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
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


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    """Leave out the live-code (thebe) scripts: the book runs offline, with thebe off.

    sphinx-thebe writes its inline configuration, with a CDN address, twice on
    every page, which the browser reports as an error.
    """
    def wanted(asset) -> bool:
        body = getattr(asset, "attributes", {}).get("body", "") or ""
        return "thebe" not in str(getattr(asset, "filename", asset) or "").lower() and "THEBE" not in body

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if wanted(a)]


def link_api_mentions(app, doctree, docname: str) -> None:
    """Link inline mentions of scratchbook's functions (`sgd`, `sgd(params, lr, batch_size)`) to the API reference."""
    api = "book/appendix/api"
    if api not in app.env.all_docs or docname == api or app.builder.format != "html":
        return
    from docutils import nodes

    targets = api_targets(app)
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, nodes.reference):
            continue
        name = literal.astext().split("(")[0].removeprefix("scratchbook.")
        if name in targets and (literal.astext() == name or literal.astext().startswith(name + "(")):
            uri = app.builder.get_relative_uri(docname, api) + "#" + targets[name]
            ref = nodes.reference("", "", internal=True, refuri=uri, reftitle=f"scratchbook.{targets[name]}")
            literal.replace_self(ref)
            ref.append(literal)


def api_targets(app) -> dict[str, str]:
    """Public function name -> its anchor on the API page (``scratchbook.model.sgd``)."""
    if not hasattr(app, "_api_targets"):
        import ast

        targets = {}
        for path in sorted((root_of(app) / "src" / tangle.PACKAGE).glob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    targets[node.name] = f"{tangle.PACKAGE}.{path.stem}.{node.name}"
        app._api_targets = targets
    return app._api_targets


DEFINED_IN = re.compile(r'Defined in chapter "(?P<title>.+)" \((?P<path>book/\S+)\.md\)\.')


def link_defined_in(app, what, name, obj, options, lines: list[str]) -> None:
    """Turn a docstring's 'Defined in chapter "..." (book/x.md).' into a link to that chapter."""
    for i, line in enumerate(lines):
        match = DEFINED_IN.search(line)
        if match:
            title = match["title"].replace("`", "")
            lines[i] = line[:match.start()] + f"Defined in chapter :doc:`{title} </{match['path']}>`."


def prune_static(outdir: Path) -> None:
    """Remove what no page loads: source maps, the dropped thebe assets, TrueType fonts with a woff2 twin."""
    static = outdir / "_static"
    for path in [*static.rglob("*.map"), *static.glob("sphinx-thebe.*")]:
        path.unlink()
    for path in static.rglob("*.ttf"):
        if path.with_suffix(".woff2").exists():
            path.unlink()


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
        prune_static(Path(app.outdir))
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


# Every kernel computes the same digits on every run: one thread (the book's
# tensors are small, and a thread count picked by the machine's load changes
# the last digits of sums), and MKL's reproducible mode (without it, LAPACK
# calls such as lstsq differ in the sixth digit from one process to the next).
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_CBWR": "AUTO,STRICT"}


def setup(app):
    for key, value in KERNEL_ENV.items():
        os.environ.setdefault(key, value)  # inherited by every kernel the build starts
    app.add_config_value("book_dir", "book", "env")
    app.connect("config-inited", make_strict)
    app.connect("builder-inited", on_builder_inited, priority=900)  # after myst-nb's set-up
    app.connect("source-read", stamp_inputs)
    app.connect("doctree-read", complete_executed_notebook)
    app.connect("html-page-context", offer_notebook, priority=400)  # before the theme's buttons
    app.connect("html-page-context", drop_thebe)
    app.connect("doctree-resolved", link_api_mentions)
    if "autodoc-process-docstring" in app.events.events:  # only when the API page is built
        app.connect("autodoc-process-docstring", link_defined_in)
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
