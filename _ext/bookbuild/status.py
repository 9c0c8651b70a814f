"""The Build status page lists, for each chapter, the scratchbook version it executed with.

The hidden cache-key cell of a chapter that uses the package ends with an
expression whose output is ``scratchbook.__version__`` in the kernel that ran
it (``cachekey.RECORD_VERSION``). When a chapter is read, that output is kept
in the environment; the directive ``{chapter-package-versions}`` becomes a
table of them (the chapters that do not use the package say so).

Events: ``doctree-read`` (keep the version), ``env-purge-doc`` and
``env-merge-info`` (keep the record right across rebuilds and parallel reads),
``doctree-resolved`` (write the table).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from bookbuild.cachekey import MARK, RECORD_VERSION
from bookbuild.download import executed_path

NOT_USED = "not used"


class versions_table(nodes.General, nodes.Element):
    """Placeholder for the table, filled in once every chapter has been read."""


class ChapterPackageVersions(SphinxDirective):
    def run(self):
        return [versions_table()]


def record_version(app, doctree) -> None:
    import nbformat

    executed = executed_path(app, app.env.docname)
    versions = app.env.__dict__.setdefault("bookbuild_versions", {})
    versions.pop(app.env.docname, None)
    if not executed.exists():
        return
    for cell in nbformat.read(executed, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith(MARK):
            found = NOT_USED
            if RECORD_VERSION in cell.source:
                results = [o for o in cell.get("outputs", []) if o.output_type == "execute_result"]
                found = results[0]["data"]["text/plain"].strip("'\"") if results else "unknown"
            versions[app.env.docname] = found


def purge(app, env, docname) -> None:
    getattr(env, "bookbuild_versions", {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault("bookbuild_versions", {})
    for docname in docnames:
        if docname in getattr(other, "bookbuild_versions", {}):
            mine[docname] = other.bookbuild_versions[docname]


def write_table(app, doctree, docname) -> None:
    placeholders = list(doctree.findall(versions_table))
    if not placeholders:
        return
    from booktools.toc import toc_docnames

    versions = getattr(app.env, "bookbuild_versions", {})
    table = nodes.table(classes=["bookbuild-versions"])
    group = nodes.tgroup(cols=2)
    table += group
    group += [nodes.colspec(colwidth=3), nodes.colspec(colwidth=2)]
    head, body = nodes.thead(), nodes.tbody()
    group += [head, body]
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=t)) for t in ("Chapter", "scratchbook")))
    for name in toc_docnames(Path(app.srcdir)):
        if name not in versions:
            continue
        title = app.env.titles[name].astext() if name in app.env.titles else name
        link = nodes.reference("", title, internal=True, refuri=app.builder.get_relative_uri(docname, name))
        version = versions[name]
        shown = nodes.Text(version) if version == NOT_USED else nodes.literal(text=version)
        body += nodes.row("", nodes.entry("", nodes.paragraph("", "", link)),
                          nodes.entry("", nodes.paragraph("", "", shown)))
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def setup(app) -> None:
    app.add_node(versions_table)
    app.add_directive("chapter-package-versions", ChapterPackageVersions)
    app.connect("doctree-read", record_version)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("doctree-resolved", write_table)
