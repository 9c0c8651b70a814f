"""A reference to an exercise or solution of another chapter is a build warning.

sphinx-exercise resolves ``{ref}`` to an exercise's label on the site, but in
the LaTeX build only within the exercise's own document: a reference from
another chapter is left undefined in the PDF (a "??" where the number should
be). The book refers to another chapter's exercise through that chapter
instead ("an exercise of the {ref}`concise chapter <further-concise>`"), and
this module holds the rule at the build, naming the line, so that neither
edition's PDF shows a broken reference.

Events: ``doctree-read`` (collect each page's references), ``env-purge-doc`` and
``env-merge-info`` (keep them per page), ``env-check-consistency`` (every page is
read and sphinx-exercise knows every label: warn).
"""

from __future__ import annotations

from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)
ROLES = {"ref", "numref"}


def collect(app, doctree) -> None:
    found = []
    for node in doctree.findall(addnodes.pending_xref):
        if node.get("refdomain") == "std" and node.get("reftype") in ROLES:
            found.append((node["reftarget"], node.line or 0))
    refs = app.env.__dict__.setdefault("bookbuild_refs", {})
    refs[app.env.docname] = found


def purge(app, env, docname) -> None:
    env.__dict__.get("bookbuild_refs", {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    refs = env.__dict__.setdefault("bookbuild_refs", {})
    for docname in docnames:
        if docname in other.__dict__.get("bookbuild_refs", {}):
            refs[docname] = other.bookbuild_refs[docname]


def check(app, env) -> None:
    registry = getattr(env, "sphinx_exercise_registry", {})
    for docname, found in sorted(env.__dict__.get("bookbuild_refs", {}).items()):
        for target, line in found:
            entry = registry.get(target)
            if entry and entry["docname"] != docname:
                logger.warning(f"a reference to {entry['type']} {target!r} of {entry['docname']}: the PDF cannot "
                               "resolve it outside that chapter. Refer to the chapter instead (an exercise of the "
                               f"{{ref}}`... chapter <label>`).", location=(docname, line),
                               type="bookbuild", subtype="exercise-ref")


def setup(app) -> None:
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check)
