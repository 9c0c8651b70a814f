"""Shared fixtures: one strict build of the whole book per test session.

Set BOOK_BUILD to an existing build folder (the one holding html/ and
jupyter_execute/, e.g. ``_build``) to test that build instead of making a new
one; by default the book is built from scratch into a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tests"))

from bookbuild import KERNEL_ENV  # noqa: E402

# Kernels the tests start (downloaded notebooks) compute as the build's kernels do.
for _key, _value in KERNEL_ENV.items():
    os.environ.setdefault(_key, _value)


@dataclass
class BookBuild:
    """Where a build put its pages and executed notebooks, and what it printed."""

    build: Path
    returncode: int
    log: str

    @property
    def html(self) -> Path:
        return self.build / "html"

    def notebook(self, docname: str) -> nbformat.NotebookNode:
        """The executed notebook of a chapter, e.g. ``book/toolkit/normal``."""
        path = self.build / "jupyter_execute" / f"{docname}.ipynb"
        return nbformat.read(path, as_version=4)

    def glued(self, docname: str) -> dict[str, str]:
        """The values a chapter glued into its prose, as their plain-text repr."""
        return glued_values(self.notebook(docname))


def glued_values(nb) -> dict[str, str]:
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            scrapbook = out.get("metadata", {}).get("scrapbook", {})
            if "name" in scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                values[scrapbook["name"]] = out["data"].get(prefix + "text/plain", "")
    return values


def cell_outputs_text(cell) -> str:
    """Everything a code cell printed or displayed, as plain text."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            parts.append(out["data"].get("text/plain", ""))
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts)


def jupyter_book(source: Path, output: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """Run `jupyter-book build` as a reader would, capturing everything it prints."""
    env = {**os.environ, "SCRATCHBOOK_TANGLE": "check", **(env_extra or {})}
    return subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(source), "--path-output", str(output)],
        capture_output=True, text=True, env=env, timeout=3600,
    )


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> BookBuild:
    """The whole book, built strictly (any warning fails it) with a cold cache."""
    existing = os.environ.get("BOOK_BUILD")
    if existing:
        return BookBuild(Path(existing).resolve(), 0, "")
    out = tmp_path_factory.mktemp("book")
    proc = jupyter_book(ROOT, out)
    return BookBuild(out / "_build", proc.returncode, proc.stdout + proc.stderr)


def toc_docnames() -> list[str]:
    import tangle

    return [p.relative_to(ROOT).with_suffix("").as_posix() for p in tangle.toc_files(ROOT)]


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def cell(nb, line: str):
    """The one code cell that has `line` as one of its source lines."""
    found = [c for c in code_cells(nb) if line in (s.strip() for s in c.source.splitlines())]
    assert len(found) == 1, f"expected one cell with the line {line!r}, found {len(found)}"
    return found[0]


def text(nb, line: str) -> str:
    """What the cell holding `line` printed, stripped."""
    return cell_outputs_text(cell(nb, line)).strip()


def error_of(c):
    """The error a cell raised (it must have raised exactly one)."""
    errors = [o for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1, "expected the cell to raise"
    return errors[0]
