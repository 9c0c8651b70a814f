"""Part I, the tensor toolkit: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so that adding a cell does not break a test but changing
what a cell computes does.
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys

import pytest
import torch

from booktest import ROOT, cell, cell_outputs_text, code_cells, error_of, figure_cell, glued_values, text

CHAPTERS = {
    "normal": "torch.normal",
    "arange": "torch.arange",
    "randn": "torch.randn",
    "matmul": "torch.matmul",
    "scatter": "plt.scatter",
}
OFFICIAL_PAGES = {
    "normal": ["https://pytorch.org/docs/stable/generated/torch.normal.html"],
    "arange": ["https://pytorch.org/docs/stable/generated/torch.arange.html"],
    "randn": ["https://pytorch.org/docs/stable/generated/torch.randn.html"],
    "matmul": ["https://pytorch.org/docs/stable/generated/torch.matmul.html"],
    "scatter": [
        "https://matplotlib.org/stable/api/_as_gen/matplotlib.axes.Axes.scatter.html",
        "https://matplotlib.org/stable/api/_as_gen/matplotlib.pyplot.scatter.html",
    ],
}
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e-?\d+)?")


def docname(chapter: str) -> str:
    return f"book/toolkit/{chapter}"


def numbers(s: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(s)]


def has_png(c) -> bool:
    return any("image/png" in o.get("data", {}) for o in c.outputs)


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def page(book, chapter: str) -> str:
    return (book.html / f"{docname(chapter)}.html").read_text(encoding="utf-8")


def glued_float(nb, name: str) -> float:
    return float(glued_values(nb)[name])


def one_line(s: str) -> str:
    """Markdown with its line breaks folded, as a reader sees the sentences."""
    return re.sub(r"\s*\n\s*", " ", s)


# Every chapter of Part I, including the conventions, whose title names no API.
PART_ONE = ["conventions", *CHAPTERS]


@pytest.fixture(scope="module")
def nbs(book):
    return {chapter: book.notebook(docname(chapter)) for chapter in PART_ONE}


# ---------------------------------------------------------------- every chapter


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_title_names_the_api(nbs, chapter):
    titles = re.findall(r"^# (.+)$", markdown(nbs[chapter]), flags=re.M)
    assert titles == [f"`{CHAPTERS[chapter]}`"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_links_to_the_official_documentation(book, chapter):
    html = page(book, chapter)
    for url in OFFICIAL_PAGES[chapter]:
        assert f'href="{url}"' in html


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_cross_references_part_two(book, chapter):
    assert re.search(r'href="\.\./scratch/(data|minibatches|model|training)\.html', page(book, chapter))


@pytest.mark.parametrize("chapter", PART_ONE)
def test_no_cell_fails_unless_tagged_raises_exception(nbs, chapter):
    for c in code_cells(nbs[chapter]):
        raised = any(o.output_type == "error" for o in c.outputs)
        assert raised == ("raises-exception" in c.metadata.get("tags", [])), c.source


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_outputs_hold_no_memory_addresses(nbs, chapter):
    for c in code_cells(nbs[chapter]):
        assert not re.search(r" at 0x[0-9a-f]+", cell_outputs_text(c)), c.source


def is_glue_statement(node: ast.stmt) -> bool:
    """`from myst_nb import glue`, or a call of glue."""
    if isinstance(node, ast.ImportFrom):
        return node.module == "myst_nb" and [a.name for a in node.names] == ["glue"]
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "glue")


@pytest.mark.parametrize("chapter", PART_ONE)
def test_glue_is_hidden_in_cells_that_only_glue(nbs, chapter):
    # the reader sees the computation; the cell that hands its values to the prose is build-only
    for c in code_cells(nbs[chapter]):
        calls_glue = re.search(r"^glue\(", c.source, flags=re.M)
        if calls_glue:
            assert "remove-cell" in c.metadata.get("tags", []), c.source
            assert all(is_glue_statement(node) for node in ast.parse(c.source).body), c.source


@pytest.mark.parametrize("chapter", PART_ONE)
def test_visible_code_never_imports_the_build_tools(nbs, chapter):
    # copied in order, the visible cells are the reader's program: glue is the build's business
    for c in code_cells(nbs[chapter]):
        if "remove-cell" not in c.metadata.get("tags", []):
            assert "myst_nb" not in c.source, c.source


@pytest.mark.parametrize("chapter", PART_ONE)
def test_every_figure_has_a_caption_alt_text_and_a_reference(nbs, chapter):
    nb = nbs[chapter]
    prose = markdown(nb)
    for c in code_cells(nb):
        if not has_png(c):
            continue
        meta = c.metadata.get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        if "raises-exception" in c.metadata.get("tags", []):
            # a cell meant to fail shows the empty axes it made: no figure, but still alt text
            assert len(image.get("alt", "").split()) >= 5, f"alt text for the image of {c.source[:60]!r}"
            continue
        assert figure.get("caption") and figure.get("name", "").startswith(f"fig-{chapter}-"), c.source
        assert len(image.get("alt", "").split()) >= 8, f"{figure['name']} needs alt text that says what it shows"
        assert f"{{numref}}`{figure['name']}`" in prose, figure["name"]


@pytest.mark.parametrize("chapter", PART_ONE)
def test_glued_values_are_the_ones_the_prose_quotes(nbs, chapter):
    nb = nbs[chapter]
    names = set(glued_values(nb))
    referenced = set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", markdown(nb)))
    assert referenced == names
    assert all(name.startswith(f"{chapter}_") for name in names)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercises_have_executed_solutions(nbs, chapter):
    nb = nbs[chapter]
    assert 2 <= markdown(nb).count("```{exercise}") <= 3
    inside, solution_cells = False, []
    for c in nb.cells:
        if c.cell_type == "markdown":
            start, end = c.source.rfind("{solution-start}"), c.source.rfind("{solution-end}")
            if start >= 0 or end >= 0:
                inside = start > end
        elif inside:
            solution_cells.append(c)
    assert len(solution_cells) >= 2
    assert all(c.outputs for c in solution_cells)


# ---------------------------------------------------------------- conventions


def test_conventions_seeding_again_restarts_the_sequence(nbs):
    first, again = (cell_outputs_text(c).strip() for c in code_cells(nbs["conventions"])
                    if c.source.strip().endswith("torch.manual_seed(0)\ntorch.rand(3)"))
    assert len(numbers(first)) == 3 and first == again


def test_conventions_notation_says_labels_are_a_column_and_indices_start_at_zero(nbs):
    prose = one_line(markdown(nbs["conventions"]))
    assert re.search(r"\| `y`, `labels` \| `\(n, 1\)` \|", prose)
    assert "count from 1" in prose and "count from 0" in prose
    assert "`torch.Generator`" in prose and "not Python generators" in prose


def test_conventions_seed_promise_is_bounded_by_release_platform_and_device(nbs):
    # PyTorch guarantees no identical streams across releases, platforms, or CPU and GPU
    prose = one_line(markdown(nbs["conventions"]))
    seeds = prose.split("## Seeds", 1)[1].split("## ", 1)[0]
    assert "notes/randomness.html" in seeds
    for bound in ["release", "platform", "GPU"]:
        assert bound in seeds, bound
    summary = prose.split("## Summary", 1)[1]
    assert "release" in summary and "platform" in summary


def fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter that imports this checkout's package."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env, cwd=ROOT).stdout


def test_importing_the_package_does_not_import_pyplot():
    # the book style is applied on demand; code that never draws pays nothing for it
    assert fresh_python("import sys, scratchbook; print('matplotlib.pyplot' in sys.modules)").split() == ["False"]
    # and the style function still imports it when called
    code = "import sys, scratchbook; scratchbook.use_book_style(); print('matplotlib.pyplot' in sys.modules)"
    assert fresh_python(code).split() == ["True"]


def test_book_style_settings_are_private():
    code = "import scratchbook; print('BOOK_STYLE' in dir(scratchbook), '_BOOK_STYLE' in scratchbook.__all__)"
    assert fresh_python(code).split() == ["False", "False"]


# ---------------------------------------------------------------- torch.normal


def test_normal_scalar_arguments_give_requested_shape(nbs):
    nb = nbs["normal"]
    assert len(numbers(text(nb, "x = torch.normal(2, 3, size=(1, 4))"))) == 4
    assert text(nb, "x.shape, x.dtype") == "(torch.Size([1, 4]), torch.float32)"


def test_normal_without_size_raises_type_error_listing_size(nbs):
    err = error_of(cell(nbs["normal"], "torch.normal(0.0, 1.0)"))
    assert err.ename == "TypeError"
    assert "tuple of ints size" in err.evalue


def test_normal_tensor_arguments_draw_one_value_per_element(nbs):
    nb = nbs["normal"]
    values = numbers(text(nb, "torch.normal(mean, std)"))
    assert len(values) == 3
    assert abs(values[0]) < 4 and abs(values[1] - 10) < 4 and abs(values[2] - 100) < 0.04
    shared_std = text(nb, "torch.normal(torch.zeros(2, 3), 0.1)")
    assert len(numbers(shared_std)) == 2 * 3 and shared_std.count("[") == 3


def test_normal_per_element_std_sets_each_spread(nbs):
    first, middle, last = numbers(text(nbs["normal"], "torch.normal(5.0, torch.tensor([0.001, 0.1, 10.0]))"))
    # the prose: the first differs from 5 only in the third decimal, the last by more than 1
    assert abs(first - 5) < 0.01
    assert abs(last - 5) > 1


def test_normal_sample_statistics_match_arguments(nbs):
    values = glued_values(nbs["normal"])
    mean, std = float(values["normal_sample_mean"]), float(values["normal_sample_std"])
    std_error = float(values["normal_std_error"])
    assert std_error == pytest.approx(3 / math.sqrt(100_000))
    assert abs(mean - 2) < 4 * std_error
    assert std == pytest.approx(3, rel=0.02)
    assert float(values["normal_within_one_std"]) == pytest.approx(68.27, abs=1.0)
    # the prose: the mean is this many standard errors away, "the kind of difference to expect"
    assert float(values["normal_mean_errors"]) == pytest.approx(abs(mean - 2) / std_error)
    assert float(values["normal_mean_errors"]) < 3


def test_normal_histogram_follows_the_density_everywhere(nbs):
    values = glued_values(nbs["normal"])
    peak = float(values["normal_peak_density"])
    assert peak == pytest.approx(1 / (3 * math.sqrt(2 * math.pi)))
    assert float(values["normal_hist_max_gap"]) < 0.05 * peak
    # the prose quotes the gap as a share of the peak, in whole percent
    assert float(values["normal_hist_gap_percent"]) == pytest.approx(
        100 * float(values["normal_hist_max_gap"]) / peak)


def test_normal_second_argument_is_standard_deviation(nbs):
    values = glued_values(nbs["normal"])
    assert float(values["normal_noise_std"]) == pytest.approx(0.01, rel=0.02)
    assert float(values["normal_too_small_std"]) == pytest.approx(0.0001, rel=0.02)
    assert float(values["normal_std_ratio"]) == pytest.approx(100, rel=0.05)  # "a hundred times smaller"


def test_normal_exercises_variance_row_means_and_standard_error(nbs):
    nb = nbs["normal"]
    (variance,) = numbers(text(nb, "torch.normal(0, 2, size=(100_000,)).var()"))
    assert abs(variance - 4) < 0.1  # close to 4, not 2
    *_, low, middle, high = numbers(text(nb, "draws.shape, draws.mean(dim=1)"))
    assert [round(v) for v in (low, middle, high)] == [-5, 0, 5]
    out = text(nb, "for size in [100, 10_000, 100_000]:")
    rows = re.findall(r"rms \|mean - 2\| = ([\d.]+), 3/sqrt\(n\) = ([\d.]+)", out)
    assert len(rows) == 3
    worst = float(glued_values(nb)["normal_rms_worst_percent"])
    for rms, expected in rows:  # "within {worst} % of 3/sqrt(n) at every size"
        assert abs(float(rms) / float(expected) - 1) <= worst / 100 + 1e-3
    assert worst < 25  # what a root mean square of 20 errors allows, a sixth give or take
    # the measured shrinking from 100 to 10 000 draws, against the rule's ten
    shrink = float(glued_values(nb)["normal_rms_shrink"])
    assert shrink == pytest.approx(float(rows[0][0]) / float(rows[1][0]), rel=0.01)
    # the Going deeper box: within two uncertainties, sqrt(2) / sqrt(2 * 20) each, of the rule's 10
    spread = math.sqrt(2) / math.sqrt(2 * 20)
    assert 10 * (1 - 2 * spread) < shrink < 10 * (1 + 2 * spread)
    assert "Going deeper" in markdown(nb)


def test_normal_histogram_figure_is_drawn(nbs):
    c = figure_cell(nbs["normal"], "fig-normal-hist")
    assert has_png(c)
    assert "density=True" in c.source


def test_normal_quotes_the_calls_part_two_makes(book, nbs):
    data = "\n".join(c.source for c in code_cells(book.notebook("book/scratch/data")))
    prose = one_line(markdown(nbs["normal"]))
    for call in ["torch.normal(0, 1, (num_examples, len(w)), generator=generator)",
                 "torch.normal(0, 0.01, y.shape, generator=generator)"]:
        assert call in data and f"`{call}`" in prose, call


def test_normal_initial_weights_are_a_tracked_column(nbs):
    out = text(nbs["normal"], "w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)")
    assert "requires_grad=True" in out
    assert out.count("[") == 3  # two rows of one value


# ---------------------------------------------------------------- torch.arange


@pytest.mark.parametrize(
    "line, printed",
    [
        ("torch.arange(5)", "tensor([0, 1, 2, 3, 4])"),
        ("torch.arange(1, 4)", "tensor([1, 2, 3])"),
        ("torch.arange(1, 2.5, 0.5)", "tensor([1.0000, 1.5000, 2.0000])"),
        ("torch.arange(0, 0.3, 0.1)", "tensor([0.0000, 0.1000, 0.2000])"),
    ],
)
def test_arange_prints_exactly(nbs, line, printed):
    assert text(nbs["arange"], line) == printed


def test_arange_length_is_ceil_of_span_over_step(nbs):
    out = text(nbs["arange"], "for start, end, step in cases:")
    rows = re.findall(r"arange\(([^)]*)\)\s+length (\d+) = ceil\([^)]*\) -> \[([^\]]*)\]", out)
    assert len(rows) >= 5
    steps = []
    for args, length, values in rows:
        start, end, step = (float(a) for a in args.split(","))
        values = numbers(values)
        assert int(length) == len(values) == math.ceil((end - start) / step)
        # half-open: every value on the start side of end, the first equal to start
        assert values[0] == start and all((v - end) * step < 0 for v in values)
        steps.append(step)
    assert any(s < 0 for s in steps) and any(s != int(s) for s in steps)


def test_arange_length_check_asserts_both_ends_its_comment_names(nbs):
    source = cell(nbs["arange"], "for start, end, step in cases:").source
    assert "lies in [start, end)" in source
    assert "(values - start) * step >= 0" in source and "(values - end) * step < 0" in source


def test_arange_mean_of_integers_fails_on_dtype_inference_not_on_meaning(nbs):
    err = error_of(cell(nbs["arange"], "torch.arange(5).mean()"))
    assert "dtype" in err.evalue  # PyTorch declines to infer a float dtype
    assert "will not choose a floating-point type" in one_line(markdown(nbs["arange"]))


def test_arange_infers_int64_from_integers_and_float32_from_floats(nbs):
    out = text(nbs["arange"], "for args in [(5,), (5.0,), (0, 5, 1), (0, 5, 0.5)]:")
    dtypes = dict(re.findall(r"torch\.arange(\(.*?\))\s+-> torch\.(\w+)", out))
    assert dtypes == {"(5,)": "int64", "(5.0,)": "float32", "(0, 5, 1)": "int64", "(0, 5, 0.5)": "float32"}
    assert error_of(cell(nbs["arange"], "torch.arange(5).mean()")).ename == "RuntimeError"


def test_arange_index_tensors_must_be_integer_or_bool(nbs):
    # the prose: a float tensor is refused as an index, integers and boolean masks are not
    prose = one_line(markdown(nbs["arange"]))
    assert "must hold integers (or booleans" in prose
    rows = torch.arange(12.0).reshape(4, 3)
    assert torch.equal(rows[torch.arange(2)], rows[:2])
    assert torch.equal(rows[torch.tensor([True, False, True, False])], rows[[0, 2]])
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        rows[torch.arange(2, dtype=torch.float32)]


def test_arange_half_open_interval_flips_for_a_negative_step(nbs):
    prose = one_line(markdown(nbs["arange"]))
    assert prose.count(r"$(\text{end}, \text{start}]$") >= 2  # the signature and the summary
    values = torch.arange(10, 0, -2)
    assert values.max() == 10 and values.min() > 0


def test_arange_default_float_dtype_is_the_global_default(nbs):
    assert "torch.get_default_dtype()" in markdown(nbs["arange"])
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.arange(0, 5, 0.5).dtype == torch.float64
    finally:
        torch.set_default_dtype(previous)


def test_arange_linspace_and_scaled_integers_agree_for_11_points_not_always_bit_for_bit(nbs):
    # the exercise: exact for 11 points, a last-bit difference for 101, hence the tolerance
    assert text(nbs["arange"], "b = torch.arange(0, 11) / 10") == "(11, 11, True)"
    assert torch.equal(torch.linspace(0, 1, 11), torch.arange(0, 11) / 10)
    a, b = torch.linspace(0, 1, 101), torch.arange(0, 101) / 100
    assert not torch.equal(a, b) and torch.allclose(a, b)


def test_arange_fractional_step_includes_the_end(nbs):
    values = glued_values(nbs["arange"])
    assert int(values["arange_trap_length"]) == 4
    assert float(values["arange_trap_last"]) == pytest.approx(1.3)
    assert float(values["arange_trap_quotient"]) > 3
    assert text(nbs["arange"], "surprise = torch.arange(1, 1.3, 0.1)").startswith(
        "tensor([1.0000, 1.1000, 1.2000, 1.3000])"
    )


def test_arange_alternatives_give_the_intended_three_points(nbs):
    out = text(nbs["arange"], "torch.linspace(1, 1.2, 3), torch.arange(10, 13) / 10")
    assert out == "(tensor([1.0000, 1.1000, 1.2000]), tensor([1.0000, 1.1000, 1.2000]))"
    assert has_png(figure_cell(nbs["arange"], "fig-arange-trap"))


def test_arange_indices_are_what_randperm_shuffles(nbs):
    first, second = text(nbs["arange"], "shuffled = torch.randperm(n)").split("tensor(")[1:]
    assert numbers(first) == list(range(10))
    assert sorted(numbers(second)) == list(range(10)) and numbers(second) != list(range(10))


def test_arange_exercise_lists_only_ends_whose_quotient_rounds_up(nbs):
    out = text(nbs["arange"], "length = len(torch.arange(1, end, 0.1))")
    rows = re.findall(r"end = ([\d.]+): (\d+) values instead of (\d+), \(end - 1\) / 0\.1 = ([\d.]+)", out)
    assert "1.3" in [end for end, *_ in rows]
    for _, length, k, quotient in rows:
        assert int(length) == int(k) + 1 and float(quotient) > int(k)
    # "starting from 0 instead of 1, the ends all behave"
    assert text(nbs["arange"], "[k for k in range(1, 11) if len(torch.arange(0, k / 10, 0.1)) != k]") == "[]"


# ---------------------------------------------------------------- torch.randn


@pytest.mark.parametrize("line", ["torch.randn(2, 3)", "torch.randn([2, 3])", "torch.randn((2, 3))"])
def test_randn_shape_spellings_each_give_two_by_three(nbs, line):
    out = text(nbs["randn"], line)
    assert len(numbers(out)) == 6 and out.count("[") == 3


def test_randn_shape_spellings_agree(nbs):
    out = text(nbs["randn"], "shapes = [torch.randn(2, 3).shape, torch.randn([2, 3]).shape, torch.randn((2, 3)).shape]")
    assert out == "[torch.Size([2, 3]), torch.Size([2, 3]), torch.Size([2, 3])]"
    assert text(nbs["randn"], "torch.randn(4).shape, torch.randn(()).shape") == "(torch.Size([4]), torch.Size([]))"


def test_randn_is_normal_zero_one(nbs):
    assert glued_values(nbs["randn"])["randn_equals_normal"] == "True"
    assert text(nbs["randn"], "torch.allclose(shifted, direct)") == "True"


def test_randn_sample_columns_are_standard_normal(nbs):
    values = glued_values(nbs["randn"])
    means = [float(values[f"randn_col_mean_{j}"]) for j in (0, 1)]
    stds = [float(values[f"randn_col_std_{j}"]) for j in (0, 1)]
    # 1000 draws: standard error of a mean 1/sqrt(1000) ~ 0.032
    assert len(means) == len(stds) == 2
    assert all(abs(m) < 0.1 for m in means) and all(abs(s - 1) < 0.1 for s in stds)
    assert has_png(figure_cell(nbs["randn"], "fig-randn-cloud"))
    # "most points within two units": for a standard normal in 2-D, P(r < 2) = 1 - exp(-2) ~ 86.5 %
    assert float(values["randn_within_two"]) == pytest.approx(100 * (1 - math.exp(-2)), abs=3)


def test_randn_default_dtype_is_the_global_default_not_always_float32(nbs):
    assert "torch.get_default_dtype()" in markdown(nbs["randn"])
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.randn(2).dtype == torch.float64
    finally:
        torch.set_default_dtype(previous)
    assert torch.randn(2).dtype == previous


def test_randn_with_a_generator_draws_what_normal_draws_as_the_prose_says(nbs):
    prose = one_line(markdown(nbs["randn"]))
    assert "`torch.normal(0, 1, (num_examples, len(w)), generator=generator)`" in prose
    assert "`torch.randn(num_examples, len(w), generator=generator)`" in prose
    for size in [(5, 2), (1000, 2)]:  # small and vectorized sizes
        normal = torch.normal(0, 1, size, generator=torch.Generator().manual_seed(0))
        randn = torch.randn(*size, generator=torch.Generator().manual_seed(0))
        assert torch.equal(normal, randn)


def test_randn_seed_and_generator_reproduce_draws(nbs):
    out = text(nbs["randn"], "again = torch.randn(3)")
    first, again = out.split("tensor(")[1:3]
    assert numbers(first) == numbers(again) and out.endswith("True)")
    x1, x2 = text(nbs["randn"], "x2 = torch.randn(3, generator=g)").split("tensor(")[1:]
    assert numbers(x1) == numbers(x2)


def test_randn_exercise_tail_fraction_matches_erfc(nbs):
    sample, exact = numbers(text(nbs["randn"], "z = torch.randn(100_000)"))
    assert exact == pytest.approx(0.0455, abs=1e-4)
    assert sample == pytest.approx(exact, abs=0.001)  # "to about three decimals"


# ---------------------------------------------------------------- torch.matmul


def test_matmul_of_two_vectors_is_zero_dimensional(nbs):
    nb = nbs["matmul"]
    assert text(nb, "dot.shape, dot.dim()") == "(torch.Size([]), 0)"
    assert re.fullmatch(r"tensor\(-?[\d.]+\)", text(nb, "dot = torch.matmul(a, b)"))
    assert re.fullmatch(r"\('float', -?[\d.]+, True\)",
                        text(nb, "type(dot.item()).__name__, round(dot.item(), 4), torch.allclose(dot, (a * b).sum())"))


def test_matmul_table_shapes_for_one_and_two_dimensional_input_with_a_batch(nbs):
    prose = markdown(nbs["matmul"])
    assert "`(4,) @ (5, 4, 6)` gives `(5, 6)`" in prose
    assert (torch.randn(4) @ torch.randn(5, 4, 6)).shape == (5, 6)
    assert (torch.randn(3, 4) @ torch.randn(5, 4, 6)).shape == (5, 3, 6)


def test_matmul_teaches_the_boolean_mask_before_using_it(nbs):
    nb = nbs["matmul"]
    mask_use = next(i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and "~torch.eye(10, dtype=torch.bool)" in c.source)
    before = one_line("\n".join(c.source for c in nb.cells[:mask_use] if c.cell_type == "markdown"))
    assert "*mask*" in before and "`~`" in before
    assert "dtype=torch.bool" not in "\n".join(c.source for c in nb.cells[:mask_use] if c.cell_type == "code")


def test_matmul_three_by_four_times_four_by_five(nbs):
    nb = nbs["matmul"]
    assert text(nb, "torch.matmul(A, B).shape") == "torch.Size([3, 5])"
    assert text(nb, "torch.allclose(C[1, 2], A[1] @ B[:, 2])") == "True"
    assert text(nb, "torch.equal(A @ B, torch.matmul(A, B))") == "True"


def test_matmul_vector_versus_column_weights(nbs):
    nb = nbs["matmul"]
    assert text(nb, "y_vec = torch.matmul(X, true_w)") == "torch.Size([1000])"
    assert text(nb, "y_col = torch.matmul(X, w)") == "torch.Size([1000, 1])"
    assert text(nb, "torch.equal(y_vec, y_col.reshape(-1))") == "True"
    assert glued_values(nbs["matmul"])["matmul_pairwise_shape"] == "(1000, 1000)"
    assert text(nb, "pairwise = y_col - y_vec").startswith("(torch.Size([1000, 1000]), torch.Size([1000, 1]))")


def test_matmul_figures_are_drawn(nbs):
    assert has_png(figure_cell(nbs["matmul"], "fig-matmul-blocks"))
    c = figure_cell(nbs["matmul"], "fig-matmul-pairwise")
    assert has_png(c) and "small = y_col[:10] - y_vec[:10]" in c.source


def test_matmul_small_broadcast_is_square_with_a_zero_diagonal(nbs):
    nb = nbs["matmul"]
    out = text(nb, "small.shape, small.diagonal().abs().max(), off_diagonal.abs().max()")
    assert out.startswith("(torch.Size([10, 10]), tensor(0.), tensor(")
    values = glued_values(nb)
    assert int(values["matmul_off_diagonal"]) == 10 * 10 - 10
    assert float(values["matmul_off_diagonal_max"]) > 1  # unrelated examples differ by whole units


def test_matmul_describes_the_labels_part_two_makes(book, nbs):
    data = "\n".join(c.source for c in code_cells(book.notebook("book/scratch/data")))
    prose = one_line(markdown(nbs["matmul"]))
    assert "X @ w + b" in data and "`X @ w + b`" in prose
    assert "y.reshape(-1, 1)" in data and "column of shape `(n, 1)`" in prose


def test_matmul_broadcasts_batch_dimensions(nbs):
    nb = nbs["matmul"]
    assert text(nb, "batched = batch_left @ batch_right") == "torch.Size([2, 5, 3, 6])"
    assert text(nb, "torch.allclose(batched[1, 3], batch_left[1, 0] @ batch_right[3])") == "True"


def test_matmul_matrix_times_a_batch_reuses_the_matrix(nbs):
    nb = nbs["matmul"]
    assert text(nb, "(A @ batch_right).shape, torch.allclose((A @ batch_right)[4], A @ batch_right[4])") \
        == "(torch.Size([5, 3, 6]), True)"
    assert "`(3, 4) @ (5, 4, 6)` gives `(5, 3, 6)`" in markdown(nb)  # the table's row for this case


def test_matmul_shape_mismatch_raises_the_quoted_error(nbs):
    nb = nbs["matmul"]
    err = error_of(cell(nb, "A @ torch.randn(3, 4)"))
    assert err.ename == "RuntimeError"
    assert err.evalue == "mat1 and mat2 shapes cannot be multiplied (3x4 and 3x4)"
    assert "`mat1 and mat2 shapes cannot be multiplied`" in markdown(nb)
    assert text(nb, "(A @ torch.randn(3, 4).T).shape") == "torch.Size([3, 3])"


def test_matmul_exercise_shapes(nbs):
    line = "(torch.randn(4) @ torch.randn(4, 2)).shape, (torch.randn(7, 1, 4) @ torch.randn(4)).shape"
    out = text(nbs["matmul"], line)
    assert out == "(torch.Size([2]), torch.Size([7, 1]))"


def test_matmul_exercise_only_the_reshape_gives_the_mean_squared_error(nbs):
    line = "((y_hat - y.reshape(y_hat.shape)) ** 2).mean(), ((y_hat - y) ** 2).mean()"
    reshaped, broadcast = numbers(text(nbs["matmul"], line))
    assert reshaped == pytest.approx(0.01, abs=1e-4)
    assert broadcast > 10 * reshaped  # the pairwise spread swamps the error


# ---------------------------------------------------------------- plt.scatter


def test_scatter_gallery_shows_each_parameter(nbs):
    c = figure_cell(nbs["scatter"], "fig-scatter-gallery")
    assert has_png(c)
    for parameter in ["s=", "c=", "marker=", "alpha=", "linewidths=", "edgecolors="]:
        assert f", {parameter}" in c.source, parameter


def test_scatter_gallery_titles_name_what_each_panel_changes(nbs):
    source = figure_cell(nbs["scatter"], "fig-scatter-gallery").source
    calls = dict(re.findall(r"ax\[(\d)\]\.scatter\(x, y(.*?)\)\n", source, flags=re.S))
    titles = dict(re.findall(r"ax\[(\d)\]\.set_title\((.*)\)", source))
    assert sorted(calls) == sorted(titles) == [str(k) for k in range(8)]
    assert calls["0"] == ""  # the defaults
    for panel in "123":  # "the next three change one parameter each", c with its colormap named
        (changed,) = set(re.findall(r"(\w+)=", calls[panel])) - {"cmap"}
        assert f"{changed} =" in titles[panel], (panel, titles[panel])


def test_scatter_linewidths_with_face_edges_only_enlarge_the_marker(nbs):
    # the prose: with edgecolors "face" a wider outline is painted in the fill color
    prose = one_line(markdown(nbs["scatter"]))
    assert "only makes the markers look bigger" in prose
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    markers = ax.scatter([0, 1], [0, 1], linewidths=4)
    assert (markers.get_edgecolor() == markers.get_facecolor()).all()
    plt.close(fig)


def test_scatter_of_tensor_requiring_grad_raises(nbs):
    nb = nbs["scatter"]
    assert text(nb, "y_hat.requires_grad") == "True"
    err = error_of(cell(nb, "ax.scatter(X[:, 0], y_hat)"))
    assert err.ename == "RuntimeError"
    # the prose quotes the message word for word
    assert f"`{err.evalue}`" in re.sub(r"\s*\n\s*", " ", markdown(nb))
    assert "detach().numpy()" in err.evalue


def test_scatter_detached_tensors_plot(nbs):
    nb = nbs["scatter"]
    c = figure_cell(nb, "fig-scatter-detach")
    assert has_png(c) and ".detach().numpy()" in c.source
    # detached, still tracked, and the same memory: .detach() copies nothing
    line = "detached.requires_grad, y_hat.requires_grad, detached.data_ptr() == y_hat.data_ptr()"
    assert text(nb, line) == "(False, True, True)"


def test_scatter_untrained_predictions_are_tiny_next_to_the_feature(nbs):
    values = glued_values(nbs["scatter"])
    assert float(values["scatter_max_abs_y_hat"]) < 0.02 * float(values["scatter_feature_span"])


def test_scatter_describes_how_the_data_chapter_plots(book, nbs):
    data = book.notebook("book/scratch/data")
    calls = [line.strip() for c in code_cells(data) for line in c.source.splitlines() if "ax.scatter(" in line]
    assert calls
    prose = one_line(markdown(nbs["scatter"]))
    for call in calls:
        options = re.findall(r"\b(s|alpha)=([\d.]+)", call)
        assert f"`{', '.join(f'{k}={v}' for k, v in options)}`" in prose, call
        assert ".numpy()" not in call  # the prose says the data chapter passes tensors as they are
    assert "with no conversion" in prose


def test_scatter_ohm_exercise_recovers_the_resistance(nbs):
    nb = nbs["scatter"]
    values = glued_values(nb)
    assert float(values["scatter_ohm_r_hat"]) == pytest.approx(5, abs=0.2)
    assert float(values["scatter_ohm_errors"]) < 3
    out = text(nb, "R_hat = (current.T @ voltage / (current.T @ current)).item()")
    r_hat, error, std_error = numbers(out)
    assert error == pytest.approx(abs(r_hat - 5), abs=1e-3)
    assert std_error == pytest.approx(0.1 / math.sqrt(sum((k / 20) ** 2 for k in range(21))), abs=1e-3)
    assert has_png(figure_cell(nb, "fig-scatter-ex-ohm"))
