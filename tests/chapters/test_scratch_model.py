"""Part II, the model and training chapters: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so adding a cell does not break a test but changing what a
cell computes does.
"""

from __future__ import annotations

import re

import pytest

from booktest import cell, code_cells, error_of, figure_cell, glued_numbers, png_count, text

CHAPTERS = ["model", "training"]
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


# --- model ------------------------------------------------------------------------

def test_model_broadcasting_trap_gives_a_10_by_10_tensor(nbs):
    shapes = text(nbs["model"], "y_hat.shape, y_flat.shape, (y_hat - y_flat).shape")
    assert shapes == "(torch.Size([10, 1]), torch.Size([10]), torch.Size([10, 10]))"


def test_model_broadcast_loss_is_wrong_and_the_right_one_is_at_the_noise(glued):
    g = glued["model"]
    assert g["scratch_model_right_loss"] < 10 * NOISE_FLOOR
    assert g["scratch_model_wrong_loss"] > 1


def test_model_squared_loss_reshapes_flat_labels(nbs):
    out = text(nbs["model"], "squared_loss(y_hat, y_flat).shape, torch.equal(squared_loss(y_hat, y_flat), "
                             "squared_loss(y_hat, y))")
    assert out == "(torch.Size([10, 1]), True)"


def test_model_backward_twice_doubles_the_gradient(nbs):
    once, twice = numbers(text(nbs["model"], "once = b.grad.clone()"))
    assert abs(twice - 2 * once) < 1e-3 * abs(once)


def test_model_sgd_before_backward_raises_naming_the_parameter(nbs):
    err = error_of(cell(nbs["model"], "sgd([w_new, b_new], lr=0.03, batch_size=batch_size)"))
    assert err.ename == "ValueError" and "params[0]" in err.evalue and "backward()" in err.evalue


def test_model_one_sgd_step_lowers_the_loss_and_zeroes_the_grad(nbs, glued):
    assert glued["model"]["scratch_model_loss_after"] < glued["model"]["scratch_model_loss_before"]
    assert text(nbs["model"], "before.item(), after.item(), b.grad").endswith("tensor([0.]))")


def test_model_exercise_solutions_hold(nbs):
    assert text(nbs["model"], "sgd([w2, b2], lr=0.03, batch_size=1)") == "(True, True)"
    assert text(nbs["model"], "residual = (y_hat3 - y).detach()  # (10, 1)") == "(True, True)"


# --- training -----------------------------------------------------------------------

EPOCH_LINE = re.compile(r"^epoch (\d+), loss (0\.0\d{5})$")


def epoch_lines(s: str) -> list[tuple[int, float]]:
    lines = s.splitlines()
    matches = [EPOCH_LINE.match(line) for line in lines]
    assert all(matches), f"unexpected output lines: {lines}"
    return [(int(m[1]), float(m[2])) for m in matches]


def test_training_loop_prints_three_epoch_lines(nbs):
    lines = epoch_lines(text(nbs["training"], "print(f'epoch {epoch + 1}, loss {float(train_l):f}')"))
    assert [n for n, _ in lines] == [1, 2, 3]
    losses = [loss for _, loss in lines]
    assert losses[0] > losses[1] > losses[2]


def test_training_loss_reaches_the_noise_floor(glued):
    g = glued["training"]
    assert g["scratch_training_epoch3_loss"] < 2 * NOISE_FLOOR
    assert g["scratch_training_first_step_loss"] > 1


def test_training_glued_epoch_losses_match_the_printed_lines(nbs, glued):
    lines = epoch_lines(text(nbs["training"], "print(f'epoch {epoch + 1}, loss {float(train_l):f}')"))
    g = glued["training"]
    assert f"{g['scratch_training_epoch1_loss']:f}" == f"{lines[0][1]:f}"
    assert f"{g['scratch_training_epoch3_loss']:f}" == f"{lines[2][1]:f}"


def test_training_loss_figure_exists(nbs):
    assert_one_png(figure_cell(nbs["training"], "fig-training-loss"))


def test_training_numpy_needs_detach(nbs):
    err = error_of(cell(nbs["training"], "y_hat.numpy()"))
    assert err.ename == "RuntimeError" and "requires grad" in err.evalue
    assert "array(" in text(nbs["training"], "y_hat.detach().numpy()")


def test_training_glued_errors_are_below_001(glued):
    assert 0 <= glued["training"]["scratch_training_w_error"] < 0.01
    assert 0 <= glued["training"]["scratch_training_b_error"] < 0.01


def test_training_printed_errors_agree_with_the_glued_ones(nbs, glued):
    w0, w1, b = numbers(text(nbs["training"], "b_error = true_b - b.item()"))
    assert abs(max(abs(w0), abs(w1)) - glued["training"]["scratch_training_w_error"]) < 1e-4
    assert abs(abs(b) - glued["training"]["scratch_training_b_error"]) < 1e-6


def test_training_agrees_with_lstsq(glued):
    g = glued["training"]
    assert g["scratch_training_lstsq_gap"] < 0.01
    assert g["scratch_training_lstsq_w_error"] < 0.01
    assert g["scratch_training_lstsq_gap10"] < 0.01


def test_training_train_repeats_the_written_loop(nbs):
    out = text(nbs["training"], "history['epoch'] == epoch_losses, history['step'] == step_losses")
    assert out == "(True, True)"


def test_training_ten_epochs_add_little(nbs, glued):
    lines = epoch_lines(text(nbs["training"], "for epoch, loss in enumerate(history10['epoch']):"))
    assert [n for n, _ in lines] == list(range(1, 11))
    assert f"{glued['training']['scratch_training_epoch10_loss']:f}" == f"{lines[-1][1]:f}"
    assert abs(lines[-1][1] - lines[2][1]) < 0.2 * lines[2][1]


def test_training_too_large_lr_stops_with_the_epoch_and_advice(nbs):
    err = error_of(cell(nbs["training"],
                        "train(features, labels, lr=3.0, generator=torch.Generator().manual_seed(0))"))
    assert err.ename == "ValueError"
    assert "epoch 1" in err.evalue and "smaller learning rate" in err.evalue


def test_training_exercise_zero_start_works_and_leaves_the_zeros(nbs):
    out = text(nbs["training"], "print('starting tensors unchanged:', bool((w0 == 0).all() and (b0 == 0).all()))")
    assert out.endswith("starting tensors unchanged: True")
    assert numbers(out)[0] < 2 * NOISE_FLOOR


def test_training_exercise_learning_rates_reach_the_floor_in_order(nbs):
    out = text(nbs["training"], "for lr_try in [0.003, 0.03, 0.3]:")
    rows = {line.split(":")[0]: numbers(line.split(":")[1]) for line in out.splitlines()}
    assert rows["lr 0.3"][0] < 2 * NOISE_FLOOR  # at the floor after one epoch
    assert rows["lr 0.03"][0] > 2 * NOISE_FLOOR and rows["lr 0.03"][2] < 2 * NOISE_FLOOR
    assert rows["lr 0.003"][2] > 1  # still far after three
