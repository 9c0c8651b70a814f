"""Part II, the data and minibatches chapters: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so adding a cell does not break a test but changing what a
cell computes does.
"""

from __future__ import annotations

import pytest
import torch

import scratchbook
from booktest import ROOT, assert_one_png, code_cells, figure_cell, glued_numbers, text
from booktest import decimals as numbers
from booktools.chapters import read_chapter

CHAPTERS = ["data", "minibatches"]
NOISE_FLOOR = 0.01 ** 2 / 2
# The plain view of a function may be at most about 1.5 times d2l's (6 and 9 lines).
PLAIN_MAX_LINES = {"synthetic_data": 9, "data_iter": 13}
PLAIN_CHAPTER = {"synthetic_data": "data", "data_iter": "minibatches"}


def docname(chapter: str) -> str:
    return f"book/scratch/{chapter}"


@pytest.fixture(scope="module")
def nbs(book):
    return {chapter: book.notebook(docname(chapter)) for chapter in CHAPTERS}


@pytest.fixture(scope="module")
def glued(nbs):
    return {chapter: glued_numbers(nbs[chapter]) for chapter in CHAPTERS}


def plain_cell(name: str):
    """The chapter source's one visible, unsaved cell that defines `name`."""
    chapter = read_chapter(ROOT / f"{docname(PLAIN_CHAPTER[name])}.md")
    found = [c for c in chapter.cells if c.cell_type == "code"
             and c.source.startswith(f"def {name}(")]
    assert len(found) == 1, f"expected one plain cell defining {name}, found {len(found)}"
    return found[0]


def plain_function(name: str):
    """The plain version of `name`, defined by running its chapter cell."""
    namespace = {"torch": torch}
    exec(plain_cell(name).source, namespace)
    return namespace[name]


# --- every chapter ------------------------------------------------------------

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_prints_no_warnings(nbs, chapter):
    for c in code_cells(nbs[chapter]):
        for out in c.outputs:
            assert not (out.output_type == "stream" and out.name == "stderr"), (c.source, out.text)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_glue_names_are_prefixed_with_the_chapter(glued, chapter):
    assert glued[chapter], f"{chapter} glues nothing"
    assert all(name.startswith(f"scratch_{chapter}_") for name in glued[chapter])


# --- plain first -----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PLAIN_MAX_LINES))
def test_plain_view_is_visible_and_short(name):
    c = plain_cell(name)
    tags = c.metadata.get("tags", [])
    assert not {"hide-input", "remove-cell", "remove-input"} & set(tags), tags
    assert len(c.source.strip().splitlines()) <= PLAIN_MAX_LINES[name]


@pytest.mark.parametrize("name", sorted(PLAIN_MAX_LINES))
def test_saved_version_follows_the_plain_one_collapsed(name):
    cells = [c for c in read_chapter(ROOT / f"{docname(PLAIN_CHAPTER[name])}.md").cells
             if c.cell_type == "code"]
    i = next(i for i, c in enumerate(cells) if c.source.startswith(f"def {name}("))
    saved = cells[i + 1]
    assert saved.source.startswith("#@save") and f"def {name}(" in saved.source
    assert "hide-input" in saved.metadata.get("tags", [])


def test_plain_and_saved_synthetic_data_draw_the_same_examples():
    plain = plain_function("synthetic_data")
    for n in (1, 7, 1000):
        a = plain(torch.tensor([2, -3.4]), 4.2, n, generator=torch.Generator().manual_seed(n))
        b = scratchbook.synthetic_data(torch.tensor([2, -3.4]), 4.2, n, generator=torch.Generator().manual_seed(n))
        assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    torch.manual_seed(3)
    a = plain(torch.tensor([1.0, 0.5, -2.0]), -1.0, 20)
    torch.manual_seed(3)
    b = scratchbook.synthetic_data(torch.tensor([1.0, 0.5, -2.0]), -1.0, 20)
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("batch_size", [1, 10, 64, 1500])
def test_plain_and_saved_data_iter_yield_the_same_batches(batch_size):
    plain = plain_function("data_iter")
    features, labels = scratchbook.synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000,
                                                  generator=torch.Generator().manual_seed(0))
    a = list(plain(batch_size, features, labels, generator=torch.Generator().manual_seed(1)))
    b = list(scratchbook.data_iter(batch_size, features, labels, generator=torch.Generator().manual_seed(1)))
    assert len(a) == len(b)
    for (Xa, ya), (Xb, yb) in zip(a, b, strict=True):
        assert torch.equal(Xa, Xb) and torch.equal(ya, yb)


# --- data -----------------------------------------------------------------------

def test_data_has_1000_examples_of_two_features_and_column_labels(nbs):
    assert text(nbs["data"], "features.shape, labels.shape") == \
        "(torch.Size([1000, 2]), torch.Size([1000, 1]))"


def test_data_first_example_printed_follows_the_model(nbs):
    x0, x1, y = numbers(text(nbs["data"], "print('features:', features[0], '\\nlabel:', labels[0])"))
    assert abs(2 * x0 - 3.4 * x1 + 4.2 - y) < 0.05


