"""Part II, the model and training chapters: the executed chapters show what their prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so adding a cell does not break a test but changing what a
cell computes does.
"""

from __future__ import annotations

import re

import pytest
import torch

import scratchbook
from booktest import ROOT, assert_one_png, cell, code_cells, error_of, figure_cell, glued_numbers, text
from booktest import decimals as numbers

CHAPTERS = ["model", "training"]
NOISE_FLOOR = 0.01 ** 2 / 2


def docname(chapter: str) -> str:
    return f"book/scratch/{chapter}"


@pytest.fixture(scope="module")
def nbs(book):
    return {chapter: book.notebook(docname(chapter)) for chapter in CHAPTERS}


@pytest.fixture(scope="module")
def glued(nbs):
    return {chapter: glued_numbers(nbs[chapter]) for chapter in CHAPTERS}


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


def test_model_right_loss_is_a_low_draw_of_ten_squared_noises_of_the_same_order(glued):
    g = glued["model"]
    assert g["scratch_model_right_loss_expected"] == pytest.approx(NOISE_FLOOR)
    spread = NOISE_FLOOR * (2 / 10) ** 0.5  # the standard deviation of half a mean of ten squared N(0, 0.01^2)
    assert g["scratch_model_right_loss_spread"] == pytest.approx(spread)
    # "a low draw, but of the same order": below its expected value, within two spreads of it
    assert NOISE_FLOOR - 2 * spread < g["scratch_model_right_loss"] < NOISE_FLOOR


def test_model_loss_formula_writes_the_example_as_a_column():
    source = (ROOT / "book/scratch/model.md").read_text()
    assert "\\hat{y} = \\mathbf{x}^\\top\\mathbf{w} + b" in source
    assert "\\hat{y} = \\mathbf{x}\\mathbf{w} + b" not in source
    assert "where $l^{(i)}$ is the loss" in source  # the sgd formula's l^(i) is defined


def test_model_squared_loss_reshapes_flat_labels(nbs):
    out = text(nbs["model"], "squared_loss(y_hat, y_flat).shape, torch.equal(squared_loss(y_hat, y_flat), "
                             "squared_loss(y_hat, y))")
    assert out == "(torch.Size([10, 1]), True)"


# The reader's default view: the plain cells, within about 1.5 times d2l's line counts.
PLAIN = {  # function: (the plain cell's first line, d2l's line count, the most lines allowed)
    "linreg": ("def linreg(X, w, b):", 3, 4),
    "squared_loss": ("def squared_loss(y_hat, y):", 3, 4),
    "sgd": ("def sgd(params, lr, batch_size):", 6, 9),
}


def source_lines(c) -> list[str]:
    return [line for line in c.source.splitlines() if line.strip()]


def plain_functions(nb) -> dict:
    """The plain (unsaved) versions, defined from the executed chapter's own cells."""
    namespace = {"torch": torch}
    for first_line, _, _ in PLAIN.values():
        c = cell(nb, first_line)
        assert "hide-input" not in c.metadata.get("tags", []), "the plain version is the default view"
        exec(c.source, namespace)
    return {name: namespace[name] for name in PLAIN}


@pytest.mark.parametrize("name", PLAIN)
def test_model_plain_cells_stay_within_one_and_a_half_times_d2l(nbs, name):
    first_line, d2l_lines, most = PLAIN[name]
    lines = source_lines(cell(nbs["model"], first_line))
    assert len(lines) <= most <= 1.5 * d2l_lines, lines


def test_model_saved_versions_are_hidden_input_cells(nbs):
    saved = [c for c in code_cells(nbs["model"]) if c.source.startswith("#@save")]
    assert len(saved) == 4
    assert all("hide-input" in c.metadata.get("tags", []) for c in saved)


def test_model_plain_and_saved_versions_agree_on_good_input(nbs):
    plain = plain_functions(nbs["model"])
    g = torch.Generator().manual_seed(0)
    X = torch.randn(7, 3, generator=g)
    y = torch.randn(7, 1, generator=g)
    w0, b0 = torch.randn(3, 1, generator=g), torch.randn(1, generator=g)
    assert torch.equal(plain["linreg"](X, w0, b0), scratchbook.linreg(X, w0, b0))
    y_hat = scratchbook.linreg(X, w0, b0)
    for labels in (y, y.reshape(-1)):
        assert torch.equal(plain["squared_loss"](y_hat, labels), scratchbook.squared_loss(y_hat, labels))
    params = {}
    for version, sgd in (("plain", plain["sgd"]), ("saved", scratchbook.sgd)):
        w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        scratchbook.squared_loss(scratchbook.linreg(X, w, b), y).sum().backward()
        sgd([w, b], 0.03, len(y))
        params[version] = (w, b, w.grad.clone(), b.grad.clone())
    for a, b in zip(params["plain"], params["saved"], strict=True):
        assert torch.equal(a, b)


