"""A chapter's cells, read exactly as the build reads them (myst-nb's MyST notebook reader)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

# The block-level syntax Jupyter Book enables; it decides which fences are top-level cells.
MYST = MdParserConfig(enable_extensions={"colon_fence", "dollarmath"})


def read_chapter(path: Path, text: str | None = None) -> nbformat.NotebookNode:
    """The chapter as a notebook; ``metadata.source_map`` holds the line each cell starts on."""
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    return read_myst_markdown_notebook(text, MYST, add_source_map=True, path=path)


def code_sources(path: Path) -> list[str]:
    """The source of every code cell of a chapter."""
    return [c.source for c in read_chapter(path).cells if c.cell_type == "code"]


def code_cell_lines(path: Path) -> list[tuple[str, int]]:
    """Each code cell's source and the line of the chapter its first source line is on (1-based)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    notebook = read_chapter(path, text)
    found = []
    for cell, fence_line in zip(notebook.cells, notebook.metadata["source_map"], strict=True):
        if cell.cell_type != "code":
            continue
        body = cell.source.splitlines()
        start = fence_line  # index of the line after the fence
        # options (`:tags:` lines or a --- block) and blank lines come before the body
        while body and start < len(lines) and lines[start:start + len(body)] != body:
            start += 1
        found.append((cell.source, start + 1))
    return found
