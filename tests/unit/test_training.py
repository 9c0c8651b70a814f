"""Unit tests of train, DivergenceError, and the dtype/device care of the Part II functions."""

from __future__ import annotations

import math

import pytest
import torch

from scratchbook import data_iter, init_params, linreg, sgd, squared_loss, synthetic_data, train
from scratchbook.training import DivergenceError

TRUE_W = torch.tensor([2, -3.4])
TRUE_B = 4.2


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def data():
    return synthetic_data(TRUE_W, TRUE_B, 1000, generator=gen(0))


# --- the short last minibatch -------------------------------------------------------

def hand_epoch(features, labels, batch_size, seed, divide_by_len):
    """One epoch written out, drawing from the generator in train's order."""
    g = gen(seed)
    w, b = init_params(features.shape[1], generator=g)
    for X, y in data_iter(batch_size, features, labels, generator=g):
        squared_loss(linreg(X, w, b), y).sum().backward()
        sgd([w, b], 0.03, len(y) if divide_by_len else batch_size)
    return w, b


def test_train_divides_the_short_last_minibatch_by_its_real_size(data):
    features, labels = data
    assert len(features) % 7 != 0  # the last minibatch is short
    w, b, _ = train(features, labels, batch_size=7, num_epochs=1, generator=gen(3))
    w_len, b_len = hand_epoch(features, labels, 7, 3, divide_by_len=True)
    w_nominal, b_nominal = hand_epoch(features, labels, 7, 3, divide_by_len=False)
    assert torch.equal(w, w_len) and torch.equal(b, b_len)
    assert not (torch.equal(w, w_nominal) and torch.equal(b, b_nominal))


# --- DivergenceError ----------------------------------------------------------------

def test_divergence_error_is_a_value_error():
    assert issubclass(DivergenceError, ValueError)


def test_train_raises_divergence_error_at_the_first_non_finite_step(data):
    with pytest.raises(DivergenceError) as info:
        train(*data, lr=3.0, generator=gen())
    steps = info.value.history["step"]
    assert not math.isfinite(steps[-1]), "the failing step's loss is recorded"
    assert all(math.isfinite(v) for v in steps[:-1]), "it stops at the FIRST non-finite step"
    assert info.value.history["epoch"] == []  # no epoch was completed
    message = str(info.value)
    assert f"step {len(steps)}" in message and "epoch 1 " in message
    assert "lr=3.0" in message and "smaller learning rate" in message


def test_divergence_history_matches_a_run_that_stops_before_it(data):
    with pytest.raises(DivergenceError) as info:
        train(*data, lr=3.0, generator=gen())
    steps = info.value.history["step"]
    # the steps before the failure are those of the same run, step for step
    g = gen()
    w, b = init_params(2, generator=g)
    losses = []
    for X, y in data_iter(10, *data, generator=g):
        l = squared_loss(linreg(X, w, b), y)
        losses.append(float(l.detach().mean()))
        if len(losses) == len(steps) - 1:
            break
        l.sum().backward()
        sgd([w, b], 3.0, len(y))
    assert losses == steps[:-1]


def test_divergence_error_is_caught_as_a_value_error(data):
    with pytest.raises(ValueError, match="epoch 1 "):
        train(*data, lr=3.0, generator=gen())


# --- dtype and device: nothing is built behind the caller's back ----------------------

def test_init_params_takes_dtype_and_device():
    w, b = init_params(3, generator=gen(), dtype=torch.float64, device="cpu")
    assert w.dtype == b.dtype == torch.float64
    assert w.device.type == b.device.type == "cpu"
    assert w.requires_grad and b.requires_grad


def test_init_params_on_the_meta_device_builds_nothing_on_the_cpu():
    w, b = init_params(3, device="meta")
    assert w.device.type == b.device.type == "meta"


def test_linreg_loss_sgd_keep_float64():
    X = torch.randn(5, 2, dtype=torch.float64, generator=gen())
    y = torch.randn(5, dtype=torch.float64, generator=gen(1))
    w, b = init_params(2, generator=gen(), dtype=torch.float64)
    y_hat = linreg(X, w, b)
    l = squared_loss(y_hat, y)
    assert y_hat.dtype == l.dtype == torch.float64
    l.sum().backward()
    sgd([w, b], 0.1, len(y))
    assert w.dtype == b.dtype == torch.float64 and w.grad.dtype == torch.float64


def test_train_follows_the_features_dtype(data):
    features, labels = (t.double() for t in data)
    w, b, history = train(features, labels, num_epochs=1, generator=gen())
    assert w.dtype == b.dtype == torch.float64
    assert history["epoch"][0] < history["step"][0] / 100  # it trained