def test_data_first_example_differs_from_the_model_by_its_noise(nbs, glued):
    (diff,) = numbers(text(nbs["data"], "features[0] @ true_w + true_b - labels[0]"))
    assert 0 < abs(diff) < 5 * 0.01  # within five standard deviations of the noise
    assert glued["data"]["scratch_data_first_noise"] == pytest.approx(-diff, abs=1e-4)


def test_data_scatter_figure_exists(nbs):
    c = figure_cell(nbs["data"], "fig-data-scatter")
    assert_one_png(c)
    # alt text of its own, not the image's file name
    assert len(c.metadata["mystnb"].get("image", {}).get("alt", "").split()) >= 8


def test_data_second_column_slopes_down_near_its_weight(glued):
    assert glued["data"]["scratch_data_slope_1"] < 0
    assert abs(glued["data"]["scratch_data_slope_0"] - 2) < 0.2
    assert abs(glued["data"]["scratch_data_slope_1"] + 3.4) < 0.2


def test_data_exercise_spread_is_wider_around_the_first_feature(nbs):
    spread_0, spread_1, *stds = numbers(text(nbs["data"], "for j in range(2):"))
    assert spread_0 > spread_1 and len(stds) == 2
    assert abs(spread_0 - 3.4) < 0.3 and abs(spread_1 - 2) < 0.3


def test_data_exercise_spread_is_the_other_weight_times_the_sample_std(glued):
    g = glued["data"]
    # "larger than the predicted 3.4": the sample std of x_2 is above 1, and 3.4 times it is the spread
    assert g["scratch_data_ex1_spread_0"] > 3.4 and g["scratch_data_ex1_std_1"] > 1
    assert g["scratch_data_ex1_expected_0"] == pytest.approx(3.4 * g["scratch_data_ex1_std_1"])
    assert g["scratch_data_ex1_spread_0"] == pytest.approx(g["scratch_data_ex1_expected_0"], rel=0.01)
    assert g["scratch_data_ex1_spread_1"] == pytest.approx(2 * g["scratch_data_ex1_std_0"], rel=0.01)
    # "off by about 1/sqrt(2n)": the std's difference from 1 is within three of those
    assert abs(g["scratch_data_ex1_std_1"] - 1) < 3 / (2 * 1000) ** 0.5


def test_data_exercise_std_of_x2_is_about_two_standard_errors_high(glued):
    g = glued["data"]
    assert g["scratch_data_ex1_std_1_off"] == pytest.approx(g["scratch_data_ex1_std_1"] - 1)
    assert g["scratch_data_ex1_std_1_off_ratio"] == pytest.approx(g["scratch_data_ex1_std_1_off"] * 2000 ** 0.5)
    assert 1.5 <= g["scratch_data_ex1_std_1_off_ratio"] < 2.5  # "about 2 times that", "on the high side"


def test_data_exercise_math_counts_features_from_one():
    source = (ROOT / "book/scratch/data.md").read_text()
    assert "x_0" not in source and "x_{0}" not in source


def test_data_scatter_axes_name_the_features_as_the_math_does(nbs):
    source = figure_cell(nbs["data"], "fig-data-scatter").source
    assert "$x_{j + 1}$" in source and "f'feature {j}" not in source  # x_1 and x_2, not feature 0 and 1


def test_data_exercise_flat_labels_broadcast_to_a_matrix_and_a_huge_loss(nbs, glued):
    line = "print((y_hat - y).shape, f'loss with flat labels {loss_flat:.2f}, with a column {loss_column:.2e}')"
    assert text(nbs["data"], line).startswith("torch.Size([10, 10]) loss with flat labels")
    flat, column = glued["data"]["scratch_data_loss_flat"], glued["data"]["scratch_data_loss_column"]
    assert NOISE_FLOOR / 3 < column < 3 * NOISE_FLOOR  # "of the size of half the noise variance"
    assert flat > 1  # of the order of the labels' spread


# --- minibatches -----------------------------------------------------------------

def test_minibatches_d2l_version_runs_and_is_not_reproduced_by_torch_seed(nbs):
    assert text(nbs["minibatches"], "X, y = next(data_iter(10, features, labels))") == \
        "(torch.Size([10, 2]), torch.Size([10, 1]))"
    assert text(nbs["minibatches"], "torch.equal(first, again)") == "False"


def test_minibatches_loss_figure_exists(nbs):
    assert_one_png(figure_cell(nbs["minibatches"], "fig-minibatches-loss"))


def test_minibatches_batch_losses_average_to_the_full_loss(glued):
    g = glued["minibatches"]
    assert abs(g["scratch_minibatches_epoch_mean_10"] - g["scratch_minibatches_full_loss"]) < \
        1e-4 * g["scratch_minibatches_full_loss"]


