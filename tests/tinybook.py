"""A throwaway book built with the project's own configuration, for testing the build rules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from booktest import ROOT, jupyter_book

FRONT_MATTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def chapter(title: str, *cells: str, prose: str = "") -> str:
    """A MyST notebook: a title, some prose, then code cells (a leading `:tags:` line is kept as the cell's option)."""
    body = [FRONT_MATTER, f"# {title}\n", prose + "\n"]
    for cell in cells:
        body.append("```{code-cell} ipython3\n" + textwrap.dedent(cell).strip("\n") + "\n```\n")
    return "\n".join(body)


class TinyBook:
    """A book folder with the project's _config.yml, _ext/ and static files, and chapters of the test's choosing."""

    def __init__(self, path: Path, timeout: int | None = None, translations: bool = False):
        self.root = path / "src-book"
        self.out = path / "out"
        self.root.mkdir()
        shutil.copytree(ROOT / "_ext", self.root / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "book" / "_static", self.root / "book" / "_static")
        shutil.copytree(ROOT / "book" / "_templates", self.root / "book" / "_templates",
                        ignore=shutil.ignore_patterns("*.md"))
        for bib in (ROOT / "book").glob("*.bib"):
            shutil.copy(bib, self.root / "book" / bib.name)
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
        if timeout is not None:
            config["execute"]["timeout"] = timeout
        if not translations:  # most rules are about one build; the translations' test asks for them
            config["sphinx"]["config"]["book_translations"] = {}
        (self.root / "_config.yml").write_text(yaml.safe_dump(config))
        (self.root / "src" / "scratchbook").mkdir(parents=True)
        self.write("book/index.md", "# A tiny book\n")

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def toc(self, *files: str) -> None:
        toc = {"format": "jb-book", "root": "book/index",
               "chapters": [{"file": f} for f in files]}
        (self.root / "_toc.yml").write_text(yaml.safe_dump(toc))

    def build(self, builder: str = "html"):
        """Build as `make html` (or, with the latex builder, `make pdf`) does; the kernel imports
        this book's own scratchbook."""
        proc = jupyter_book(self.root, self.out, {
            "SCRATCHBOOK_TANGLE": "write",
            "PYTHONPATH": str(self.root / "src"),
        }, builder)
        proc.log = proc.stdout + proc.stderr
        proc.executed = sorted(re.findall(r"book/(\w+)\.md: Executing notebook", proc.log))
        return proc

    def page(self, docname: str, folder: str = "") -> Path:
        return self.out / "_build" / "html" / folder / f"{docname}.html"

    def update_catalogs(self):
        """`make i18n` for this book: the catalogs follow its English, reading its execution cache."""
        return subprocess.run([sys.executable, "-m", "booktools.i18n", "update", "--root", str(self.root),
                               "--cache", str(self.out / "_build" / ".jupyter_cache")],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "_ext")},
                              timeout=600)