def test_model_plain_init_is_d2ls_two_lines(nbs):
    lines = source_lines(cell(nbs["model"], "b = torch.zeros(1, requires_grad=True)  # the bias starts at zero"))
    assert len(lines) == 2


def test_model_sgd_before_backward_raises_naming_the_parameter(nbs):
    err = error_of(cell(nbs["model"], "sgd([w_new, b_new], lr=0.03, batch_size=batch_size)"))
    assert err.ename == "ValueError" and "params[0]" in err.evalue and "backward()" in err.evalue


def test_model_one_sgd_step_lowers_the_loss_and_zeroes_the_grad(nbs, glued):
    assert glued["model"]["scratch_model_loss_after"] < glued["model"]["scratch_model_loss_before"]
    line = "print(f'loss before {before.item():.2f}, after {after.item():.2f}; b.grad {b.grad}')"
    assert text(nbs["model"], line).endswith("b.grad tensor([0.])")


def test_model_gradient_figure_minibatch_step_differs_but_goes_downhill(nbs, glued):
    assert_one_png(figure_cell(nbs["model"], "fig-model-gradients"))
    assert 1 < glued["model"]["scratch_model_step_angle"] < 90
    assert glued["model"]["scratch_model_step_length_ratio"] > 0
    full = numbers(text(nbs["model"], "full_step, mini_step").split("tensor")[1])
    assert full[0] > 0 > full[1]  # towards the true weights (2, -3.4) from (0.5, -1)


def test_model_exercise_solutions_hold(nbs):
    assert text(nbs["model"], "sgd([w2, b2], lr=0.03, batch_size=1)") == "(True, True)"
    assert text(nbs["model"], "error = (y_hat3 - y).detach()  # prediction minus label, (10, 1)") == "(True, True)"


# --- training -----------------------------------------------------------------------

LOOP_LINE = "print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')"
D2L_LOOP_LINES = 13  # d2l's hyperparameters, aliases and loop


