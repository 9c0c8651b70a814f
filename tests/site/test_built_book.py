"""The whole book built strictly: every chapter ran, every page exists, every chapter offers its notebook."""

from __future__ import annotations

import re

import nbformat
import pytest

from bookbuild.cachekey import MARK
from booktest import ROOT, STATUS_FILE, chapter_docnames, toc_docnames
from booktools.chapters import code_sources
from booktools.imports import imported_modules


def test_strict_build_of_the_book_succeeds(book):
    if book.returncode is not None:
        assert book.returncode == 0, book.log[-6000:]
    if book.status is None:
        pytest.skip(f"{book.build} holds no {STATUS_FILE}: it was not built with this book's extension")
    assert book.status["succeeded"], book.status["warnings"][:20]
    assert book.status["warnings"] == [] and book.status["failed_chapters"] == []


def test_every_toc_entry_has_an_html_page(book):
    missing = [d for d in toc_docnames() if not (book.html / f"{d}.html").exists()]
    assert not missing


@pytest.mark.parametrize("docname", chapter_docnames())
def test_chapter_with_code_has_outputs(book, docname):
    nb = book.notebook(docname)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"{docname}: no code cell has an output"


@pytest.mark.parametrize("docname", chapter_docnames())
def test_errors_appear_only_in_cells_tagged_raises_exception(book, docname):
    nb = book.notebook(docname)
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        tags = cell.get("metadata", {}).get("tags", [])
        if errors:
            assert "raises-exception" in tags, f"{docname}: untagged error {errors[0].ename}"


@pytest.mark.parametrize("docname", chapter_docnames())
def test_chapter_seeds_its_randomness(docname):
    # in code, before the first cell that draws random numbers (a mention in prose does not count)
    code = code_sources(ROOT / f"{docname}.md")
    if any(re.search(r"^\s*(import torch|from torch)", source, re.M) for source in code):
        seeded = [i for i, source in enumerate(code) if re.search(r"^\s*torch\.manual_seed\(", source, re.M)]
        assert seeded, f"{docname} uses torch but no code cell calls torch.manual_seed"
        drawing = [i for i, source in enumerate(code)
                   if re.search(r"torch\.(rand|randn|randint|randperm|normal)\(", source)]
        assert not drawing or seeded[0] <= drawing[0], f"{docname} draws random numbers before seeding"


@pytest.mark.parametrize("docname", chapter_docnames())
def test_downloadable_notebook_is_the_executed_chapter(book, docname):
    page = (book.html / f"{docname}.html").read_text()
    assert f"_sources/{docname}.ipynb" in page.replace("../", ""), "no .ipynb download button"
    nb = nbformat.read(book.html / "_sources" / f"{docname}.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    assert not any(s.startswith(MARK) for s in sources), "the build's hidden cache-key cell was offered"
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")




def uses_package(docname: str) -> bool:
    """The chapter's code cells import some module of the package (as the build traces it)."""
    return bool(imported_modules(code_sources(ROOT / f"{docname}.md"), ROOT / "src" / "scratchbook"))


def test_build_status_page_lists_the_package_version_each_chapter_ran_with(book):
    page = (book.html / "book" / "appendix" / "build-status.html").read_text()
    table = page[page.index("bookbuild-versions"):]
    table = table[:table.index("</table>")]
    version = r'<code class="docutils literal notranslate"><span class="pre">([^<]+)</span>'
    rows = re.findall(r'<a class="reference internal" href="[^"]*">([^<]+)</a></p></td>\s*<td><p>'
                      rf'(?:{version}|(not used))', table)
    versions = {title: code or plain for title, code, plain in rows}
    assert len(versions) == len(chapter_docnames()), rows
    for title, version in versions.items():
        assert re.fullmatch(r"0\.1\.0\+g[0-9a-f]{10}|not used", version), (title, version)
    assert sum(v != "not used" for v in versions.values()) == sum(bool(uses_package(d)) for d in chapter_docnames())


def test_the_site_ships_the_wheel_the_api_page_names(book):
    wheels = sorted((book.html / "_downloads").glob("scratchbook-*.whl"))
    assert len(wheels) == 1, wheels
    api = (book.html / "book" / "appendix" / "api.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", api))
    assert wheels[0].name in api and "pip install https://" in text and "{{" not in text


@pytest.mark.parametrize("docname", chapter_docnames())
def test_colab_button_opens_a_notebook_the_build_offers(book, docname):
    import yaml

    template = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["book_colab_url"]
    prefix = template.split("{notebook}")[0]
    page = (book.html / f"{docname}.html").read_text()
    urls = re.findall(r'href="(' + re.escape(prefix) + r'[^"]+)"', page)
    assert len(urls) == 1, f"expected one Colab link, found {urls}"
    notebook = urls[0].removeprefix(prefix)
    assert (book.html / "_sources" / notebook).exists(), notebook
    assert notebook == f"{docname}.ipynb"
