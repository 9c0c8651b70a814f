"""Part III ("Going further"): the claims of the concise, closed-form and
hyperparameter chapters, checked on the executed notebooks and on the package."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from booktest import cell_outputs_text, glued_values
from scratchbook import (
    init_params,
    linreg_net,
    lstsq_fit,
    squared_loss,
    stability_bound,
    synthetic_data,
    train,
    train_concise,
)

CONCISE = "book/further/concise"
CLOSED = "book/further/closed-form"
HYPER = "book/further/hyperparameters"


def glued(book, docname):
    return glued_values(book.notebook(docname))


def glued_float(book, docname, name):
    return float(glued(book, docname)[name])


def outputs_of(book, docname, first_line_contains):
    """The text output of the code cell whose source contains the given string."""
    for cell in book.notebook(docname).cells:
        if cell.cell_type == "code" and first_line_contains in cell.source:
            return cell_outputs_text(cell)
    raise AssertionError(f"no cell of {docname} contains {first_line_contains!r}")


@pytest.fixture(scope="module")
def data():
    torch.manual_seed(0)
    return synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000)


# --- The concise implementation --------------------------------------------

def test_concise_and_scratch_reach_the_same_parameters_in_the_chapter(book):
    assert glued_float(book, CONCISE, "further_concise_param_gap") < 1e-6
    assert glued_float(book, CONCISE, "further_concise_loss_gap") < 1e-5
    assert int(glued(book, CONCISE)["further_concise_num_steps"]) == 300


def test_equal_seeds_do_not_give_dataloader_and_data_iter_the_same_order(book):
    assert outputs_of(book, CONCISE, "order_loader = DataLoader").strip() == "False"


def test_mse_loss_is_twice_the_mean_half_squared_loss(data):
    features, labels = data
    net = linreg_net(2, generator=torch.Generator().manual_seed(0))
    y_hat = net(features)
    assert torch.allclose(nn.MSELoss()(y_hat, labels), 2 * squared_loss(y_hat, labels).mean())


def test_concise_with_half_the_rate_takes_the_scratch_steps(data):
    features, labels = data
    w0, b0 = init_params(2, generator=torch.Generator().manual_seed(2))
    w, b, _ = train(features, labels, 0.03, 10, 2,
                    generator=torch.Generator().manual_seed(1), params=(w0, b0))
    g = torch.Generator().manual_seed(1)
    orders = [torch.randperm(len(features), generator=g) for _ in range(2)]
    net = linreg_net(2)
    with torch.no_grad():
        net[0].weight.copy_(w0.T)
        net[0].bias.copy_(b0)
    trainer = torch.optim.SGD(net.parameters(), lr=0.015)
    dataset = torch.utils.data.TensorDataset(features, labels)
    for order in orders:
        for X, y in torch.utils.data.DataLoader(dataset, 10, sampler=order.tolist()):
            trainer.zero_grad()
            nn.MSELoss()(net(X), y).backward()
            trainer.step()
    assert (w.detach().reshape(-1) - net[0].weight.detach().reshape(-1)).abs().max() < 1e-6
    assert (b.detach() - net[0].bias.detach()).abs().max() < 1e-6


def test_linreg_net_starts_like_init_params():
    net = linreg_net(3, generator=torch.Generator().manual_seed(0))
    w, _ = init_params(3, generator=torch.Generator().manual_seed(0))
    assert net[0].weight.shape == (1, 3) and net[0].bias.shape == (1,)
    assert torch.equal(net[0].weight.detach(), w.detach().T)
    assert torch.equal(net[0].bias.detach(), torch.zeros(1))


def test_train_concise_raises_naming_the_epoch_when_the_loss_explodes(data):
    features, labels = data
    with pytest.raises(ValueError, match="epoch 1"):
        train_concise(features, labels, lr=10.0, generator=torch.Generator().manual_seed(0))


def test_concise_chapter_recovers_the_true_parameters(book):
    assert glued_float(book, CONCISE, "further_concise_w_error") < 5e-3
    assert glued_float(book, CONCISE, "further_concise_b_error") < 5e-3


# --- The closed form -------------------------------------------------------

def test_lstsq_fit_solves_the_normal_equations(data):
    features, labels = data
    w, b = lstsq_fit(features, labels)
    A = torch.cat([features, torch.ones(len(features), 1)], dim=1).double()
    theta = torch.cat([w.reshape(-1), b]).double().reshape(-1, 1)
    gradient = A.T @ (A @ theta - labels.double()) / len(A)
    assert w.shape == (2, 1) and b.shape == (1,)
    assert gradient.abs().max() < 1e-5


def test_closed_form_loss_is_the_floor_in_the_table(book):
    g = glued(book, CLOSED)
    closed = float(g["further_closed_form_closed_loss"])
    for fit in ["true", "scratch", "concise"]:
        assert closed <= float(g[f"further_closed_form_{fit}_loss"])


def test_scratch_concise_and_closed_form_agree_in_the_table(book):
    g = glued(book, CLOSED)
    for param in ["w0", "w1", "b"]:
        closed = float(g[f"further_closed_form_closed_{param}"])
        true = float(g[f"further_closed_form_true_{param}"])
        for fit in ["scratch", "concise"]:
            assert abs(float(g[f"further_closed_form_{fit}_{param}"]) - closed) < 2e-3
        assert abs(closed - true) < 2e-3
    sgd_gap = float(g["further_closed_form_sgd_gap"])
    assert sgd_gap < 2e-3
    assert float(g["further_closed_form_true_gap"]) < 2e-3


# --- Hyperparameters -------------------------------------------------------

def test_stability_bound_is_two_over_the_largest_eigenvalue(data):
    features, _ = data
    A = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    lam = torch.linalg.eigvalsh(A.T @ A / len(A)).max()
    assert stability_bound(features) == pytest.approx(2 / float(lam), rel=1e-6)
    assert stability_bound(3 * features) < stability_bound(features) / 5


def test_chapter_bound_matches_the_package(book, data):
    features, _ = data
    assert glued_float(book, HYPER, "further_hyper_bound") == pytest.approx(
        stability_bound(features), rel=1e-6)


def test_sweep_rates_above_the_bound_explode_and_below_converge_in_the_chapter(book):
    bound = glued_float(book, HYPER, "further_hyper_bound")
    floor = glued_float(book, HYPER, "further_hyper_floor")
    text = outputs_of(book, HYPER, "sweep = {lr: run_sgd")
    seen = 0
    for line in text.strip().splitlines():
        lr = float(line.split(":")[0].split("=")[1])
        seen += 1
        if lr > bound:
            assert "stopped" in line, line
        else:
            assert "stopped" not in line, line
            if lr >= 0.03:
                assert float(line.rsplit(" ", 1)[1]) < 10 * floor, line
    assert seen == 6
    assert sum(1 for line in text.splitlines() if "stopped" in line) == 2


@pytest.mark.parametrize("factor", [0.5, 0.7])
def test_minibatch_sgd_below_the_bound_converges(data, factor):
    features, labels = data
    _, _, history = train(features, labels, lr=factor * stability_bound(features),
                          batch_size=10, num_epochs=3, generator=torch.Generator().manual_seed(0))
    assert history["epoch"][-1] < 1e-3


@pytest.mark.parametrize("factor", [1.3, 2.0])
def test_minibatch_sgd_above_the_bound_diverges(data, factor):
    features, labels = data
    with pytest.raises(ValueError, match="epoch"):
        train(features, labels, lr=factor * stability_bound(features),
              batch_size=10, num_epochs=3, generator=torch.Generator().manual_seed(0))


def test_full_batch_gradient_descent_follows_the_bound_in_the_chapter(book):
    text = outputs_of(book, HYPER, "full_batch = {f: run_sgd")
    below, above = text.strip().splitlines()
    assert below.startswith("lr = 0.9") and above.startswith("lr = 1.1")
    final_below = float(below.rsplit(" ", 1)[1])
    first_above = float(above.split("step 1 ")[1].split(",")[0])
    final_above = float(above.rsplit(" ", 1)[1])
    assert final_below < 1e-3
    assert final_above > first_above


def test_near_bound_runs_are_finite_below_and_explode_above_in_the_chapter(book):
    text = outputs_of(book, HYPER, "factors = [")
    rows = dict(line.split(" x bound:") for line in text.strip().splitlines())
    assert set(rows) == {"0.8", "0.9", "0.95", "1.0", "1.1"}
    for f in ["0.8", "0.9", "0.95"]:
        assert "exploded" not in rows[f]
    for f in ["1.0", "1.1"]:
        assert rows[f].split() == ["exploded"] * 5


def test_batch_size_one_at_rate_one_diverges_though_below_the_bound(data):
    features, labels = data
    assert 1.0 < stability_bound(features)
    with pytest.raises(ValueError):
        train(features, labels, lr=1.0, batch_size=1, num_epochs=1,
              generator=torch.Generator().manual_seed(0))


def test_loss_reaches_within_ten_percent_of_the_floor_and_stays(book):
    enough = int(glued(book, HYPER)["further_hyper_enough_epochs"])
    text = outputs_of(book, HYPER, "excess = [l / floor")
    excess = [float(line.split(":")[1].split("%")[0]) for line in text.strip().splitlines()]
    assert len(excess) == 10
    assert excess[enough - 1] < 10 and all(x >= 10 for x in excess[:enough - 1])
    assert all(0 <= x < 10 for x in excess[enough - 1:])


def test_chapters_have_their_figures(book):
    names = {
        HYPER: {"fig-hyper-lr-sweep", "fig-hyper-batch-size", "fig-hyper-landscape"},
    }
    for docname, expected in names.items():
        found = set()
        for cell in book.notebook(docname).cells:
            fig = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
            if "name" in fig and any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
                found.add(fig["name"])
        assert expected <= found
