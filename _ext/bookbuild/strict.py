"""Any warning fails the build, after every warning has been reported; no stale page survives a failure.

- Every warning Sphinx or an extension logs (through Python's ``logging``, on
  Sphinx's ``sphinx`` logger) is recorded, except those ``suppress_warnings``
  silences; at the end, a build with any warning raises :class:`BuildFailed`,
  so the command exits non-zero whatever its command-line flags were.
- Every Markdown file under ``book/`` must be listed in ``_toc.yml``.
- A chapter whose execution failed is not published (its page is deleted).
- One failure channel: every later step (the wheel, the translations, XeLaTeX)
  reports a problem as a warning of type ``bookbuild``, never by raising, and
  asks :func:`passed` before doing work that only a sound build deserves. The
  verdict comes last: the build's record of itself (warnings, failed chapters)
  is written to ``<output>/../bookbuild-<builder>.json`` for the tests and the
  status page, and a build with any warning raises :class:`BuildFailed`. Sphinx
  then deletes its pickled environment, so the next build reads every page
  again and reports the same problems (outputs stay cached: no execution).

Events: ``builder-inited`` (the toc rule), ``build-finished`` (priority 900:
unpublish failed chapters; priority 999, after every other step: record, fail).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import sphinx
from sphinx.errors import SphinxError
from sphinx.util import logging as sphinx_logging

from booktools.toc import toc_files

logger = sphinx_logging.getLogger(__name__)


class BuildFailed(SphinxError):
    category = "The book's build failed"


class WarningRecorder(logging.Handler):
    """Remember every warning (or worse) logged during the build, once each."""

    def __init__(self, app):
        super().__init__(level=logging.WARNING)
        self.app = app
        self.messages: list[str] = []

    def suppressed(self, record) -> bool:
        kind, subtype = getattr(record, "type", None), getattr(record, "subtype", None)
        if kind is None:
            return False
        for pattern in getattr(self.app.config, "suppress_warnings", None) or []:
            target, _, sub = pattern.partition(".")
            if target == kind and sub in ("", "*", subtype):
                return True
        return False

    def where(self, location) -> str:
        """A warning's location as ``file:line`` (Sphinx passes a string, a (docname, line) pair or a node)."""
        if isinstance(location, str):
            return location
        if isinstance(location, tuple) and location and location[0] and self.app.env is not None:
            path = self.app.env.doc2path(location[0], False)
            return f"{path}:{location[1]}" if len(location) > 1 and location[1] else str(path)
        if location is not None and hasattr(location, "source"):
            return sphinx_logging.get_node_location(location) or ""
        return ""

    def emit(self, record) -> None:
        if getattr(record, "skip_warningsiserror", False) or self.suppressed(record):
            return
        where = self.where(getattr(record, "location", None))
        text = record.getMessage().removeprefix("WARNING: ")
        message = f"{where}: {text}" if where else text
        if message not in self.messages:
            self.messages.append(message)


def check_toc(app) -> None:
    """Report every Markdown file under book/ that _toc.yml does not list."""
    root = Path(app.srcdir)
    listed = {p.resolve() for p in toc_files(root)}
    for path in sorted((root / app.config.book_dir).rglob("*.md")):
        rel = path.relative_to(root)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue  # templates, static files, checkpoints
        if path.resolve() not in listed:
            logger.warning(f"{rel} is not listed in _toc.yml, so it would not be built. "
                           f"Add it to _toc.yml (or delete it).", type="bookbuild", subtype="toc")


def failed_chapters(app) -> list[str]:
    """Docnames whose notebook execution did not succeed in this build."""
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = []
    for docname in sorted(app.env.all_docs):
        data = NbMetadataCollector.get_exec_data(app.env, docname)
        if data and not data.get("succeeded", True):
            failed.append(docname)
    return failed


def passed(app) -> bool:
    """True while nothing has been reported: the later steps build on a sound book only."""
    return not app.bookbuild_warnings.messages


def unpublish(app, exception) -> None:
    """Delete the page of every chapter whose execution failed, and report it."""
    if exception is not None or app.env is None:
        return
    for docname in failed_chapters(app):
        if app.builder.format == "html":
            (Path(app.outdir) / f"{docname}.html").unlink(missing_ok=True)
        logger.warning(f"{app.env.doc2path(docname, False)}: a cell failed (traceback above); its page was "
                       "not published. Fix the cell, or tag it raises-exception if the error is the point.",
                       type="bookbuild", subtype="exec")


def verdict(app, exception) -> None:
    """Write the build's record, then fail if anything was reported (the last build-finished step)."""
    if isinstance(exception, BuildFailed):
        return  # Sphinx calls the handlers again with the failure this handler raised
    recorder = app.bookbuild_warnings
    logging.getLogger(sphinx_logging.NAMESPACE).removeHandler(recorder)
    ok = exception is None and not recorder.messages
    failed = failed_chapters(app) if app.env is not None else []
    record = {"builder": app.builder.name, "sphinx": sphinx.__display_version__, "succeeded": ok,
              "warnings": recorder.messages, "failed_chapters": failed,
              "exception": None if exception is None else f"{type(exception).__name__}: {exception}"}
    Path(app.outdir).parent.joinpath(f"bookbuild-{app.builder.name}.json").write_text(json.dumps(record, indent=1))
    if exception is None and not ok:
        raise BuildFailed(f"{len(recorder.messages)} warning(s), listed above; the book's build fails on "
                          "any warning. Fix each one (the file is named at the start of its line).")


def setup(app) -> None:
    app.add_config_value("book_dir", "book", "env")
    app.bookbuild_warnings = WarningRecorder(app)
    logging.getLogger(sphinx_logging.NAMESPACE).addHandler(app.bookbuild_warnings)
    app.connect("builder-inited", check_toc)
    app.connect("build-finished", unpublish, priority=900)
    app.connect("build-finished", verdict, priority=999)
