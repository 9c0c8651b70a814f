"""The build rules on throwaway books: each failure kind fails the build; the cache re-runs exactly what changed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from booktest import STATUS_FILE
from tinybook import TinyBook, chapter

# --- the build rules: every failure kind in one throwaway book, built twice ------

GOOD = chapter("Good", ":tags: [raises-exception]\n1 / 0", "print('after the shown error')",
               prose="```{exercise}\n:label: good-ex-1\n\nAdd one.\n```\n\nAs {ref}`good-ex-1` asks.")
# chapter file -> (its text, what the build's log must say about it)
FAILURES = {
    "raising": (chapter("Bad", "raise ValueError('boom-marker')"), ["ValueError", "boom-marker"]),
    "timeout": (chapter("Bad", "import time\ntime.sleep(30)"), ["CellTimeoutError"]),
    "reference": (chapter("Bad", "1 + 1", prose="See {ref}`no-such-label`."), ["no-such-label"]),
    "glue": (chapter("Bad", "from myst_nb import glue\nglue('real_key', 1, display=False)",
                     prose="The value is {glue:text}`no_such_key`."), ["no_such_key"]),
    "figure": (chapter("Bad", "1 + 1", prose="![a chart](no-such-figure.png)"), ["no-such-figure.png"]),
    # the PDF resolves an exercise's label only within its own chapter
    "exerciseref": (chapter("Bad", "1 + 1", prose="Try {ref}`good-ex-1`."), ["'good-ex-1' of book/good"]),
}
ORPHAN = "book/orphan.md"


def status_of(tiny) -> dict:
    return json.loads((tiny.out / "_build" / STATUS_FILE).read_text())


@pytest.fixture(scope="module")
def failing_book(tmp_path_factory):
    """A good chapter, one chapter per failure kind, and a file the toc does not list: built twice,
    with nothing changed in between."""
    tiny = TinyBook(tmp_path_factory.mktemp("failing"), timeout=3)
    tiny.write("book/good.md", GOOD)
    for name, (text, _) in FAILURES.items():
        tiny.write(f"book/{name}.md", text)
    tiny.write(ORPHAN, chapter("Orphan", "1 + 1"))
    tiny.toc("book/good", *(f"book/{name}" for name in FAILURES))
    first = tiny.build()
    record = status_of(tiny)
    return tiny, first, record, tiny.build()


@pytest.mark.parametrize("kind", FAILURES)
def test_each_failure_kind_has_its_own_entry_in_the_build_record(failing_book, kind):
    _, proc, record, _ = failing_book
    entries = [w for w in record["warnings"] if f"book/{kind}.md" in w]
    assert entries, record["warnings"]
    for marker in FAILURES[kind][1]:
        assert marker in proc.log, proc.log[-3000:]


def test_a_failing_book_fails_the_plain_command_and_records_it(failing_book):
    tiny, proc, record, _ = failing_book
    assert proc.returncode != 0, proc.log[-3000:]
    assert record["succeeded"] is False
    # a plain `jupyter-book build` (no -W, -n or --keep-going): the book's extension is what fails it
    assert not {"-W", "-n", "--keep-going"} & set(proc.args)
    assert "The book's build failed" in proc.log


def test_the_good_chapter_is_published_and_named_in_no_warning(failing_book):
    tiny, _, record, _ = failing_book
    assert "book/good.md" not in "\n".join(record["warnings"])
    page = tiny.page("book/good").read_text()
    assert "ZeroDivisionError" in page and "after the shown error" in page  # tagged raises-exception


def test_markdown_file_missing_from_toc_fails_the_build_naming_it(failing_book):
    _, _, record, _ = failing_book
    assert any(f"{ORPHAN} is not listed in _toc.yml" in w for w in record["warnings"]), record["warnings"]


def test_chapters_whose_cells_failed_are_not_published(failing_book):
    tiny, _, record, _ = failing_book
    assert record["failed_chapters"] == ["book/raising", "book/timeout"]
    assert not tiny.page("book/raising").exists() and not tiny.page("book/timeout").exists()


def test_rebuild_without_changes_still_fails_with_the_same_record(failing_book):
    tiny, _, record, second = failing_book
    assert second.returncode != 0
    assert "boom-marker" in second.log
    assert sorted(status_of(tiny)["warnings"]) == sorted(record["warnings"])


def test_a_latex_error_fails_the_pdf_naming_the_chapter_and_leaves_no_pdf(tmp_path):
    # (a sound book's PDF is the tests/pdf tests' subject)
    tiny = TinyBook(tmp_path)
    tiny.write("book/good.md", chapter("Good", "print('fine')"))
    tiny.write("book/bad.md", chapter("Bad", "1 + 1", prose="```{raw} latex\n\\nosuchmacro\n```"))
    tiny.toc("book/good", "book/bad")
    proc = tiny.build("latex")
    assert proc.returncode != 0, proc.log[-3000:]
    assert "XeLaTeX failed" in proc.log and "in chapter book/bad" in proc.log, proc.log[-3000:]
    assert "Undefined control sequence" in proc.log, proc.log[-3000:]
    assert not list((tiny.out / "_build").rglob("*.pdf"))
    record = json.loads((tiny.out / "_build" / "bookbuild-latex.json").read_text())
    assert record["succeeded"] is False and any("XeLaTeX failed" in w for w in record["warnings"]), record


SAVED = '''#@save
def answer() -> int:
    """The answer this book's package gives."""
    return {value}
