"""The lint rules of a translation catalog: markup kept, the glossary's terms, full-width punctuation.

``python -m booktools.i18n lint`` runs them on every catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

from booktools.glossary import Term

# The markup a translation must keep exactly: roles (with their target; an explicit
# title may be translated), inline code, inline math, substitutions and link targets.
ROLE = re.compile(r"\{[\w:.-]+\}`([^`]*)`")
CODE = re.compile(r"(?<![}`])`([^`]+)`")
MATH = re.compile(r"(?<!\\)\$([^$]+)\$")
SUBSTITUTION = re.compile(r"\{\{[^}]*\}\}")
LINK_TARGET = re.compile(r"\]\(([^)]+)\)")
CJK = "\u4e00-\u9fff"
HALF_WIDTH_NEXT_TO_CHINESE = re.compile(rf"[{CJK}][,;:!?]|[{CJK}]\.(?!\w)|[,;:!?][{CJK}]|\([{CJK}]|[{CJK}]\)")


def markup(text: str) -> list[str]:
    """The tokens of a message that its translation must contain unchanged, sorted."""
    roles = []
    for match in ROLE.finditer(text):
        name = match.group(0)[:match.group(0).index("`")]
        target = match.group(1)
        target = target[target.rindex("<") + 1:-1] if target.endswith(">") and "<" in target else target
        roles.append(f"{name}{target}")
    rest = ROLE.sub(" ", text)
    tokens = roles + [f"`{m}`" for m in CODE.findall(rest)] + [f"${m}$" for m in MATH.findall(CODE.sub(" ", rest))]
    tokens += SUBSTITUTION.findall(text) + LINK_TARGET.findall(text)
    return sorted(tokens)


def prose(text: str) -> str:
    """A message without its roles, code, math and substitutions: the words a reader reads."""
    for pattern in (ROLE, CODE, MATH, SUBSTITUTION, LINK_TARGET):
        text = pattern.sub(" ", text)
    return text


def lint_catalog(po: Path, terms: list[Term]) -> list[str]:
    from babel.messages.pofile import read_po

    found = []
    with po.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        where = f"{po.name}: {message.id[:60]!r}"
        if markup(message.id) != markup(message.string):
            missing = sorted(set(markup(message.id)) - set(markup(message.string)))
            extra = sorted(set(markup(message.string)) - set(markup(message.id)))
            found.append(f"{where}: markup differs (missing {missing}, extra {extra})")
        if not re.search(f"[{CJK}]", message.string):
            continue  # kept in English on purpose (code, math, names)
        words = prose(message.id)
        for term in terms:
            if term.pattern().search(words) and term.chinese not in message.string:
                found.append(f"{where}: uses '{term.english}' but the translation lacks '{term.chinese}'")
        said = message.string
        bare = [] if po.name == "glossary.po" else [
            m.start() for m in re.finditer("生成器", said)
            if not said[:m.start()].endswith("随机数") and not said[m.end():].startswith("函数")]
        if bare:
            found.append(f"{where}: bare 生成器; say 生成器函数 (Python) or 随机数生成器 (torch.Generator)")
        # (the glossary page is where that rule is stated, with the bare word)
        half = HALF_WIDTH_NEXT_TO_CHINESE.findall(prose(message.string))
        if half:
            found.append(f"{where}: half-width punctuation in Chinese text: {half}")
    return found
