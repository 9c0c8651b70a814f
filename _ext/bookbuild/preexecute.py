"""Chapters missing from the execution cache run in parallel before Sphinx reads them.

myst-nb executes chapters one at a time while Sphinx reads them. This module
runs the chapters the cache has no outputs for first, one per available core
(``BOOK_WORKERS`` overrides), in freshly spawned worker processes, and stores
their outputs in myst-nb's jupyter-cache, so reading them costs nothing.

Before storing, each cell's printed text is merged into one output per stream
(``merge_streams``). The kernel sends printed text in chunks cut wherever its
flush timer fires, which can be in the middle of a line; myst-nb's own merge
(``nb_merge_streams``) strips each chunk and ends it with a newline, so a cut
line would be printed broken on one build and whole on the next. Merged here,
the cache holds the text exactly as printed and myst-nb's merge has nothing
left to cut. It
applies the same settings myst-nb would: the execution mode, timeout and
``allow_errors`` of the book, overridden by a chapter's own ``mystnb:``
front matter, and ``execution_excludepatterns``. A chapter that fails here is
not cached: myst-nb runs it again while reading and reports the error there.

A cache that is damaged (not a database, or a malformed one) is reported in
one line and started afresh; any other error (a database locked by a second
build, say) stops the build instead of deleting a cache in use.

Events: ``builder-inited`` (priority 900: after myst-nb's set-up, the tangle and the cache key).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path, PurePosixPath

from sphinx.util import logging

from bookbuild.cachekey import has_code, key_cell
from booktools.toc import toc_files

logger = logging.getLogger(__name__)


def available_cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def is_damaged(err: BaseException) -> bool:
    """True when sqlite says the file is not a (sound) database; a locked database is not damage."""
    while err is not None:
        if isinstance(err, sqlite3.DatabaseError) and not isinstance(err, sqlite3.OperationalError):
            return True
        err = getattr(err, "orig", None) or err.__cause__ or err.__context__
    return False


def open_cache(path: Path):
    """The jupyter-cache myst-nb uses; a damaged one is reported in one line and started afresh."""
    from jupyter_cache import get_cache

    try:
        cache = get_cache(path)
        cache.list_cache_records()
        return cache
    except Exception as err:
        if not is_damaged(err):
            raise
        logger.info(f"execution cache {path} is damaged ({type(err).__name__}: {err}); starting a new one")
        shutil.rmtree(path, ignore_errors=True)
        return get_cache(path)


def chapter_config(app, path: Path, notebook):
    """myst-nb's configuration for this chapter: the book's, updated by the chapter's ``mystnb:`` metadata."""
    config = app.env.mystnb_config
    overrides = dict(notebook.metadata.get(config.metadata_key, {}) or {})
    overrides.pop("output_folder", None)
    return config.copy(**overrides) if overrides else config


def is_excluded(path: Path, config) -> bool:
    posix = PurePosixPath(path.as_posix())
    return any(posix.match(pattern) for pattern in config.execution_excludepatterns or [])


def merge_streams(outputs: list) -> list:
    """One output per stream name, holding every chunk's text joined exactly as printed.

    Each merged stream sits where its first chunk was; other outputs keep their order.
    """
    merged, first = [], {}
    for output in outputs:
        if output.get("output_type") != "stream":
            merged.append(output)
        elif output["name"] in first:
            first[output["name"]]["text"] += output["text"]
        else:
            first[output["name"]] = output
            merged.append(output)
    return merged


def execute(rel: str, source: str, cwd: str, timeout: int, allow_errors: bool):
    """Run one notebook in a worker process; return it executed, its run time and any traceback."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    print(f"{rel}: Executing notebook in worker {os.getpid()}", flush=True)
    nb = nbformat.reads(source, as_version=4)
    result = single_nb_execution(nb, cwd=cwd, timeout=timeout, allow_errors=allow_errors, meta_override=True)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    return nbformat.writes(nb), result.time, result.exc_string


def missing_chapters(app, cache) -> list[tuple[Path, object, object]]:
    """(path, notebook as myst-nb reads it, its configuration) of each chapter the cache cannot serve."""
    from myst_nb.core.read import create_nb_reader

    root = Path(app.srcdir)
    todo = []
    for path in toc_files(root):
        if path.suffix != ".md" or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if not has_code(text):
            continue
        text += key_cell(app, path)[1]
        reader = create_nb_reader(str(path), app.env.myst_config, app.env.mystnb_config, text)
        if reader is None:
            continue
        notebook = reader.read(text)
        config = chapter_config(app, path, notebook)
        if config.execution_mode != "cache" or config.execution_in_temp or is_excluded(path, config):
            continue  # myst-nb handles these itself, as configured
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append((path, notebook, config))
    return todo


def prefill_cache(app) -> None:
    """Execute, in parallel, every chapter the cache has no outputs for."""
    if app.env.mystnb_config.execution_mode != "cache" or app.builder.format != "html":
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    import nbformat
    from jupyter_cache.base import CacheBundleIn

    root = Path(app.srcdir)
    cache = open_cache(Path(app.env.mystnb_config.execution_cache_path))
    todo = missing_chapters(app, cache)
    workers = max(1, min(len(todo), int(os.environ.get("BOOK_WORKERS", available_cores()))))
    if not todo:
        return
    logger.info(f"executing {len(todo)} chapters, {workers} at a time")
    # spawn: the same on Linux, macOS and Windows, and no copy of the build's state
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {}
        for path, notebook, config in todo:
            rel = path.relative_to(root).as_posix()
            futures[pool.submit(execute, rel, nbformat.writes(notebook), str(path.parent),
                                config.execution_timeout, config.execution_allow_errors)] = path
        for done, future in enumerate(as_completed(futures), 1):
            path = futures[future]
            rel = path.relative_to(root)
            source, seconds, error = future.result()
            if error:
                logger.info(f"[{done}/{len(todo)}] {rel}: failed; it is run again while reading, to report it")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(source, as_version=4), str(path), data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            logger.info(f"[{done}/{len(todo)}] {rel}: Executed notebook in {seconds:.2f} seconds")


def setup(app) -> None:
    app.connect("builder-inited", prefill_cache, priority=900)
