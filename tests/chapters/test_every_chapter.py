"""Rules every chapter follows, read from the chapters' sources as the build reads them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from booktest import ROOT, chapter_docnames
from booktools.chapters import read_chapter

CHAPTERS = chapter_docnames()


def calls_glue(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "glue(" in source
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "glue"
               for n in ast.walk(tree))


@pytest.mark.parametrize("docname", CHAPTERS)
def test_glue_calls_sit_in_hidden_cells_so_a_reader_sees_only_the_computation(docname):
    nb = read_chapter(Path(ROOT / f"{docname}.md"))
    shown = [c.source.splitlines()[0] for c in nb.cells
             if c.cell_type == "code" and calls_glue(c.source) and "remove-cell" not in c.metadata.get("tags", [])]
    assert shown == [], f"cells that show a glue call (move it to a cell tagged remove-cell): {shown}"


# Every chapter's visible code is a program a reader can copy: no build tool imported,
# no name that only a removed cell defines (tests/site/test_downloads.py runs it, and
# tests/site/test_page_code.py shows that what it runs is the page's code).
SELF_CONTAINED = CHAPTERS


def bound_names(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def loaded_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@pytest.mark.parametrize("docname", SELF_CONTAINED)
def test_visible_code_imports_no_build_tool_and_uses_no_name_only_a_removed_cell_defines(docname):
    nb = read_chapter(Path(ROOT / f"{docname}.md"))
    visible_bound, hidden_only, problems = set(), set(), []
    for c in nb.cells:
        if c.cell_type != "code" or c.source.startswith("#@save"):
            continue
        source = "\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith("%"))
        if "remove-cell" in c.metadata.get("tags", []):
            hidden_only |= bound_names(source) - visible_bound
            continue
        if "myst_nb" in source:
            problems.append(f"imports myst_nb: {c.source.splitlines()[0]}")
        own = bound_names(source)  # a name the cell binds itself (a loop variable, say) is its own
        problems += [f"uses {name}, defined only in a removed cell"
                     for name in sorted((loaded_names(source) - own) & hidden_only)]
        visible_bound |= own
        hidden_only -= visible_bound
    assert problems == []


def test_every_glossary_term_has_a_meaning_and_the_chapter_that_introduces_it():
    page = (ROOT / "book" / "appendix" / "glossary.md").read_text(encoding="utf-8")
    table = page[page.index("```{list-table}"):]
    table = table[:table.index("\n```\n")]
    rows = table.split("\n* - ")[1:]
    cells = [row.split("\n  - ") for row in rows]
    assert cells[0] == ["English", "中文", "Meaning in this book", "Introduced in"]
    for row in cells[1:]:
        assert len(row) == 4 and len(row[2]) > 20 and row[3].startswith("{ref}`"), row
    english = {row[0] for row in cells[1:]}
    for term in ["hyperparameter", "condition number", "Gram matrix", "Hessian", "stability bound",
                 "coefficient of determination ($R^2$)", "leakage", "overfitting", "standardization",
                 "rendezvous", "backend", "world size", "rank of a matrix", "rank of a process", "ulp",
                 "ridge regression", "learning-rate schedule", "singular value"]:
        assert term in english, term