def test_training_loop_reads_like_d2ls(nbs):
    c = cell(nbs["training"], LOOP_LINE)
    lines = [line for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= 1.5 * D2L_LOOP_LINES, lines
    assert "net = linreg" in lines and "loss = squared_loss" in lines
    assert any("sgd([w, b], lr, len(y))" in line for line in lines)

EPOCH_LINE = re.compile(r"^epoch (\d+), loss (0\.0\d{5})$")


def epoch_lines(s: str) -> list[tuple[int, float]]:
    lines = s.splitlines()
    matches = [EPOCH_LINE.match(line) for line in lines]
    assert all(matches), f"unexpected output lines: {lines}"
    return [(int(m[1]), float(m[2])) for m in matches]


def test_training_loop_prints_three_epoch_lines(nbs):
    lines = epoch_lines(text(nbs["training"], LOOP_LINE))
    assert [n for n, _ in lines] == [1, 2, 3]
    losses = [loss for _, loss in lines]
    assert losses[0] > losses[1] > losses[2]


def test_training_loss_reaches_the_noise_floor(glued):
    g = glued["training"]
    assert g["scratch_training_epoch3_loss"] < 2 * NOISE_FLOOR
    assert g["scratch_training_first_step_loss"] > 1


def test_training_start_loss_is_the_whole_data_one_and_the_first_batch_was_low(glued):
    g = glued["training"]
    # at w ~ 0, b = 0 the loss is half the mean squared label, (4.2^2 + 2^2 + 3.4^2) / 2 ~ 16.6 in expectation
    assert g["scratch_training_start_loss"] == pytest.approx((4.2 ** 2 + 2 ** 2 + 3.4 ** 2) / 2, rel=0.1)
    # "was low by chance": below the start, while later early batches reach well above it
    assert g["scratch_training_first_step_loss"] < 0.5 * g["scratch_training_start_loss"]
    assert g["scratch_training_early_max_step_loss"] > g["scratch_training_start_loss"]


def test_training_loss_figure_has_alt_text(nbs):
    c = figure_cell(nbs["training"], "fig-training-loss")
    assert len(c.metadata["mystnb"].get("image", {}).get("alt", "").split()) >= 8


def test_training_glued_epoch_losses_match_the_printed_lines(nbs, glued):
    lines = epoch_lines(text(nbs["training"], LOOP_LINE))
    g = glued["training"]
    assert f"{g['scratch_training_epoch1_loss']:f}" == f"{lines[0][1]:f}"
    assert f"{g['scratch_training_epoch3_loss']:f}" == f"{lines[2][1]:f}"


def test_training_loss_figure_exists(nbs):
    assert_one_png(figure_cell(nbs["training"], "fig-training-loss"))


def test_training_numpy_needs_detach(nbs):
    err = error_of(cell(nbs["training"], "y_hat.numpy()"))
    assert err.ename == "RuntimeError" and "requires grad" in err.evalue
    assert "array(" in text(nbs["training"], "y_hat.detach().numpy()")


def test_training_glued_errors_are_a_few_sigma_over_sqrt_n(glued):
    g = glued["training"]
    scale = g["scratch_training_sigma"] / g["scratch_training_n"] ** 0.5
    assert g["scratch_training_sigma_over_sqrt_n"] == pytest.approx(scale)
    larger = max(g["scratch_training_w_error"], g["scratch_training_b_error"])
    assert g["scratch_training_error_ratio"] == pytest.approx(larger / scale)
    assert 1 < g["scratch_training_error_ratio"] < 10  # "a few times" that scale


def test_training_noise_floor_and_where_the_loss_reaches_it(glued):
    g = glued["training"]
    assert g["scratch_training_noise_floor"] == pytest.approx(g["scratch_training_sigma"] ** 2 / 2)
    assert g["scratch_training_floor_epoch"] == (g["scratch_training_floor_step"] - 1) // 100 + 1
    assert g["scratch_training_floor_epoch"] == 3  # the prose and the summary say three epochs reach it
    assert g["scratch_training_log_line_r2"] > 0.9  # "a roughly straight line" on the log scale
    assert 0 < g["scratch_training_step_factor"] < 1  # the same factor at every step, a fall


def test_training_floor_step_is_early_in_epoch_3_and_the_alt_text_agrees(nbs, glued):
    g = glued["training"]
    assert (g["scratch_training_floor_step"] - 1) % 100 < 30  # "early in epoch 3"
    alt = figure_cell(nbs["training"], "fig-training-loss").metadata["mystnb"]["image"]["alt"]
    (alt_step,) = re.findall(r"until about step (\d+)", alt)
    assert abs(int(alt_step) - g["scratch_training_floor_step"]) <= 15  # the figure's "about step N"


def test_training_drawing_code_of_the_trace_figures_is_collapsed(nbs):
    for name in ("fig-training-fit", "fig-training-params"):
        assert "hide-input" in figure_cell(nbs["training"], name).metadata.get("tags", [])


def test_training_jitter_derivation_is_in_a_going_deeper_dropdown():
    source = (ROOT / "book/scratch/training.md").read_text()
    start = source.index("````{admonition} Going deeper\n:class: dropdown\n")
    box = source[start:source.index("\n````\n", start)]
    assert "(scratch-training-jitter)" in box and "Pull and push" in box
    assert "Pull and push" not in source[:start]


def test_training_fit_and_parameter_figures_exist(nbs):
    assert_one_png(figure_cell(nbs["training"], "fig-training-fit"))
    assert_one_png(figure_cell(nbs["training"], "fig-training-params"))


def test_training_fit_snapshots_rise_and_steepen_towards_the_true_line(glued):
    g = glued["training"]
    w2 = [g[f"scratch_training_fit_w2_after_{k}"] for k in (0, 5, 20, 300)]
    b = [g[f"scratch_training_fit_b_after_{k}"] for k in (0, 5, 20, 300)]
    assert w2 == sorted(w2, reverse=True) and b == sorted(b)
    assert abs(w2[-1] + 3.4) < 0.01 and abs(b[-1] - 4.2) < 0.01
    # the alt text: after 20 steps "less than half as steeply as the cloud", not yet at its slope
    assert -3.4 / 2 < w2[2] < w2[1]


def test_training_trace_repeats_the_loop_and_train(nbs):
    assert text(nbs["training"], "trace = torch.stack(trace)  # (1001, 3): row k holds (w1, w2, b) after k steps") \
        == "True"
    out = text(nbs["training"], "print('the same run as the trace above:', torch.equal(w10.detach().reshape(-1), "
                                "trace[-1, :2]))")
    assert out.endswith("the same run as the trace above: True")


def test_training_jitter_is_what_constant_rate_sgd_predicts_somewhat_below(glued):
    g = glued["training"]
    lr, batch_size = g["scratch_training_lr"], g["scratch_training_batch_size"]
    assert g["scratch_training_jitter"] == pytest.approx(g["scratch_training_sigma"] * (lr / (2 * batch_size)) ** 0.5)
    assert g["scratch_training_jitter_ratio"] == pytest.approx(g["scratch_training_late_rms"]
                                                              / g["scratch_training_jitter"])
    assert 0.5 < g["scratch_training_jitter_ratio"] < 1  # "somewhat below it"
    # "happens to be close to sigma / sqrt(n)": within a factor of 1.5 either way
    assert 1 / 1.5 < g["scratch_training_jitter"] / g["scratch_training_sigma_over_sqrt_n"] < 1.5


def test_training_exercise_jitter_does_not_follow_n_and_stays_below_the_formula(nbs, glued):
    g = glued["training"]
    # ten times the data: sigma/sqrt(n) falls to 0.32 of itself, the jitter does not fall
    assert 1 <= g["scratch_training_ex3_n_ratio"] < 1.5
    # "the cancellation matters most when an epoch is short": below the formula, more so for n = 1000
    assert g["scratch_training_ex3_share_1000"] < g["scratch_training_ex3_share_10000"] < 1
    out = text(nbs["training"], "for n_try, lr_try in [(1000, 0.03), (10_000, 0.03), (1000, 0.01), (10_000, 0.01)]:")
    rows = [numbers(line.split(":", 1)[1]) for line in out.splitlines()]
    assert len(rows) == 4 and all(jitter < formula for jitter, formula, _ in rows)
    assert rows[2][0] < rows[0][0] and rows[3][0] < rows[1][0]  # "a smaller learning rate makes it smaller"


def test_training_the_dotted_line_is_the_predicted_jitter(nbs):
    source = figure_cell(nbs["training"], "fig-training-params").source
    assert "ax2.axhline(jitter" in source and "sigma * (lr / (2 * batch_size)) ** 0.5" in source


def test_training_after_three_epochs_the_gap_jitters_at_sigma_over_sqrt_n(glued):
    g = glued["training"]
    scale = g["scratch_training_sigma_over_sqrt_n"]
    assert g["scratch_training_gap_epoch10"] == pytest.approx(g["scratch_training_lstsq_gap10"], rel=1e-5)
    assert g["scratch_training_gap_ratio"] == pytest.approx(
        g["scratch_training_gap_epoch3"] / g["scratch_training_gap_epoch10"])
    assert g["scratch_training_gap_ratio"] > 2  # ten epochs are closer than three
    assert 0.5 * scale < g["scratch_training_late_rms"] < 2 * scale  # "about sigma/sqrt(n)"
    assert g["scratch_training_late_gap_max"] > 2 * g["scratch_training_late_gap_min"]  # jitters
    assert g["scratch_training_gap_epoch10"] < g["scratch_training_late_rms"]  # "a low one"
    assert g["scratch_training_lstsq_w_error"] < 3 * scale  # lstsq's own error is on that scale
    assert g["scratch_training_late_loss_change"] < 0.1 * NOISE_FLOOR  # the loss stays at the floor


def test_training_divergence_history_ends_with_a_non_finite_loss(nbs):
    out = text(nbs["training"], "blown = err.history['step']")
    assert out.split(",")[-1].strip() in ("inf", "nan")


def test_training_printed_errors_agree_with_the_glued_ones(nbs, glued):
    w0, w1, b = numbers(text(nbs["training"], "b_error = true_b - b.item()"))
    assert abs(max(abs(w0), abs(w1)) - glued["training"]["scratch_training_w_error"]) < 1e-4
    assert abs(abs(b) - glued["training"]["scratch_training_b_error"]) < 1e-6


def test_training_agrees_with_lstsq(glued):
    g = glued["training"]
    scale = g["scratch_training_sigma_over_sqrt_n"]
    assert g["scratch_training_lstsq_gap"] < 10 * scale
    assert 0.3 * scale < g["scratch_training_lstsq_w_error"] < 3 * scale  # "about sigma/sqrt(n)"


def test_training_train_repeats_the_written_loop(nbs):
    out = text(nbs["training"], "history['epoch'] == epoch_losses, history['step'] == step_losses")
    assert out == "(True, True)"


def test_training_ten_epochs_leave_the_loss_at_the_floor(nbs, glued):
    out = text(nbs["training"], "for epoch, epoch_loss in enumerate(history10['epoch']):")
    lines = epoch_lines("\n".join(out.splitlines()[:-1]))
    assert [n for n, _ in lines] == list(range(1, 11))
    assert f"{glued['training']['scratch_training_epoch10_loss']:f}" == f"{lines[-1][1]:f}"
    assert abs(lines[-1][1] - lines[2][1]) < 0.2 * lines[2][1]


def test_training_too_large_lr_stops_with_the_epoch_and_advice(nbs):
    err = error_of(cell(nbs["training"],
                        "train(features, labels, lr=3.0, generator=torch.Generator().manual_seed(0))"))
    assert err.ename == "DivergenceError"
    assert "epoch 1" in err.evalue and "step" in err.evalue and "lr=3.0" in err.evalue
    assert "smaller learning rate" in err.evalue


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
