"""Create a chapter from book/_templates/chapter.md and list it in _toc.yml.

    python -m booktools.new_chapter book/further/regularization "Regularization"

The chapter goes into the part that already holds its folder (a new folder
joins the part before the appendix); the label is the part folder and the
file name joined by a hyphen.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def label_for(docname: str) -> str:
    parts = Path(docname).parts[1:]  # drop "book"
    return "-".join(parts).replace("_", "-")


def add_to_toc(toc: str, docname: str) -> str:
    """Insert `- file: docname` after the last chapter of the same folder (or before the appendix)."""
    folder = str(Path(docname).parent)
    lines = toc.splitlines()
    same = [i for i, line in enumerate(lines) if re.match(rf"\s*- file: {re.escape(folder)}/[^/]+$", line)]
    if same:
        at = same[-1] + 1
        indent = re.match(r"\s*", lines[same[-1]]).group(0)
    else:
        appendix = next((i for i, line in enumerate(lines) if "Appendix" in line), len(lines))
        before = [i for i, line in enumerate(lines[:appendix]) if "- file:" in line]
        at = before[-1] + 1 if before else appendix
        indent = re.match(r"\s*", lines[before[-1]]).group(0) if before else "      "
    lines.insert(at, f"{indent}- file: {docname}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].startswith("book/"):
        print('usage: make chapter NAME=book/<part>/<name> TITLE="Title"', file=sys.stderr)
        return 2
    docname, title = argv[0].removesuffix(".md"), argv[1]
    if not re.fullmatch(r"book/[a-z0-9_-]+/[a-z0-9_-]+", docname):
        print(f"NAME must look like book/<part>/<name> in lower case, got {docname!r}", file=sys.stderr)
        return 2
    path = ROOT / f"{docname}.md"
    if path.exists():
        print(f"{path.relative_to(ROOT)} already exists", file=sys.stderr)
        return 1
    label = label_for(docname)
    template = (ROOT / "book" / "_templates" / "chapter.md").read_text()
    text = template.format(label=label, title=title, glue_prefix=label.replace("-", "_"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    toc = ROOT / "_toc.yml"
    toc.write_text(add_to_toc(toc.read_text(), docname))
    print(f"created {path.relative_to(ROOT)} (label `{label}`) and listed it in _toc.yml")
    print("next: write it, then `make html` to execute it and `make test` to check it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
