"""A contributor's checks: lint, the chapter scaffold, and messages that say how to fix things."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from booktest import ROOT, cell_outputs_text
from booktools import lint as lint_chapters
from booktools import new_chapter
from tinybook import TinyBook


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "_ext")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env)


def test_ruff_finds_nothing_in_the_code():
    proc = run("-m", "ruff", "check", "src", "tests", "_ext", "benchmarks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_chapters_code_cells_pass_ruff_and_prose_has_no_typed_results():
    proc = run("-m", "booktools.lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_codespell_finds_no_misspelling():
    codespell = shutil.which("codespell", path=str(ROOT / ".venv" / "bin")) or "codespell"
    proc = subprocess.run([codespell, "book", "README.md", "CONTRIBUTING.md", "_ext", "tests", "benchmarks"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_typed_result_in_prose_is_flagged_with_its_line_and_the_fix():
    text = "\n".join([
        "---", "kernelspec: {}", "---",
        "The loss fell to 0.000123 after training.",      # line 4: typed by hand
        "With lr 0.03 and {glue:text}`loss:.4f` it is fine.",
        "Code `x = 0.12345` and math $0.12345$ are not prose.",
        "```{code-cell} ipython3", "print(0.12345)", "```",
    ])
    flagged = [(n, line) for n, line in lint_chapters.prose_lines(text)
               if lint_chapters.TYPED_RESULT.search(line)]
    assert [n for n, _ in flagged] == [4]


def test_new_chapter_is_listed_after_the_chapters_of_its_folder():
    toc = "parts:\n  - caption: A\n    chapters:\n      - file: book/a/one\n  - caption: Appendix\n"
    out = new_chapter.add_to_toc(toc, "book/a/two")
    assert out.splitlines()[4] == "      - file: book/a/two"
    out = new_chapter.add_to_toc(toc, "book/b/new")
    assert out.splitlines().index("      - file: book/b/new") < out.splitlines().index("  - caption: Appendix")


def test_chapter_made_by_make_chapter_builds_and_passes_the_checks_without_edits(tmp_path):
    tiny = TinyBook(tmp_path)
    shutil.copytree(ROOT / "book" / "_templates", tiny.root / "book" / "_templates", dirs_exist_ok=True)
    # the chapter that saves the style a new chapter imports; alone here, so its references
    # to other chapters become plain text
    conventions = (ROOT / "book/toolkit/conventions.md").read_text()
    tiny.write("book/toolkit/conventions.md", re.sub(r"\{ref\}`([^`]+)`", r"*\1*", conventions))
    tiny.toc("book/toolkit/conventions")
    for name in ("pyproject.toml", "LICENSE"):  # the lint's ruff settings; the package's wheel needs both
        shutil.copy(ROOT / name, tiny.root / name)
    tools = {**os.environ, "PYTHONPATH": str(tiny.root / "_ext")}
    made = subprocess.run([sys.executable, "-m", "booktools.new_chapter", "book/extra/new-topic", "A new topic"],
                          capture_output=True, text=True, cwd=tiny.root, env=tools)
    assert made.returncode == 0, made.stderr
    assert "book/extra/new-topic" in (tiny.root / "_toc.yml").read_text()
    proc = tiny.build()
    assert proc.returncode == 0, proc.log[-4000:]
    page = tiny.page("book/extra/new-topic").read_text()
    assert "A new topic" in page
    nb = __import__("nbformat").read(tiny.out / "_build/jupyter_execute/book/extra/new-topic.ipynb", 4)
    assert any(cell_outputs_text(c) for c in nb.cells if c.cell_type == "code")
    lint = subprocess.run([sys.executable, "-m", "booktools.lint", "book/extra/new-topic.md"],
                          capture_output=True, text=True, cwd=tiny.root, env=tools)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("how", ["ruff missing", "ruff configuration broken"])
def test_lint_fails_when_ruff_cannot_run(monkeypatch, tmp_path, capsys, how):
    if how == "ruff missing":
        monkeypatch.setattr(lint_chapters, "RUFF", [sys.executable, "-m", "no_such_ruff_module"])
    else:
        bad = tmp_path / "pyproject.toml"
        bad.write_text("[tool.ruff]\nline-length = 'not a number'\n")
        monkeypatch.setattr(lint_chapters, "RUFF_CONFIG", bad)
    assert lint_chapters.main(["book/toolkit/normal.md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ruff"), err
