"""Part II, the autograd chapter: the executed chapter shows what its prose claims.

Cells are found by a distinctive line of their source (or a figure's name),
never by position, so adding a cell does not break a test but changing what a
cell computes does.
"""

from __future__ import annotations

import re

import pytest

from booktest import cell, code_cells, error_of, figure_cell, glued_numbers, png_count, text

NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
TENSOR_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?")  # 1., -11., 0.5, 2e-05 in printed tensors


@pytest.fixture(scope="module")
def nb(book):
    return book.notebook("book/scratch/autograd")


@pytest.fixture(scope="module")
def glued(nb):
    return glued_numbers(nb)


def numbers(s: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(s)]


def tensor_numbers(s: str) -> list[float]:
    """The entries of the tensors a cell printed (and nothing else it printed)."""
    return [float(m) for m in TENSOR_NUMBER.findall(s)]


def test_autograd_prints_no_warnings(nb):
    for c in code_cells(nb):
        for out in c.outputs:
            assert not (out.output_type == "stream" and out.name == "stderr"), (c.source, out.text)


def test_autograd_glue_names_are_prefixed_with_the_chapter(glued):
    assert glued and all(name.startswith("scratch_autograd_") for name in glued)


def test_autograd_loss_carries_a_grad_fn(nb):
    assert "grad_fn=<DivBackward0>" in text(nb, "l = (y_hat - y) ** 2 / 2  # (3, 1): one loss per example")


def test_autograd_graph_walk_goes_from_the_sum_to_two_leaves_without_x_or_y(nb):
    nodes = [line.strip() for line in text(nb, "show_graph(l.sum().grad_fn)").splitlines()]
    assert nodes[:6] == ["SumBackward0", "DivBackward0", "PowBackward0", "SubBackward0",
                         "AddBackward0", "MmBackward0"]
    assert nodes.count("AccumulateGrad") == 2 and len(nodes) == 8  # w and b, nothing for X or y


def test_autograd_graph_figures_exist(nb):
    assert png_count(figure_cell(nb, "fig-autograd-graph")) == 1
    assert png_count(figure_cell(nb, "fig-autograd-tangent")) == 1


def test_autograd_leaves_and_requires_grad(nb):
    out = text(nb, "w.is_leaf, b.is_leaf, y_hat.is_leaf, X.is_leaf, X.requires_grad, y_hat.requires_grad")
    assert out == "(True, True, False, True, False, True)"


def test_autograd_grad_is_none_before_backward(nb):
    assert text(nb, "w.grad is None, b.grad is None") == "(True, True)"


def test_autograd_backward_agrees_with_the_hand_gradient(nb, glued):
    assert glued["scratch_autograd_hand_diff"] < 1e-5
    by_autograd = tensor_numbers(text(nb, "l.sum().backward()"))
    by_hand = tensor_numbers(text(nb, "grad_w_by_hand, grad_b_by_hand"))
    assert len(by_hand) == 3 and by_autograd == pytest.approx(by_hand, abs=1e-5)


def test_autograd_tangent_slope_is_the_finite_difference(glued):
    assert glued["scratch_autograd_grad_w0"] == pytest.approx(glued["scratch_autograd_finite_difference"],
                                                               rel=1e-3)
    assert glued["scratch_autograd_grad_w0"] < 0  # the figure's alt text: the dot is on the descending side


def test_autograd_second_backward_doubles_the_gradient(nb):
    values = tensor_numbers(text(nb, "first = w.grad.clone()"))
    first, second = values[:2], values[2:]
    assert len(values) == 4 and second == pytest.approx([2 * v for v in first], rel=1e-6)


def test_autograd_zero_sets_the_gradients_to_zero(nb):
    assert tensor_numbers(text(nb, "b.grad.zero_()")) == [0.0, 0.0, 0.0]


def test_autograd_backward_on_a_non_scalar_raises(nb):
    err = error_of(cell(nb, "l.backward()"))
    assert err.ename == "RuntimeError" and "scalar outputs" in err.evalue


def test_autograd_in_place_update_of_a_leaf_raises_without_no_grad(nb):
    err = error_of(cell(nb, "w -= 0.1 * w.grad"))
    assert err.ename == "RuntimeError" and "leaf Variable that requires grad" in err.evalue


def test_autograd_no_grad_update_keeps_the_leaf_and_records_nothing(nb):
    assert text(nb, "w.is_leaf, w.requires_grad, y_hat_now.requires_grad") == "(True, True, False)"


def test_autograd_reassignment_makes_a_non_leaf_whose_grad_stays_none(nb):
    assert text(nb, "w.is_leaf, type(w.grad_fn).__name__") == "(False, 'SubBackward0')"
    out = text(nb, "print('old leaf .grad:', w_leaf.grad.reshape(-1))")
    assert "new w .grad: None" in out and "not a leaf Tensor" in out
    assert len(tensor_numbers(out.split("old leaf .grad:")[1])) == 2  # the gradient went to the old leaf


