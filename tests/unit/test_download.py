"""What a downloaded notebook keeps of a chapter's code: the page's cells, without the build's own statements."""

from __future__ import annotations

import ast

import nbformat

from bookbuild.download import SETUP_TEMPLATE, runnable_notebook, setup_cell, without_build_code


def test_glue_calls_and_myst_nb_imports_are_removed_at_any_depth():
    source = "from myst_nb import glue\nx = 1\nfor k in [1, 2]:\n    print(k)\n    glue(f'k_{k}', k)\nglue('x', x)"
    assert without_build_code(source) == "x = 1\nfor k in [1, 2]:\n    print(k)"


def test_a_block_of_only_glue_calls_keeps_a_pass_and_stays_python():
    out = without_build_code("for k in [1]:\n    glue('a', k)\n    glue('b', k)\nprint('done')")
    ast.parse(out)
    assert out == "for k in [1]:\n    pass\nprint('done')"


def test_code_that_is_not_python_is_left_alone():
    assert without_build_code("%%time\nglue('x', 1)") == "%%time\nglue('x', 1)"


def test_a_function_named_like_glue_in_an_attribute_is_kept():
    assert without_build_code("plt.glue(1)\nx.glue = 2") == "plt.glue(1)\nx.glue = 2"


NEEDS = [("torch", "torch==2.13.0"), ("matplotlib", "matplotlib"), ("sklearn", "scikit-learn==1.9.1")]


def test_the_setup_cell_compiles_with_every_placeholder_filled():
    code = setup_cell("0.1.0+gabc", "https://example.org/book/_downloads/", NEEDS)
    compile(code, "setup cell", "exec")
    assert "@" not in "".join(n.value for n in ast.walk(ast.parse(code))
                              if isinstance(n, ast.Constant) and isinstance(n.value, str))
    assert code.startswith("# Set-up for running this chapter outside the book")
    assert 'SCRATCHBOOK = "0.1.0+gabc"' in code and 'SITE = "https://example.org/book/_downloads/"' in code
    assert f"for name, spec in {NEEDS!r} if" in code


def test_a_value_with_quotes_stays_inside_its_string_literal():
    site = 'https://example.org/a"b\\\\c/'
    namespace = {}
    code = setup_cell("0.1.0", site, NEEDS)
    exec(code.split("\n\n\ndef _version")[0], namespace)  # only the constants: the rest installs
    assert namespace["SITE"] == site


def test_the_setup_cell_keeps_the_templates_code_without_its_docstring():
    template = SETUP_TEMPLATE.read_text()
    code = setup_cell("0.1.0", "", NEEDS)
    assert ast.get_docstring(ast.parse(template)) and not ast.get_docstring(ast.parse(code))
    assert template.rstrip().endswith(code.rstrip().splitlines()[-1])


def test_a_cell_the_page_removes_is_not_in_the_download_and_a_collapsed_one_is():
    cells = [nbformat.v4.new_markdown_cell("# A chapter"),
             nbformat.v4.new_code_cell("import math"),
             nbformat.v4.new_code_cell("half = math.pi / 2", metadata={"tags": ["remove-cell"]}),
             nbformat.v4.new_code_cell("print(math.tau)", metadata={"tags": ["hide-input"]})]
    nb = runnable_notebook(nbformat.v4.new_notebook(cells=cells), "0.1.0", "")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[1:] == ["import math", "print(math.tau)"]  # after the set-up cell: what the page shows
