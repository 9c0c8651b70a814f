"""The book builds strictly, every chapter runs, and the build rules catch what they promise to."""

from __future__ import annotations

import re

import nbformat
import pytest

from booktest import ROOT, toc_docnames
from tinybook import TinyBook, chapter


def test_strict_build_of_the_book_succeeds(book):
    assert book.returncode == 0, book.log[-6000:]


def test_every_toc_entry_has_an_html_page(book):
    missing = [d for d in toc_docnames() if not (book.html / f"{d}.html").exists()]
    assert not missing


def chapters_with_code():
    out = []
    for docname in toc_docnames():
        text = (ROOT / f"{docname}.md").read_text()
        if "```{code-cell}" in text:
            out.append(docname)
    return out


@pytest.mark.parametrize("docname", chapters_with_code())
def test_chapter_with_code_has_outputs(book, docname):
    nb = book.notebook(docname)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"{docname}: no code cell has an output"


@pytest.mark.parametrize("docname", chapters_with_code())
def test_errors_appear_only_in_cells_tagged_raises_exception(book, docname):
    nb = book.notebook(docname)
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        tags = cell.get("metadata", {}).get("tags", [])
        if errors:
            assert "raises-exception" in tags, f"{docname}: untagged error {errors[0].ename}"


@pytest.mark.parametrize("docname", chapters_with_code())
def test_chapter_seeds_its_randomness(docname):
    text = (ROOT / f"{docname}.md").read_text()
    if re.search(r"^\s*(import torch|from torch)", text, re.M):
        assert "torch.manual_seed(" in text, f"{docname} uses torch but never seeds it"


@pytest.mark.parametrize("docname", chapters_with_code())
def test_downloadable_notebook_is_the_executed_chapter(book, docname):
    page = (book.html / f"{docname}.html").read_text()
    assert f"_sources/{docname}.ipynb" in page.replace("../", ""), "no .ipynb download button"
    nb = nbformat.read(book.html / "_sources" / f"{docname}.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    assert not any(s.startswith("# Inputs from the scratchbook package") for s in sources)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


# --- the build rules, on a throwaway book built with the same configuration ---


@pytest.fixture(scope="module")
def broken_book(tmp_path_factory):
    """One build with every kind of failure in it, then a rebuild with nothing changed."""
    tiny = TinyBook(tmp_path_factory.mktemp("broken"), timeout=3)
    tiny.write("book/fine.md", chapter(
        "Fine", ":tags: [raises-exception]\n1 / 0", "print('after the shown error')"))
    tiny.write("book/boom.md", chapter("Boom", "raise ValueError('boom-marker')"))
    tiny.write("book/slow.md", chapter("Slow", "import time\ntime.sleep(30)"))
    tiny.write("book/xref.md", chapter("Xref", "1 + 1", prose="See {ref}`no-such-label`."))
    tiny.write("book/orphan.md", chapter("Orphan", "1 + 1"))
    tiny.toc("book/fine", "book/boom", "book/slow", "book/xref")
    first = tiny.build()
    second = tiny.build()
    return tiny, first, second


def test_failing_cell_fails_the_build_naming_chapter_and_traceback(broken_book):
    _, first, _ = broken_book
    assert first.returncode != 0
    assert "book/boom.md" in first.log
    assert "ValueError" in first.log and "boom-marker" in first.log


def test_failed_chapter_is_not_published(broken_book):
    tiny, _, _ = broken_book
    assert not tiny.page("book/boom").exists()
    assert not tiny.page("book/slow").exists()


def test_cell_over_the_timeout_fails_the_build(broken_book):
    _, first, _ = broken_book
    assert "book/slow.md" in first.log
    assert "CellTimeoutError" in first.log or "timed out" in first.log


def test_broken_cross_reference_fails_the_build(broken_book):
    _, first, _ = broken_book
    assert "no-such-label" in first.log


def test_markdown_file_missing_from_toc_fails_the_build(broken_book):
    _, first, _ = broken_book
    assert "book/orphan.md is not listed in _toc.yml" in first.log


def test_error_tagged_raises_exception_is_shown_and_build_goes_on(broken_book):
    tiny, first, _ = broken_book
    page = tiny.page("book/fine").read_text()
    assert "ZeroDivisionError" in page and "after the shown error" in page
    assert "book/fine.md: Executing notebook" in first.log


def test_rebuild_without_changes_still_fails(broken_book):
    _, _, second = broken_book
    assert second.returncode != 0
    assert "boom-marker" in second.log and "book/orphan.md is not listed" in second.log


SAVED = '''#@save
def answer() -> int:
    """The answer this book's package gives."""
    return {value}
'''


@pytest.fixture(scope="module")
def cache_book(tmp_path_factory):
    """Three chapters: `saver` saves code, `user` imports it, `bystander` does not.

    Built four times: cold, unchanged, after a code edit in `saver`, after a
    prose edit in `user`; each build's log and the `user` chapter's output are kept.
    """
    tiny = TinyBook(tmp_path_factory.mktemp("cache"))
    tiny.write("book/saver.md", chapter("Saver", SAVED.format(value=1)))
    tiny.write("book/user.md", chapter("User", "from scratchbook import answer\nprint('answer is', answer())"))
    tiny.write("book/bystander.md", chapter("Bystander", "print('independent')"))
    tiny.toc("book/saver", "book/user", "book/bystander")
    builds = {}

    def build(name):
        proc = tiny.build()
        proc.user_output = outputs(tiny, "book/user")
        builds[name] = proc

    build("cold")
    build("noop")
    saver = tiny.root / "book" / "saver.md"
    saver.write_text(saver.read_text().replace("return 1", "return 2"))
    build("code-edit")
    user = tiny.root / "book" / "user.md"
    user.write_text(user.read_text().replace("# User", "# User\n\nA new sentence of prose."))
    build("prose-edit")
    builds["user-page"] = tiny.page("book/user").read_text()
    return builds


def outputs(tiny, docname):
    nb = nbformat.read(tiny.out / "_build" / "jupyter_execute" / f"{docname}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("name", ["cold", "noop", "code-edit", "prose-edit"])
def test_each_build_of_the_cache_book_succeeds(cache_book, name):
    assert cache_book[name].returncode == 0, cache_book[name].log[-4000:]


def test_cold_build_executes_every_chapter(cache_book):
    assert cache_book["cold"].executed == ["bystander", "saver", "user"]
    assert "answer is 1" in cache_book["cold"].user_output


def test_noop_rebuild_executes_nothing(cache_book):
    assert cache_book["noop"].executed == []


def test_editing_saved_code_reexecutes_exactly_its_importers(cache_book):
    assert cache_book["code-edit"].executed == ["saver", "user"]
    assert "answer is 2" in cache_book["code-edit"].user_output


def test_prose_only_edit_executes_nothing_and_shows_the_prose(cache_book):
    assert cache_book["prose-edit"].executed == []
    assert "A new sentence of prose." in cache_book["user-page"]
