"""Part II, the data and minibatches chapters: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so adding a cell does not break a test but changing what a
cell computes does.
"""

from __future__ import annotations

import re

import pytest

from booktest import code_cells, figure_cell, glued_numbers, png_count, text

CHAPTERS = ["data", "minibatches"]
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
NOISE_FLOOR = 0.01 ** 2 / 2


def docname(chapter: str) -> str:
    return f"book/scratch/{chapter}"


@pytest.fixture(scope="module")
def nbs(book):
    return {chapter: book.notebook(docname(chapter)) for chapter in CHAPTERS}


@pytest.fixture(scope="module")
def glued(nbs):
    return {chapter: glued_numbers(nbs[chapter]) for chapter in CHAPTERS}


def numbers(s: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(s)]


def assert_one_png(c):
    assert png_count(c) == 1, "the figure cell should display exactly one image"


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


# --- data -----------------------------------------------------------------------

def test_data_has_1000_examples_of_two_features_and_column_labels(nbs):
    assert text(nbs["data"], "features.shape, labels.shape") == \
        "(torch.Size([1000, 2]), torch.Size([1000, 1]))"


def test_data_first_example_printed_follows_the_model(nbs):
    x0, x1, y = numbers(text(nbs["data"], "print('features:', features[0], '\\nlabel:', labels[0])"))
    assert abs(2 * x0 - 3.4 * x1 + 4.2 - y) < 0.05


def test_data_scatter_figure_exists(nbs):
    assert_one_png(figure_cell(nbs["data"], "fig-data-scatter"))


def test_data_second_column_slopes_down_near_its_weight(glued):
    assert glued["data"]["scratch_data_slope_1"] < 0
    assert abs(glued["data"]["scratch_data_slope_0"] - 2) < 0.2
    assert abs(glued["data"]["scratch_data_slope_1"] + 3.4) < 0.2


def test_data_exercise_spread_is_wider_around_the_first_feature(nbs):
    spread_0, spread_1 = numbers(text(nbs["data"], "for j in range(2):"))
    assert spread_0 > spread_1
    assert abs(spread_0 - 3.4) < 0.3 and abs(spread_1 - 2) < 0.3


# --- minibatches -----------------------------------------------------------------

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


