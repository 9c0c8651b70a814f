"""The glossary page's terms: the English term and the Chinese a translation must use for it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Term:
    english: str
    chinese: str

    def pattern(self) -> re.Pattern:
        words = r"[ -]".join(re.escape(w) for w in re.split(r"[ -]", self.english))
        return re.compile(rf"\b{words}(s|es|d|ing|ation)?\b", re.IGNORECASE)


def common_part(a: str, b: str) -> str:
    """The longest string that both a and b contain."""
    return max((a[i:j] for i in range(len(a)) for j in range(i + 1, len(a) + 1) if a[i:j] in b), key=len, default="")


def glossary(root: Path = ROOT) -> list[Term]:
    """The glossary page's table: English term (without its parenthesis) and the Chinese a translation must use.

    An English term that ends another one ("generator", "random number generator")
    cannot tell from the English which is meant, so a translation of it must
    only contain what their Chinese terms share (生成器); the bare-生成器 rule
    of :func:`lint_catalog` then makes it say which.
    """
    page = root / "book" / "appendix" / "glossary.md"
    if not page.exists():  # a book without a glossary (a throwaway test book) fixes no terms
        return []
    text = page.read_text(encoding="utf-8")
    table = text[text.index("```{list-table}"):]
    table = table[:table.index("\n```\n")]
    rows = re.findall(r"^\* - (.+)\n  - (.+)\n  - ", table, flags=re.MULTILINE)[1:]  # after the header
    terms = [Term(re.sub(r"\s*\(.*\)$", "", en).strip(), zh.strip()) for en, zh in rows]
    for term in terms:
        for other in terms:
            if other is not term and other.english.lower().endswith(" " + term.english.lower()):
                term.chinese = common_part(term.chinese, other.chinese)
    return terms
