"""Mentions of the package's functions link to the API reference, as Sphinx cross-references.

An inline literal that names a public function of ``scratchbook`` (`` `sgd` ``
or `` `sgd(params, lr, batch_size)` ``) becomes a ``py:func`` cross-reference
to ``scratchbook.<module>.<name>``; Sphinx resolves it like any other, and
``nitpicky`` reports it if the API page stops documenting that name. In the
API reference, a docstring's 'Defined in chapter "..." (book/x.md).' becomes
a link to that chapter.

Events: ``doctree-read`` (mark the mentions), ``autodoc-process-docstring`` (chapter links).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

from booktools.imports import PACKAGE

API_PAGE = "book/appendix/api"
DEFINED_IN = re.compile(r'Defined in chapter "(?P<title>.+)" \((?P<path>book/\S+)\.md\)\.')


def api_targets(srcdir: Path) -> dict[str, str]:
    """Public function name -> its full name (``sgd`` -> ``scratchbook.model.sgd``)."""
    targets = {}
    for path in sorted((Path(srcdir) / "src" / PACKAGE).glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                targets.setdefault(node.name, f"{PACKAGE}.{path.stem}.{node.name}")
    return targets


def mark_api_mentions(app, doctree) -> None:
    docname = app.env.docname
    if API_PAGE not in app.env.found_docs or docname == API_PAGE:
        return
    targets = api_targets(app.srcdir)
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
            continue
        text = literal.astext()
        name = text.split("(")[0].removeprefix(f"{PACKAGE}.")
        if name in targets and (text == name or text.startswith(name + "(")):
            xref = addnodes.pending_xref("", refdomain="py", reftype="func", reftarget=targets[name],
                                         refexplicit=True, refwarn=True, refdoc=docname)
            literal.replace_self(xref)
            xref.append(literal)


def link_defined_in(app, what, name, obj, options, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        match = DEFINED_IN.search(line)
        if match:
            title = match["title"].replace("`", "")
            lines[i] = line[:match.start()] + f"Defined in chapter :doc:`{title} </{match['path']}>`."


def setup(app) -> None:
    app.setup_extension("sphinx.ext.autodoc")  # provides autodoc-process-docstring
    app.connect("doctree-read", mark_api_mentions)
    app.connect("autodoc-process-docstring", link_defined_in)
