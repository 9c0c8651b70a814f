"""What a downloaded notebook keeps of a chapter's code: everything but the build's own statements."""

from __future__ import annotations

import ast

from bookbuild.download import without_build_code


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
