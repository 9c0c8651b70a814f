"""Part I, the tensor toolkit: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so that adding a cell does not break a test but changing
what a cell computes does.
"""

from __future__ import annotations

import math
import re

import pytest

from booktest import cell, cell_outputs_text, code_cells, error_of, figure_cell, glued_values, text

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


@pytest.fixture(scope="module")
def nbs(book):
    return {chapter: book.notebook(docname(chapter)) for chapter in CHAPTERS}


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


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_cell_fails_unless_tagged_raises_exception(nbs, chapter):
    for c in code_cells(nbs[chapter]):
        raised = any(o.output_type == "error" for o in c.outputs)
        assert raised == ("raises-exception" in c.metadata.get("tags", [])), c.source


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_outputs_hold_no_memory_addresses(nbs, chapter):
    for c in code_cells(nbs[chapter]):
        assert not re.search(r" at 0x[0-9a-f]+", cell_outputs_text(c)), c.source


@pytest.mark.parametrize("chapter", CHAPTERS)
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


def test_normal_second_argument_is_standard_deviation(nbs):
    values = glued_values(nbs["normal"])
    assert float(values["normal_noise_std"]) == pytest.approx(0.01, rel=0.02)
    assert float(values["normal_too_small_std"]) == pytest.approx(0.0001, rel=0.02)


def test_normal_histogram_figure_is_drawn(nbs):
    c = figure_cell(nbs["normal"], "fig-normal-hist")
    assert has_png(c)
    assert "density=True" in c.source


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


def test_arange_infers_int64_from_integers_and_float32_from_floats(nbs):
    out = text(nbs["arange"], "for args in [(5,), (5.0,), (0, 5, 1), (0, 5, 0.5)]:")
    dtypes = dict(re.findall(r"torch\.arange(\(.*?\))\s+-> torch\.(\w+)", out))
    assert dtypes == {"(5,)": "int64", "(5.0,)": "float32", "(0, 5, 1)": "int64", "(0, 5, 0.5)": "float32"}
    assert error_of(cell(nbs["arange"], "torch.arange(5).mean()")).ename == "RuntimeError"


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
    means = numbers(values["randn_col_means"])
    stds = numbers(values["randn_col_stds"])
    # 1000 draws: standard error of a mean 1/sqrt(1000) ~ 0.032
    assert len(means) == len(stds) == 2
    assert all(abs(m) < 0.1 for m in means) and all(abs(s - 1) < 0.1 for s in stds)
    assert has_png(figure_cell(nbs["randn"], "fig-randn-cloud"))


def test_randn_seed_and_generator_reproduce_draws(nbs):
    out = text(nbs["randn"], "again = torch.randn(3)")
    first, again = out.split("tensor(")[1:3]
    assert numbers(first) == numbers(again) and out.endswith("True)")
    x1, x2 = text(nbs["randn"], "x2 = torch.randn(3, generator=g)").split("tensor(")[1:]
    assert numbers(x1) == numbers(x2)


def test_randn_exercise_tail_fraction_matches_erfc(nbs):
    sample, exact = numbers(text(nbs["randn"], "z = torch.randn(100_000)"))
    assert exact == pytest.approx(0.0455, abs=1e-4)
    assert sample == pytest.approx(exact, abs=0.003)


# ---------------------------------------------------------------- torch.matmul


def test_matmul_of_two_vectors_is_zero_dimensional(nbs):
    nb = nbs["matmul"]
    assert text(nb, "dot.shape, dot.dim()") == "(torch.Size([]), 0)"
    assert re.fullmatch(r"tensor\(-?[\d.]+\)", text(nb, "dot = torch.matmul(a, b)"))
    assert text(nb, "dot.item(), torch.allclose(dot, (a * b).sum())").endswith("True)")


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


def test_matmul_broadcasts_batch_dimensions(nbs):
    nb = nbs["matmul"]
    assert text(nb, "batched = batch_left @ batch_right") == "torch.Size([2, 5, 3, 6])"
    assert text(nb, "torch.allclose(batched[1, 3], batch_left[1, 0] @ batch_right[3])") == "True"


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


# ---------------------------------------------------------------- plt.scatter


def test_scatter_gallery_shows_each_parameter(nbs):
    c = figure_cell(nbs["scatter"], "fig-scatter-gallery")
    assert has_png(c)
    for parameter in ["s=", "c=", "marker=", "alpha=", "linewidths=", "edgecolors="]:
        assert f", {parameter}" in c.source, parameter


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
    line = "detached.requires_grad, y_hat.requires_grad, torch.equal(detached, y_hat)"
    assert text(nb, line) == "(False, True, True)"
