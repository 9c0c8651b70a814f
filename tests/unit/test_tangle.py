"""src/scratchbook is exactly what the chapters' #@save cells tangle to."""

from __future__ import annotations

import ast
import shutil

import pytest

from booktest import ROOT
from booktools import tangle


def test_package_is_in_sync_with_the_chapters():
    problems = tangle.check(ROOT)
    assert not problems, "\n".join(problems)


@pytest.fixture
def copy_of_book(tmp_path):
    for name in ("_toc.yml", "book", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    tangle.write(tmp_path)  # start in sync, whatever state the working tree is in
    return tmp_path


def test_hand_edit_of_a_generated_module_is_reported_naming_the_chapter(copy_of_book):
    module = copy_of_book / "src" / "scratchbook" / "conventions.py"
    module.write_text(module.read_text() + "\nEDITED = True\n")
    problems = tangle.check(copy_of_book)
    assert len(problems) == 1
    assert "src/scratchbook/conventions.py" in problems[0]
    assert "book/toolkit/conventions.md" in problems[0] and "make tangle" in problems[0]


def test_forgotten_tangle_after_editing_a_chapter_is_reported(copy_of_book):
    chapter = copy_of_book / "book" / "toolkit" / "conventions.md"
    chapter.write_text(chapter.read_text().replace('"font.size": 10', '"font.size": 11'))
    problems = tangle.check(copy_of_book)
    assert any("book/toolkit/conventions.md" in p for p in problems)
    tangle.write(copy_of_book)
    assert tangle.check(copy_of_book) == []


def test_generated_module_that_no_chapter_saves_is_reported_and_removed(copy_of_book):
    stale = copy_of_book / "src" / "scratchbook" / "gone.py"
    stale.write_text(f'"""Old.\n\nFrom book/gone.md: {tangle.GENERATED}."""\n')
    assert any("gone.py" in p for p in tangle.check(copy_of_book))
    tangle.write(copy_of_book)
    assert not stale.exists()


def test_every_generated_module_names_its_chapter_and_says_not_to_edit_it():
    for path in (ROOT / "src" / "scratchbook").glob("*.py"):
        head = path.read_text()[:400]
        assert tangle.GENERATED in head, path
        if path.name != "__init__.py":
            assert "From book/" in head, path


def test_every_saved_function_docstring_points_back_to_its_chapter():
    for path in (ROOT / "src" / "scratchbook").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                doc = ast.get_docstring(node) or ""
                assert 'Defined in chapter "' in doc and "(book/" in doc, f"{path.name}: {node.name}"


def test_package_exports_every_public_saved_name():
    import scratchbook

    for path in (ROOT / "src" / "scratchbook").glob("*.py"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert node.name in scratchbook.__all__, node.name


def test_saved_function_without_docstring_is_refused(tmp_path):
    with pytest.raises(tangle.TangleError, match="without a docstring"):
        tangle._add_back_pointer("def f():\n    return 1\n", "Defined in x.", "book/x.md")


def test_back_pointer_is_added_to_one_line_and_multi_line_docstrings():
    one = tangle._add_back_pointer('def f():\n    """Do it."""\n    return 1\n', "Defined in X.", "x")
    many = tangle._add_back_pointer('def g():\n    """Do it.\n\n    More.\n    """\n', "Defined in X.", "x")
    for source, name in ((one, "f"), (many, "g")):
        namespace = {}
        exec(source, namespace)
        assert namespace[name].__doc__.rstrip().endswith("Defined in X."), source


def two_chapter_book(tmp_path, first: str, second: str, first_cell: str, second_cell: str):
    """A book folder whose _toc.yml lists two chapters, each with one #@save cell."""
    (tmp_path / "_toc.yml").write_text(f"format: jb-book\nroot: index\nchapters:\n- file: {first}\n- file: {second}\n")
    (tmp_path / "index.md").write_text("# Index\n")
    for name, cell in ((first, first_cell), (second, second_cell)):
        path = tmp_path / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n\n```{{code-cell}} ipython3\n#@save\n{cell}\n```\n")
    return tmp_path


SAVED_F = 'def f():\n    """F."""\n    return 1'
SAVED_G = 'def g():\n    """G."""\n    return 2'


def test_two_chapters_with_the_same_file_name_fail_the_tangle_naming_both(tmp_path):
    root = two_chapter_book(tmp_path, "a/data", "b/data", SAVED_F, SAVED_G)
    with pytest.raises(tangle.TangleError, match=r"a/data\.md and b/data\.md would both write scratchbook/data\.py"):
        tangle.tangle(root)


def test_a_public_name_saved_by_two_chapters_fails_the_tangle_naming_both(tmp_path):
    root = two_chapter_book(tmp_path, "one", "two", SAVED_F, SAVED_F)
    with pytest.raises(tangle.TangleError, match=r"`f` is saved by both one\.md and two\.md"):
        tangle.tangle(root)


def test_init_lists_modules_in_toc_order_not_file_name_order(tmp_path):
    root = two_chapter_book(tmp_path, "zebra", "alpha", SAVED_F, SAVED_G)
    init = tangle.tangle(root)[root / "src" / "scratchbook" / "__init__.py"]
    assert init.index("from .zebra import f") < init.index("from .alpha import g")


def test_one_line_docstring_gets_one_blank_line_before_the_back_pointer():
    out = tangle._add_back_pointer('def f():\n    """Do it."""\n    return 1\n', "Defined in X.", "x")
    assert out == 'def f():\n    """Do it.\n\n    Defined in X.\n    """\n    return 1'


def test_generated_docstrings_never_hold_two_blank_lines_in_a_row():
    for path in (ROOT / "src" / "scratchbook").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                doc = ast.get_docstring(node, clean=False) or ""
                assert "\n\n\n" not in doc.replace(" ", ""), f"{path.name}: {node.name}"


SAVED_CHECK = ('def _check_even(name, value):\n    """Raise unless value is even."""\n'
               '    if value % 2:\n        raise ValueError(name)')


def chapter_with_cells(tmp_path, *cells: str):
    """A one-chapter book whose chapter `one.md` holds the given code cells, in order."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n- file: one\n")
    (tmp_path / "index.md").write_text("# Index\n")
    body = "".join(f"```{{code-cell}} ipython3\n{cell}\n```\n\n" for cell in cells)
    (tmp_path / "one.md").write_text(f"# One\n\n{body}")
    return tmp_path


def test_a_save_checks_cell_tangles_into_the_checks_module_which_exports_nothing(tmp_path):
    root = chapter_with_cells(tmp_path, f"#@save\nfrom scratchbook.checks import _check_even\n\n\n{SAVED_F}",
                              f"#@save checks\n{SAVED_CHECK}")
    files = tangle.tangle(root)
    package = root / "src" / "scratchbook"
    assert "def _check_even(" in files[package / "checks.py"] and "From one.md" in files[package / "checks.py"]
    assert "from .checks import _check_even" in files[package / "one.py"]
    assert "checks" not in files[package / "__init__.py"]


def test_importing_a_private_name_of_a_chapters_module_fails_the_tangle(tmp_path):
    root = two_chapter_book(tmp_path, "one", "two", SAVED_CHECK,
                            f"from scratchbook.one import _check_even\n\n\n{SAVED_G}")
    with pytest.raises(tangle.TangleError, match=r"two\.md imports `_check_even`, a private name of scratchbook\.one"):
        tangle.tangle(root)


def test_importing_a_check_no_cell_saves_fails_the_tangle(tmp_path):
    root = chapter_with_cells(tmp_path, f"#@save\nfrom scratchbook.checks import _check_odd\n\n\n{SAVED_F}",
                              f"#@save checks\n{SAVED_CHECK}")
    with pytest.raises(tangle.TangleError, match=r"`_check_odd` is not saved in scratchbook\.checks"):
        tangle.tangle(root)


def test_a_public_name_in_the_checks_module_fails_the_tangle(tmp_path):
    root = chapter_with_cells(tmp_path, f"#@save checks\n{SAVED_F}")
    with pytest.raises(tangle.TangleError, match="give `f` a leading underscore"):
        tangle.tangle(root)


def test_no_generated_module_imports_a_private_name_except_from_checks():
    for path in (ROOT / "src" / "scratchbook").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("scratchbook")):
                module = (node.module or "").removeprefix("scratchbook.")
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private or (node.level == 1 and module == "checks"), f"{path.name}: {private}"
