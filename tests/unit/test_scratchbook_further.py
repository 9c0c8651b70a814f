"""Unit tests of the scratchbook functions built in Parts III and IV (book/further/, book/beyond/)."""

from __future__ import annotations

import datetime
import re

import pytest
import torch

import scratchbook
from scratchbook import (
    linreg_net,
    lstsq_fit,
    many_processes,
    r2_score,
    stability_bound,
    standardize,
    synthetic_data,
    train_allreduce,
    train_ddp,
    train_val_split,
)

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; this machine has none")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)

# --- r2_score -----------------------------------------------------------------


@pytest.fixture
def labels_and_predictions():
    """Labels spread widely and predictions squeezed towards their mean: R^2 differs when swapped."""
    g = torch.Generator().manual_seed(0)
    y = 3.0 * torch.randn(40, 1, generator=g, dtype=torch.float64)
    y_hat = 0.2 * y + 0.5 * torch.randn(40, 1, generator=g, dtype=torch.float64)
    return y, y_hat


def test_r2_score_takes_labels_first_as_scikit_learn_does(labels_and_predictions):
    from sklearn.metrics import r2_score as sk_r2_score

    y, y_hat = labels_and_predictions
    assert r2_score(y, y_hat) == pytest.approx(sk_r2_score(y.numpy(), y_hat.numpy()), rel=1e-12)
    assert r2_score(y.reshape(-1), y_hat) == pytest.approx(r2_score(y, y_hat), rel=1e-12)


def test_r2_score_with_its_arguments_swapped_is_another_number(labels_and_predictions):
    from sklearn.metrics import r2_score as sk_r2_score

    y, y_hat = labels_and_predictions
    swapped = sk_r2_score(y_hat.numpy(), y.numpy())
    assert abs(r2_score(y, y_hat) - swapped) > 1.0
    assert r2_score(y_hat, y) == pytest.approx(swapped, rel=1e-12)


# --- run_workers' internals -------------------------------------------------------


@pytest.mark.parametrize("name", ["worker", "free_port"])
def test_run_workers_internals_are_private_and_not_exported(name):
    assert name not in scratchbook.__all__ and not hasattr(scratchbook, name)
    assert not hasattr(many_processes, name) and callable(getattr(many_processes, f"_{name}"))


# --- lstsq_fit ----------------------------------------------------------------------


def dependent_columns(n: int = 50):
    """Features whose third column copies the first, and labels that fit them."""
    X = torch.randn(n, 2, generator=gen(1))
    return torch.cat([X, X[:, :1]], dim=1), X @ torch.tensor([[2.0], [-3.4]]) + 4.2


def test_lstsq_fit_refuses_dependent_columns_with_a_driver_that_reports_no_rank(monkeypatch):
    lstsq = torch.linalg.lstsq
    # gels, the only driver on CUDA, returns an empty rank: the check must not read it
    monkeypatch.setattr(torch.linalg, "lstsq", lambda A, B, **kwargs: lstsq(A, B, driver="gels"))
    with pytest.raises(ValueError, match=r"linearly dependent \(rank below 4\)"):
        lstsq_fit(*dependent_columns())


def test_lstsq_fit_refuses_dependent_columns_with_the_default_driver():
    with pytest.raises(ValueError, match=r"linearly dependent \(rank below 4\)"):
        lstsq_fit(*dependent_columns())


def test_lstsq_fit_matches_torch_lstsq_on_independent_columns():
    X, y = dependent_columns()
    w, b = lstsq_fit(X[:, :2], y)
    theta = torch.linalg.lstsq(torch.cat([X[:, :2], torch.ones(len(X), 1)], dim=1), y).solution
    assert torch.allclose(torch.cat([w.reshape(-1), b]), theta.reshape(-1), atol=1e-5)


@CUDA
def test_lstsq_fit_refuses_dependent_columns_on_cuda():
    X, y = dependent_columns()
    with pytest.raises(ValueError, match="linearly dependent"):
        lstsq_fit(X.cuda(), y.cuda())


# --- argument checks: linreg_net, stability_bound, standardize, train_val_split ---------


@pytest.mark.parametrize("num_inputs, error, message", [(0, ValueError, "num_inputs must be at least 1, got 0"),
                                                        (-2, ValueError, "num_inputs must be at least 1, got -2"),
                                                        (2.0, TypeError, "num_inputs must be an int, got float 2.0")])
