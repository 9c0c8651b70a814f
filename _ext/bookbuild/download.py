"""Each chapter's executed notebook, outputs included, offered for download from its page.

- myst-nb renders a page from the cached outputs but, on a cache hit, writes
  ``_build/jupyter_execute/<chapter>.ipynb`` without them; the file is
  completed here from the same cache record (the tests read it too).
- The theme offers ``.ipynb`` only when a launch service is configured; the
  book runs offline, so the executed notebook is copied to ``_sources/``
  itself, made to run anywhere: with the page's cells only (no cell the page
  removes), without the build's machinery (the hidden cache-key cell,
  ``myst_nb`` imports, ``glue`` calls and their outputs), with
  each cell's printed text in one piece (as the page shows it), and with a
  first cell that installs what is missing: torch, matplotlib, any other
  pinned package the chapter imports (at its pin), and the scratchbook wheel
  of exactly this build (from a folder above the notebook,
  as in the built site, or from ``html_baseurl``). With everything present it
  prints nothing; when it cannot install, it stops with one sentence and the
  command to run by hand. Its code is ``setup_cell.py``, a template that ruff
  checks, filled with this build's values.

- Each chapter page gets an "Open in Colab" button for the same notebook, as
  published by the Pages workflow at the address ``book_colab_url`` names
  (``{notebook}`` is its path under ``_sources/``). Jupyter Book's own Colab
  button cannot serve ``.md`` chapters, so it stays off.

Events: ``doctree-read`` (complete the executed notebook), ``html-page-context``
(priority 400, before the theme draws its download button; priority 502,
after the theme's own buttons, for the Colab button).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

from bookbuild.preexecute import merge_streams
from bookbuild.wheel import FOLDER, wheel_name

SETUP_TEMPLATE = Path(__file__).with_name("setup_cell.py")  # Python that ruff checks, never imported
PLACEHOLDER = re.compile(r"@(\w+)@")


def setup_cell(version: str, site: str, needs) -> str:
    """The set-up cell's code: ``setup_cell.py`` without its docstring, its ``"@name@"`` strings filled.

    Each placeholder is a whole string literal in the template, replaced by the
    Python literal of its value (``json.dumps`` for a string), so no value can
    break out of its literal; a placeholder without a value, or a value without
    a placeholder, is an error.
    """
    values = {"version": version, "wheel": wheel_name(version), "site": site, "folder": FOLDER,
              "needs": [tuple(pair) for pair in needs]}
    text = SETUP_TEMPLATE.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    edits = []  # (line, first column, last column, replacement): columns in UTF-8 bytes, as ast gives them
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PLACEHOLDER.fullmatch(node.value):
            name = node.value.strip("@")
            if name not in values:
                raise ValueError(f"{SETUP_TEMPLATE.name}:{node.lineno}: no value for the placeholder {node.value!r}")
            value = values[name]
            literal = json.dumps(value) if isinstance(value, str) else repr(value)
            edits.append((node.lineno, node.col_offset, node.end_col_offset, literal, name))
    missing = set(values) - {name for *_, name in edits}
    if missing:
        raise ValueError(f"{SETUP_TEMPLATE.name} has no placeholder for {sorted(missing)}")
    for line, first, last, literal, _ in sorted(edits, reverse=True):
        raw = lines[line - 1].encode()
        lines[line - 1] = (raw[:first] + literal.encode() + raw[last:]).decode()
    body = lines[tree.body[0].end_lineno:]  # leave out the module docstring
    return "".join(body).lstrip("\n")




def executed_path(app, docname: str) -> Path:
    """The executed notebook myst-nb wrote for ``docname`` (into its configured output folder)."""
    return Path(app.env.mystnb_config.output_folder) / f"{docname}.ipynb"


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


def is_build_statement(node) -> bool:
    """``from myst_nb import ...`` or a ``glue(...)`` call: the build needs them, a reader does not."""
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "myst_nb":
        return True
    call = node.value if isinstance(node, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "glue"


def without_build_code(source: str) -> str:
    """The cell's source with its build statements removed, at any depth (unchanged if not plain Python).

    A block left with nothing but build statements keeps one ``pass``.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    edits = []  # (first line, last line, replacement lines)
    bodies = [tree.body] + [getattr(n, f) for n in ast.walk(tree) for f in ("body", "orelse", "finalbody")
                            if isinstance(getattr(n, f, None), list) and n is not tree]
    for body in bodies:
        build = [node for node in body if isinstance(node, ast.stmt) and is_build_statement(node)]
        for i, node in enumerate(build):
            keep = len(build) == len(body) and body is not tree.body and i == 0
            edits.append((node.lineno, node.end_lineno, [" " * node.col_offset + "pass"] if keep else []))
    for first, last, new in sorted(edits, reverse=True):
        lines[first - 1:last] = new
    return "\n".join(lines).strip("\n")