'''


def fake_distribution(root: Path, version: str, name: str = "fakepin", requires: str = "") -> None:
    """An installed distribution of this name and version, on the build's path (PYTHONPATH=src)."""
    for old in (root / "src").glob(f"{name}-*.dist-info"):
        shutil.rmtree(old)
    info = root / "src" / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    needs = f"Requires-Dist: {requires}\n" if requires else ""
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{needs}")


@pytest.fixture(scope="module")
def cache_book(tmp_path_factory):
    """Four chapters: `saver` saves code, `user` imports it, `magic` imports it under `%%time`,
    `bystander` imports nothing of ours; `requirements.txt` pins a distribution `fakepin`.

    `fakepin` requires `fakedep`, which requirements.txt does not name.

    Built six times: cold, unchanged, after a code edit in `saver`, after a
    prose edit in `user`, after `fakepin` is upgraded, after `fakedep` is
    upgraded; each build's log and the `user` chapter's output are kept.
    """
    tiny = TinyBook(tmp_path_factory.mktemp("cache"))
    tiny.write("book/index.md", "# A tiny book\n\nIts package is version {{ scratchbook_version }}.\n")
    tiny.write("book/saver.md", chapter("Saver", SAVED.format(value=1)))
    tiny.write("book/user.md", chapter("User", "from scratchbook import answer\nprint('answer is', answer())"))
    tiny.write("book/magic.md", chapter("Magic", "%%time\nfrom scratchbook import answer\nprint('magic', answer())"))
    tiny.write("book/bystander.md", chapter("Bystander", "print('independent')"))
    off = chapter("Off", "print('never run')").replace("---\n\n# Off", "mystnb:\n  execution_mode: 'off'\n---\n\n# Off")
    tiny.write("book/off.md", off)  # its own front matter says: do not execute
    tiny.write("requirements.txt", "fakepin==1.0  # the installed version is part of every chapter's key\n")
    fake_distribution(tiny.root, "1.0", requires="fakedep>=1")
    fake_distribution(tiny.root, "1.0", name="fakedep")
    tiny.toc("book/saver", "book/user", "book/magic", "book/bystander", "book/off")
    builds = {}

    def build(name):
        proc = tiny.build()
        proc.user_output = outputs(tiny, "book/user")
        proc.index_page = tiny.page("book/index").read_text()
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
    fake_distribution(tiny.root, "2.0", requires="fakedep>=1")
    build("upgrade")
    fake_distribution(tiny.root, "1.1", name="fakedep")
    build("dependency-upgrade")
    return builds


def outputs(tiny, docname):
    nb = nbformat.read(tiny.out / "_build" / "jupyter_execute" / f"{docname}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("name", ["cold", "noop", "code-edit", "prose-edit", "upgrade", "dependency-upgrade"])
def test_each_build_of_the_cache_book_succeeds(cache_book, name):
    assert cache_book[name].returncode == 0, cache_book[name].log[-4000:]


def test_cold_build_executes_every_chapter(cache_book):
    assert cache_book["cold"].executed == ["bystander", "magic", "saver", "user"]
    assert "answer is 1" in cache_book["cold"].user_output


def test_a_chapter_whose_front_matter_turns_execution_off_is_never_executed(cache_book):
    assert all("off" not in build.executed for name, build in cache_book.items() if name != "user-page")
    assert "never run" not in cache_book["cold"].log


def test_noop_rebuild_executes_nothing(cache_book):
    assert cache_book["noop"].executed == []


def test_editing_saved_code_reexecutes_exactly_its_importers_magics_included(cache_book):
    assert cache_book["code-edit"].executed == ["magic", "saver", "user"]
    assert "answer is 2" in cache_book["code-edit"].user_output


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def pages_read(log: str) -> list[str]:
    """The pages Sphinx read (parsed) in a build, from its log."""
    return sorted(re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", ANSI.sub("", log)))


def test_editing_saved_code_rereads_only_its_importers_and_the_pages_that_show_the_version(cache_book):
    assert pages_read(cache_book["code-edit"].log) == ["book/index", "book/magic", "book/saver", "book/user"]
    version = re.search(r"version (0\.1\.0\+g\w+)\.", cache_book["code-edit"].index_page)
    assert version and version[1] not in cache_book["cold"].index_page, "the page shows an old version"


def test_prose_only_edit_rereads_only_that_page(cache_book):
    assert pages_read(cache_book["prose-edit"].log) == ["book/user"]


def test_prose_only_edit_executes_nothing_and_shows_the_prose(cache_book):
    assert cache_book["prose-edit"].executed == []
    assert "A new sentence of prose." in cache_book["user-page"]


def test_upgrading_a_pinned_package_reexecutes_every_chapter(cache_book):
    assert cache_book["upgrade"].executed == ["bystander", "magic", "saver", "user"]


def test_upgrading_a_package_a_pin_requires_reexecutes_every_chapter_once(cache_book):
    # what the kernel can import is in the key, not only the pins (scipy behind scikit-learn, say)
    assert cache_book["dependency-upgrade"].executed == ["bystander", "magic", "saver", "user"]
