"""Translations end to end, on a throwaway book: a changed English paragraph never shows stale Chinese."""

from __future__ import annotations

from babel.messages.pofile import read_po, write_po
from bs4 import BeautifulSoup

from booktools.i18n import counts, po_path
from tinybook import TinyBook, chapter

FIRST = "The first paragraph says one thing."
SECOND = "The second paragraph stays as it is."
CHANGED = "The first paragraph now says another thing."
NEW = "A paragraph added after the catalogs were updated."
NOTICE = "translation-pending"
CURRENT = "edition's html build is current"  # what the log says when an edition is not built again


def translate_everything(po) -> None:
    """A stand-in translator: every message becomes Chinese text followed by its English (markup kept)."""
    with po.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id:
            message.string = f"中文：{message.id}"
    with po.open("wb") as f:
        write_po(f, catalog, width=0)


def paragraphs(book, docname):
    soup = BeautifulSoup(book.page(docname, "zh").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    shown = {p.get_text(" ", strip=True): "untranslated" in (p.get("class") or []) for p in article.find_all("p")}
    notice = article.select_one(f".{NOTICE}")
    return shown, (notice.get_text(strip=True) if notice else None)


def test_a_changed_english_paragraph_shows_in_english_marked_and_counted_until_it_is_translated_again(tmp_path):
    book = TinyBook(tmp_path, translations=True)
    book.write("book/one.md", chapter("One", "print(6 * 7)", prose=f"{FIRST}\n\n{SECOND}"))
    book.toc("book/one")
    first = book.build()
    assert first.returncode == 0, first.log[-3000:]
    assert first.executed == ["one"], "the log's execution lines are not what the count reads"

    assert book.update_catalogs().returncode == 0
    po = po_path("book/one", "zh_CN", book.root)
    translate_everything(po)
    translated = book.build()
    assert translated.returncode == 0, translated.log[-3000:]
    assert translated.executed == [], "the Chinese edition executed a chapter"
    shown, notice = paragraphs(book, "book/one")
    assert {f"中文：{FIRST}": False, f"中文：{SECOND}": False}.items() <= shown.items()
    assert notice is None
    assert CURRENT not in translated.log, "a changed catalog did not rebuild the edition"

    # nothing changed: the edition is not built again, and the site still has its pages
    again = book.build()
    assert again.returncode == 0, again.log[-3000:]
    assert CURRENT in again.log, "a no-op build built the Chinese edition again"
    assert paragraphs(book, "book/one") == (shown, notice)

    # the English changes; `make i18n` keeps the old translation, marked outdated; then a paragraph
    # is added without running it again
    text = (book.root / "book/one.md").read_text().replace(FIRST, CHANGED)
    book.write("book/one.md", text)
    assert book.update_catalogs().returncode == 0
    c = counts(po)
    assert (c.outdated, c.untranslated) == (1, 0)
    book.write("book/one.md", text.replace(SECOND, f"{SECOND}\n\n{NEW}"))
    changed = book.build()
    assert changed.returncode == 0, changed.log[-3000:]
    assert CURRENT not in changed.log, "a changed chapter did not rebuild the edition"
    shown, notice = paragraphs(book, "book/one")
    assert shown.get(CHANGED) is True and shown.get(NEW) is True, shown  # English, marked
    assert shown.get(f"中文：{SECOND}") is False  # the rest stays translated
    assert not any(FIRST in p for p in shown), "the stale translation of the old sentence is shown"
    assert notice is not None and "2" in notice, notice


def test_a_broken_translation_fails_the_build_and_its_record_names_the_catalog(tmp_path):
    """The Chinese edition is built last (after the English record used to be written): its failure
    must still reach the build's one record of itself, naming the catalog to fix."""
    import json

    book = TinyBook(tmp_path, translations=True)
    book.write("book/one.md", chapter("One", "print(6 * 7)", prose=FIRST))
    book.toc("book/one")
    assert book.build().returncode == 0
    assert book.update_catalogs().returncode == 0
    po = po_path("book/one", "zh_CN", book.root)
    with po.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id == FIRST:
            message.string = "中文：{nosuchrole}`坏的角色`"  # a role that does not exist
    with po.open("wb") as f:
        write_po(f, catalog, width=0)

    broken = book.build()
    assert broken.returncode != 0, "a broken translation passed the build"
    record = json.loads((book.out / "_build" / "bookbuild-html.json").read_text())
    assert record["succeeded"] is False, record
    named = [w for w in record["warnings"] if "zh_CN" in w and "LC_MESSAGES/book/one.po" in w]
    assert named, record["warnings"]