BASE_NEEDS = [("torch", "torch==2.13.0"), ("matplotlib", "matplotlib")]


def chapter_needs(nb, requirements: Path) -> list[tuple[str, str]]:
    """(module, pip requirement) for torch, matplotlib and each other pinned package the chapter imports."""
    from bookbuild.cachekey import pins

    pinned = {name.lower(): spec for name, spec in pins(requirements).items()}
    modules = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    needs = list(BASE_NEEDS)
    for module in sorted(modules - {"torch", "matplotlib", "scratchbook", "myst_nb"}):
        for dist in installed_distributions().get(module, []):
            if dist.lower() in pinned:
                needs.append((module, pinned[dist.lower()]))
    return needs


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions providing it (read once: it scans every one)."""
    import importlib.metadata

    return importlib.metadata.packages_distributions()


def runnable_notebook(nb, version: str, site: str, needs=BASE_NEEDS):
    """The executed notebook as a reader downloads it: the page's cells, no build machinery, a set-up cell first.

    A cell the page removes (``remove-cell``) is left out: the cache-key cell, and
    cells that compute only what the prose quotes; so the notebook's code is the page's code.
    """
    import nbformat

    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        if "remove-cell" in cell.metadata.get("tags", []):  # the cache-key cell is one too
            continue
        cell.source = without_build_code(cell.source)
        cell.outputs = merge_streams([o for o in cell.outputs if "scrapbook" not in o.get("metadata", {})])
        if cell.source.strip():
            cells.append(cell)
    setup = nbformat.v4.new_code_cell(setup_cell(version, site, needs))
    setup.metadata["tags"] = ["setup"]
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    nb.cells = [*cells[:first_code], setup, *cells[first_code:]]
    return nb


def site_downloads(app) -> str:
    base = (app.config.html_baseurl or "").rstrip("/")
    return f"{base}/{FOLDER}/" if base else ""


def offer_notebook(app, pagename, templatename, context, doctree) -> None:
    import nbformat

    executed = executed_path(app, pagename)
    if doctree is None or not executed.exists():
        return
    nb = nbformat.read(executed, as_version=4)
    needs = chapter_needs(nb, Path(app.srcdir) / app.config.book_requirements)
    nb = runnable_notebook(nb, app.config.scratchbook_version, site_downloads(app), needs)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    context["ipynb_source"] = f"{pagename}.ipynb"
    context["bookbuild_notebook"] = f"{pagename}.ipynb"


def colab_button(app, pagename, templatename, context, doctree) -> None:
    from sphinx.locale import _  # the interface's catalog: locales/<language>/LC_MESSAGES/sphinx.po

    notebook = context.get("bookbuild_notebook")
    if not notebook or not app.config.book_colab_url or "header_buttons" not in context:
        return
    # a menu like the theme's own launch buttons: its image icons are sized for a menu, not the bar
    context["header_buttons"].append({
        "type": "group", "tooltip": str(_("Run this chapter")), "icon": "fas fa-rocket", "label": "launch-buttons",
        "buttons": [{
            "type": "link", "text": "Colab", "label": "colab-button",
            "tooltip": str(_("Open this chapter's notebook in Colab")),
            "icon": "_static/images/logo_colab.png",
            "url": app.config.book_colab_url.format(notebook=notebook),
        }],
    })


def setup(app) -> None:
    app.connect("doctree-read", complete_executed_notebook)
    app.add_config_value("book_colab_url", "", "html")
    app.connect("html-page-context", offer_notebook, priority=400)
    app.connect("html-page-context", colab_button, priority=502)
