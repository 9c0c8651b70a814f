"""Lint the chapters: ruff on their code cells, and no hand-typed results in their prose.

    python -m booktools.lint [book/...md ...]

Each problem is printed as `book/x.md:LINE: message`, with the fix.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from booktools.chapters import code_cell_lines
from booktools.toc import toc_files

ROOT = Path(__file__).resolve().parents[2]
RUFF = [sys.executable, "-m", "ruff"]
RUFF_CONFIG = ROOT / "pyproject.toml"
# A result typed by hand: a decimal with four or more digits after the point
# (0.0123, 2.00047). Settings and thresholds (lr 0.003, below 1e-6) are fine.
TYPED_RESULT = re.compile(r"(?<![\w.{`$])\d+\.\d{4,}(?![\w.])")
# Where a number is code or math, not prose.
NOT_PROSE = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", re.S)


def chapters() -> list[Path]:
    return [p for p in toc_files(ROOT) if p.suffix == ".md" and p.exists()]


def code_lines(chapter: Path) -> tuple[str, list[int]]:
    """The chapter's code cells as one Python file, and the chapter line each file line came from."""
    source, origin = [], []
    for cell, first_line in code_cell_lines(chapter):
        source.append("# %%")
        origin.append(first_line - 1)
        for k, line in enumerate(cell.splitlines()):
            source.append(line if not line.startswith(("%", "!")) else "# " + line)
            origin.append(first_line + k)
    return "\n".join(source) + "\n", origin


class LintError(RuntimeError):
    """ruff could not check the chapters (not installed, bad configuration, unreadable output)."""


def ruff_problems(paths: list[Path]) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        origins = {}
        for i, chapter in enumerate(paths):
            code, origin = code_lines(chapter)
            script = Path(tmp) / f"cell_{i}.py"
            script.write_text(code)
            origins[script.name] = (chapter, origin)
        proc = subprocess.run(
            [*RUFF, "check", "--output-format", "json", "--config", str(RUFF_CONFIG),
             "--extend-ignore", "E402,E703,F811,B018,I001", tmp],
            capture_output=True, text=True)
        # ruff exits 0 (clean) or 1 (problems found) and prints a JSON list; anything else means
        # it did not check (a missing module also exits 1, so the report is required too).
        if proc.returncode not in (0, 1):
            raise LintError(f"ruff failed to run (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        try:
            items = json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            raise LintError(f"ruff printed no readable report ({err}); it said: "
                            f"{(proc.stderr or proc.stdout).strip()[-1000:]}") from err
        for item in items:
            chapter, origin = origins[Path(item["filename"]).name]
            row = item["location"]["row"]
            line = origin[row - 1] if row - 1 < len(origin) else 0
            problems.append(f"{chapter.relative_to(ROOT)}:{line}: {item['code']} {item['message']}"
                            " (fix the code cell; `make lint` checks again)")
    return problems


FENCE = re.compile(r"^\s*(`{3,}|:{3,})(.*)$")


def prose_lines(text: str):
    """(line number, line) for each line of prose: not front matter, code, math or options."""
    stack, in_math = [], False
    lines = text.splitlines()
    start = lines.index("---", 1) + 1 if lines and lines[0] == "---" else 0
    for number, line in enumerate(lines[start:], start + 1):
        fence = FENCE.match(line)
        if fence:
            marks, info = fence.group(1), fence.group(2).strip()
            if stack and marks == stack[-1][0] and not info:
                stack.pop()
            else:
                stack.append((marks, info))
            continue
        if line.strip().startswith("$$"):
            in_math = not in_math if line.strip().count("$$") == 1 else in_math
            continue
        verbatim = any(info and (not info.startswith("{") or info.startswith(("{code-cell", "{math", "{eval-rst")))
                       for _, info in stack)
        if verbatim or in_math or line.lstrip().startswith(":"):
            continue
        yield number, NOT_PROSE.sub("", line)


def prose_problems(paths: list[Path]) -> list[str]:
    problems = []
    for chapter in paths:
        for number, line in prose_lines(chapter.read_text()):
            for match in TYPED_RESULT.finditer(line):
                problems.append(
                    f"{chapter.relative_to(ROOT)}:{number}: the number {match.group(0)} is typed into the prose; "
                    "glue it from the cell that computes it ({glue:text}`name:.4f`), see CONTRIBUTING.md")
    return problems


def main(argv: list[str]) -> int:
    paths = [ROOT / a for a in argv] if argv else chapters()
    try:
        problems = ruff_problems(paths) + prose_problems(paths)
    except LintError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