def test_autograd_detach_notices_an_in_place_change_and_data_hides_it(nb):
    err = error_of(cell(nb, "s.detach().zero_()  # the same memory as s, changed in place"))
    assert err.ename == "RuntimeError" and "modified by an inplace operation" in err.evalue
    assert tensor_numbers(text(nb, "a.grad  # the true derivative is positive everywhere")) == [0.0, 0.0, 0.0]


def test_autograd_exercise_without_zero_the_loss_stays_far_higher(nb):
    out = text(nb, "for zero in [True, False]:")
    rows = {line.split(":")[0]: [float(v) for v in line.split(":")[1].split(",")] for line in out.splitlines()}
    with_zero, without = rows["with zero_()"], rows["without zero_()"]
    assert len(with_zero) == len(without) == 10
    assert with_zero == sorted(with_zero, reverse=True)  # settles
    assert without[-1] > 100 * with_zero[-1]
    assert any(b > a for a, b in zip(without, without[1:], strict=False))  # swings back up


def test_autograd_exercise_errors(nb):
    assert "leaf Variable that requires grad" in error_of(cell(nb, "w_ex -= 0.03 * w_ex.grad")).evalue
    assert "scalar outputs" in error_of(cell(nb, "((X_b @ w_ex - y_b) ** 2 / 2).backward()")).evalue
    assert text(nb, "torch.equal(w_a.grad, w_b.grad)") == "True"


def test_autograd_exercise_ohm_gradient_descent_matches_least_squares(nb):
    r_gd, r_lstsq = numbers(text(nb, "R_lstsq = (current * voltage).sum() / (current ** 2).sum()"))
    assert r_gd == pytest.approx(r_lstsq, abs=1e-4)
    assert r_gd != 4.7 and abs(r_gd - 4.7) < 0.1  # close to the true resistance, not equal


def test_autograd_exercise_ohm_miss_is_an_unlucky_but_possible_number_of_standard_errors(nb, glued):
    r_gd, r_lstsq = numbers(text(nb, "R_lstsq = (current * voltage).sum() / (current ** 2).sum()"))
    # 20 currents evenly from 0 to 1 A: sum of I^2 = 20 * 39 / (6 * 19)
    assert glued["scratch_autograd_ohm_standard_error"] == pytest.approx(0.05 / (20 * 39 / 114) ** 0.5, rel=1e-4)
    assert glued["scratch_autograd_ohm_miss"] == pytest.approx(abs(r_lstsq - 4.7), abs=1e-4)
    # "an unlucky draw but not an impossible one": more than two standard errors, fewer than four
    assert 2 < glued["scratch_autograd_ohm_miss_ratio"] < 4


def test_autograd_figures_are_drawn_by_collapsed_code_and_the_graph_alt_shows_backward(nb):
    for name in ("fig-autograd-graph", "fig-autograd-tangent"):
        assert "hide-input" in figure_cell(nb, name).metadata.get("tags", [])
    alt = figure_cell(nb, "fig-autograd-graph").metadata["mystnb"]["image"]["alt"]
    assert "dashed arrow" in alt and "backward()" in alt  # the figure draws the backward pass too


def test_autograd_exercise_reassigned_update_fails_one_pass_later_on_the_same_line(nb):
    update = "w_ex = w_ex - 0.03 * w_ex.grad  # a new tensor, not a leaf: its .grad will be None"
    err = error_of(cell(nb, update))
    assert err.ename == "TypeError" and "NoneType" in err.evalue
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err.traceback))  # without the terminal colors
    where, failing = traceback.splitlines()[:2]  # "Cell In[n], line k:", then that line
    assert where.startswith("Cell In[") and "w_ex = w_ex - 0.03 * w_ex.grad" in failing  # the reassignment fails
    assert "leaf" not in err.evalue and "no_grad" not in err.evalue  # "says nothing of leaves or torch.no_grad()"


def test_autograd_full_loss_is_half_the_mean_squared_error(nb):
    import torch

    namespace = {"torch": torch, "features": torch.tensor([[1.0], [2.0]]), "labels": torch.tensor([[0.0], [0.0]])}
    source = cell(nb, "def full_loss(w, b):").source
    exec(source[source.index("def full_loss"):], namespace)
    assert "Half the mean squared error" in namespace["full_loss"].__doc__
    # residuals 1 and 2: mean squared error 2.5, half of it 1.25
    assert namespace["full_loss"](torch.tensor([[1.0]]), torch.zeros(1)) == pytest.approx(1.25)


def test_autograd_accumulation_is_called_a_design_choice_not_the_chain_rule(nb):
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    prose = re.sub(r"\s+", " ", prose)
    assert "That is the chain rule again" not in prose
    assert "design choice" in prose


def test_one_backward_sums_the_paths_before_the_leaf_receives_its_gradient():
    # the prose: within one backward() the engine sums the paths itself; .grad sees one, summed, gradient
    import torch

    w = torch.tensor(1.0, requires_grad=True)
    arrivals = []
    w.register_hook(lambda grad: arrivals.append(float(grad)))
    (w * 2 + w * 3).backward()  # two paths from w to the loss
    assert arrivals == [5.0] and float(w.grad) == 5.0
