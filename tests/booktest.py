"""What the tests share: where a build put its pages, and how to read its executed notebooks.

The ``book`` fixture (in conftest.py) gives a :class:`BookBuild`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import yaml

from booktools.toc import toc_files

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


STATUS_FILE = "bookbuild-html.json"  # what the html build recorded about itself (bookbuild.strict)


@dataclass
class BookBuild:
    """Where a build put its pages and executed notebooks, and what it reported.

    ``returncode`` and ``log`` are known only when the tests ran the build
    themselves; ``status`` is what the build recorded about itself (its
    warnings and failed chapters), or None when it left no record.
    """

    build: Path
    returncode: int | None
    log: str
    status: dict | None = None

    @classmethod
    def read(cls, build: Path, returncode: int | None = None, log: str = "") -> BookBuild:
        path = build / STATUS_FILE
        status = json.loads(path.read_text()) if path.exists() else None
        return cls(build, returncode, log, status)

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
    """The values a chapter glued, read by myst-nb's own glue reader: name -> plain-text repr."""
    from myst_nb.ext.glue import extract_glue_data_cell

    values = {}
    for cell in copy.deepcopy(nb).cells:  # the reader takes the glue outputs out of the cell
        if cell.cell_type == "code":
            for name, output in extract_glue_data_cell(cell):
                values[name] = output["data"].get("text/plain", "")
    return values


def glued_numbers(nb) -> dict[str, float]:
    """The glued values that are numbers, as floats."""
    values = {}
    for name, value in glued_values(nb).items():
        try:
            values[name] = float(value)
        except ValueError:
            continue
    return values


def figure_cell(nb, name: str):
    """The one code cell whose figure metadata has this name."""
    found = [c for c in code_cells(nb) if c.metadata.get("mystnb", {}).get("figure", {}).get("name") == name]
    assert len(found) == 1, f"expected one figure named {name}"
    return found[0]


def png_count(c) -> int:
    return sum("image/png" in o.get("data", {}) for o in c.outputs)


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


def jupyter_book(source: Path, output: Path, env_extra: dict | None = None,
                 builder: str = "html") -> subprocess.CompletedProcess:
    """Run `jupyter-book build` as a reader would, capturing everything it prints."""
    env = {**os.environ, "SCRATCHBOOK_TANGLE": "check", **(env_extra or {})}
    return subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(source), "--path-output", str(output), "--builder", builder],
        capture_output=True, text=True, env=env, timeout=3600,
    )


def site_path() -> str:
    """The path the site is published under, from ``html.baseurl`` in _config.yml: ``/project/``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    path = urlsplit(config.get("html", {}).get("baseurl") or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def toc_docnames() -> list[str]:
    return [p.relative_to(ROOT).with_suffix("").as_posix() for p in toc_files(ROOT)]


def chapter_docnames() -> list[str]:
    """The toc documents that are notebooks (have code cells), in reading order."""
    return [d for d in toc_docnames() if "```{code-cell}" in (ROOT / f"{d}.md").read_text()]


def longest_first(build: Path, docnames: list[str]) -> list[str]:
    """Longest first, by the run times the execution cache recorded (so parallel workers finish together)."""
    from jupyter_cache import get_cache

    seconds = {}
    for record in get_cache(build / ".jupyter_cache").list_cache_records():
        seconds[os.path.relpath(record.uri, ROOT).removesuffix(".md")] = (record.data or {}).get(
            "execution_seconds", 0)
    return sorted(docnames, key=lambda d: -seconds.get(d, 0))


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


FLOAT = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+")


def same_up_to_rounding(a: str, b: str, tol: float = 1e-5) -> bool:
    """Equal text; numbers may differ by tol (relative to 1 or their size) or by one unit of their last printed digit.

    For outputs that descend from LAPACK's least-squares solvers: MKL may round
    their last float32 digits differently from one process to the next, even
    single-threaded in its reproducible mode, and a rounded print can then flip
    its last digit, which can change its width (``%8.3g`` prints 0.0641 but
    0.064), so the spaces that pad a number may differ; every other character
    must match.
    """
    if [part.strip(" ") for part in FLOAT.split(a)] != [part.strip(" ") for part in FLOAT.split(b)]:
        return False
    pairs = zip(FLOAT.findall(a), FLOAT.findall(b), strict=True)
    return all(abs(float(x) - float(y))
               <= max(tol * max(1.0, abs(float(x))), 1.0001 * max(last_digit(x), last_digit(y)))
               for x, y in pairs)


def last_digit(number: str) -> float:
    """The value of one unit in the last printed digit: 0.001 for '18.350', 1e-06 for '4.63e-05'."""
    mantissa, _, exponent = number.lower().partition("e")
    places = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - places)


DECIMAL = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def decimals(s: str) -> list[float]:
    """The decimal numbers in a printed text, in order."""
    return [float(m) for m in DECIMAL.findall(s)]


def assert_one_png(c) -> None:
    assert png_count(c) == 1, "the figure cell should display exactly one image"