def test_minibatches_larger_batches_spread_less_by_about_sqrt_10(glued):
    g = glued["minibatches"]
    assert g["scratch_minibatches_spread_100"] < g["scratch_minibatches_spread_10"]
    assert abs(g["scratch_minibatches_spread_ratio"] - 10 ** 0.5) < 0.5
    assert g["scratch_minibatches_spread_10"] > 0.1 * g["scratch_minibatches_full_loss"]  # each batch is off


def test_minibatches_spreads_follow_the_finite_population_formula(glued):
    g = glued["minibatches"]
    n = 1000
    fpc_ratio = (10 * (n - 10) / (n - 100)) ** 0.5  # 3.32: the ratio drawing without replacement predicts
    assert g["scratch_minibatches_predicted_ratio"] == pytest.approx(fpc_ratio)
    assert g["scratch_minibatches_sqrt_10"] == pytest.approx(10 ** 0.5)
    for bs in (10, 100):  # each measured spread agrees with its prediction to a few percent
        assert g[f"scratch_minibatches_spread_{bs}"] == pytest.approx(g[f"scratch_minibatches_predicted_{bs}"],
                                                                    rel=0.05)
    # "the measured ratio lies between it and sqrt(10)"
    assert 10 ** 0.5 < g["scratch_minibatches_spread_ratio"] < fpc_ratio


def test_minibatches_finite_population_factor_is_in_a_going_deeper_dropdown():
    source = (ROOT / "book/scratch/minibatches.md").read_text()
    start = source.index("````{admonition} Going deeper\n:class: dropdown\n")
    box = source[start:source.index("\n````\n", start)]
    assert "finite-population factor" in box and "(scratch-minibatches-fpc)" in box
    assert "finite-population" not in source[:start]  # the main path only points at the box


def test_minibatches_batch_size_is_not_written_b_which_is_the_bias():
    source = (ROOT / "book/scratch/minibatches.md").read_text()
    assert "$b$\nindependent" not in source and "$1/\\sqrt{b}$" not in source
    assert "|\\mathcal{B}|" in source


def test_minibatches_exercise_unshuffled_training_ends_far_from_the_mean_label(glued):
    g = glued["minibatches"]
    mean = g["scratch_minibatches_mean_label"]
    off_unshuffled = g["scratch_minibatches_c_unshuffled"] - mean
    assert off_unshuffled > 1  # pulled toward the largest labels, seen last
    assert abs(g["scratch_minibatches_c_shuffled"] - mean) < off_unshuffled / 4  # "near the mean label"


def test_minibatches_exercise_shuffled_constant_ends_a_little_short_of_the_mean_label(glued):
    g = glued["minibatches"]
    mean, c = g["scratch_minibatches_mean_label"], g["scratch_minibatches_c_shuffled"]
    assert g["scratch_minibatches_gap_left"] == pytest.approx(0.97 ** 100)
    assert 0 < mean - c < 0.1 * mean  # "near it and a little short"


def test_minibatches_exercise_unshuffled_sorted_batches_climb_and_shuffled_ones_stay_central(nbs):
    line = "print('mean label per batch, unshuffled:', ' '.join(f'{m:5.1f}' for m in unshuffled.tolist()))"
    out = text(nbs["minibatches"], line)
    unshuffled_line, shuffled_line = out.splitlines()[:2]
    unshuffled, shuffled = numbers(unshuffled_line), numbers(shuffled_line)
    assert len(unshuffled) == len(shuffled) == 10
    assert unshuffled == sorted(unshuffled) and unshuffled[-1] - unshuffled[0] > 10
    assert max(shuffled) - min(shuffled) < (unshuffled[-1] - unshuffled[0]) / 5

def test_minibatches_advanced_indexing_keeps_order_and_repeats(nbs):
    rows = text(nbs["minibatches"], "features[batch_indices]")
    values = numbers(rows)
    assert len(values) == 8 and values[2:4] == values[4:6]  # index 2 twice
    assert text(nbs["minibatches"], "labels[batch_indices].shape") == "torch.Size([4, 1])"


def test_minibatches_first_batch_printed_has_ten_examples(nbs):
    values = numbers(text(nbs["minibatches"], "print(X, '\\n', y)"))
    assert len(values) == 10 * 2 + 10


def test_minibatches_last_batch_is_partial_and_kept(nbs, glued):
    sizes = text(nbs["minibatches"], "sizes = [len(X) for X, y in data_iter(64, features, labels)]")
    assert sizes == str([64] * 15 + [40])
    assert glued["minibatches"]["scratch_minibatches_num_batches"] == 16
    assert glued["minibatches"]["scratch_minibatches_last_size"] == 40


def test_minibatches_order_is_reproducible_with_a_generator(nbs):
    assert text(nbs["minibatches"], "torch.equal(first_labels(g1), first_labels(g2))") == "True"
    assert text(nbs["minibatches"], "same_again, restarted") == "(True, False)"


def test_minibatches_epoch_visits_every_example_once(nbs):
    assert text(nbs["minibatches"], "torch.equal(seen.sort().values, torch.arange(1000))") == "True"


