"""Any warning fails the build, after every warning has been reported; no stale page survives a failure.

- Every warning Sphinx or an extension logs (through Python's ``logging``, on
  Sphinx's ``sphinx`` logger) is recorded, except those ``suppress_warnings``
  silences; at the end, a build with any warning raises :class:`BuildFailed`,
  so the command exits non-zero whatever its command-line flags were.
- Every Markdown file under ``book/`` must be listed in ``_toc.yml``.
- A chapter whose execution failed is not published (its page is deleted).
- After a failed build every document is read again, so an unchanged rebuild
  reports the same problems instead of reusing pages that were never right
  (executed outputs stay cached, so this costs no execution).
- The build's own record of itself (warnings, failed chapters) is written to
  ``<output>/../bookbuild-<builder>.json`` for the tests and the status page.

Events: ``builder-inited`` (the toc rule), ``env-get-outdated`` (re-read after
a failure), ``build-finished`` (priority 900, last: unpublish, record, fail).
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
FAILED_MARK = "bookbuild-failed"  # in the doctree folder while the last build has failed


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


def reread_after_failure(app, env, added, changed, removed) -> list[str]:
    """Read every document again when the previous build failed."""
    if (Path(app.doctreedir) / FAILED_MARK).exists():
        logger.info("the previous build failed: reading every page again")
        return sorted(env.found_docs - added - changed - removed)
    return []


def failed_chapters(app) -> list[str]:
    """Docnames whose notebook execution did not succeed in this build."""
    from myst_nb.sphinx_ import NbMetadataCollector

    failed = []
    for docname in sorted(app.env.all_docs):
        data = NbMetadataCollector.get_exec_data(app.env, docname)
        if data and not data.get("succeeded", True):
            failed.append(docname)
    return failed


def finish(app, exception) -> None:
    """Unpublish failed chapters, write the build's record, and fail if anything was reported."""
    if isinstance(exception, BuildFailed):
        return  # Sphinx calls the handlers again with the failure this handler raised
    recorder = app.bookbuild_warnings
    failed = failed_chapters(app) if app.env is not None else []
    for docname in failed:
        if app.builder.format == "html":
            (Path(app.outdir) / f"{docname}.html").unlink(missing_ok=True)
        logger.warning(f"{app.env.doc2path(docname, False)}: a cell failed (traceback above); its page was "
                       "not published. Fix the cell, or tag it raises-exception if the error is the point.",
                       type="bookbuild", subtype="exec")
    logging.getLogger(sphinx_logging.NAMESPACE).removeHandler(recorder)
    ok = exception is None and not recorder.messages
    record = {"builder": app.builder.name, "sphinx": sphinx.__display_version__, "succeeded": ok,
              "warnings": recorder.messages, "failed_chapters": failed,
              "exception": None if exception is None else f"{type(exception).__name__}: {exception}"}
    Path(app.outdir).parent.joinpath(f"bookbuild-{app.builder.name}.json").write_text(json.dumps(record, indent=1))
    mark = Path(app.doctreedir) / FAILED_MARK
    if ok:
        mark.unlink(missing_ok=True)
        return
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()
    if exception is None:
        raise BuildFailed(f"{len(recorder.messages)} warning(s), listed above; the book's build fails on "
                          "any warning. Fix each one (the file is named at the start of its line).")


def setup(app) -> None:
    app.add_config_value("book_dir", "book", "env")
    app.bookbuild_warnings = WarningRecorder(app)
    logging.getLogger(sphinx_logging.NAMESPACE).addHandler(app.bookbuild_warnings)
    app.connect("builder-inited", check_toc)
    app.connect("env-get-outdated", reread_after_failure)
    app.connect("build-finished", finish, priority=900)