def test_linreg_net_rejects_a_bad_num_inputs_naming_it(num_inputs, error, message):
    with pytest.raises(error, match=message):
        linreg_net(num_inputs)


def test_linreg_net_rejects_a_generator_that_is_not_a_torch_generator():
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        linreg_net(2, generator=0)


@pytest.mark.parametrize("features, message", [([[1.0, 2.0]], "features must be a floating-point tensor, got list"),
                                               (torch.ones(3, 2, dtype=torch.int64),
                                                "features must be a floating-point tensor, got torch.int64")])
def test_stability_bound_rejects_features_that_are_not_a_float_tensor(features, message):
    with pytest.raises(TypeError, match=message):
        stability_bound(features)


@pytest.mark.parametrize("shape", [(5,), (0, 2), (2, 3, 1)])
def test_stability_bound_rejects_features_that_are_not_n_by_d(shape):
    with pytest.raises(ValueError, match=re.escape(f"features must have shape (n, d) with n >= 1, got {shape}")):
        stability_bound(torch.ones(shape))


@pytest.mark.parametrize("X_train, X_val, message", [
    ([[1.0], [2.0]], torch.ones(2, 1), "got X_train list"),
    (torch.randn(4, 2), None, "got X_val NoneType"),
    (torch.randn(4, 2), torch.ones(2, 2, dtype=torch.int32), "got X_val torch.int32"),
])
def test_standardize_rejects_parts_that_are_not_float_tensors_naming_the_part(X_train, X_val, message):
    with pytest.raises(TypeError, match=message):
        standardize(X_train, X_val)


def test_standardize_rejects_parts_of_different_dtypes():
    with pytest.raises(TypeError, match="X_train torch.float32 and X_val torch.float64"):
        standardize(torch.randn(4, 2), torch.randn(2, 2, dtype=torch.float64))


@pytest.mark.parametrize("features, labels, error, message", [
    ([[1.0, 2.0]] * 10, torch.randn(10, 1), TypeError, "features must be a tensor, got list"),
    (torch.randn(10, 2), list(range(10)), TypeError, "labels must be a tensor, got list"),
    (torch.tensor(3.0), torch.randn(10, 1), ValueError, "features must hold one row per example, got a 0-d tensor 3.0"),
])
def test_train_val_split_rejects_features_and_labels_that_are_not_tensors_of_examples(features, labels, error,
                                                                                      message):
    with pytest.raises(error, match=message):
        train_val_split(features, labels, 0.2)


def test_train_val_split_rejects_a_generator_that_is_not_a_torch_generator():
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        train_val_split(torch.randn(10, 2), torch.randn(10, 1), 0.2, generator=0)


# --- the workers: shares and devices --------------------------------------------------


@pytest.mark.parametrize("shares, message", [([0, 10], "shares[0] must be at least 1, got 0"),
                                             ([10, 0], "shares[1] must be at least 1, got 0"),
                                             ([-1, 11], "shares[0] must be at least 1, got -1")])
def test_check_shares_rejects_an_empty_or_negative_share_naming_it(shares, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        many_processes._check_shares(shares, 2, 10, 100)


def test_check_shares_rejects_a_share_that_is_not_an_int():
    with pytest.raises(TypeError, match=re.escape("shares[1] must be an int, got float 5.0")):
        many_processes._check_shares([5, 5.0], 2, 10, 100)


@pytest.fixture
def group_of_one():
    """A gloo process group of this process alone, for calling the workers' functions directly."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{many_processes._free_port()}", rank=0,
                            world_size=1, timeout=datetime.timedelta(seconds=30))
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize("fn", [train_allreduce, train_ddp])
def test_workers_create_their_parameters_on_the_features_device_not_the_default_one(group_of_one, fn):
    features, labels = synthetic_data(torch.tensor([2, -3.4]), 4.2, 40, generator=gen(0))
    with torch.device("meta"):  # any default device but the features' one
        out = fn(features, labels, 0.03, 10, 1, gen(0))
    params = out[:2] if fn is train_allreduce else list(out.parameters())
    assert [p.device for p in params] == [features.device] * 2
