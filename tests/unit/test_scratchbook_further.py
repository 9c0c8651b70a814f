"""Unit tests of the scratchbook functions built in Parts III and IV (book/further/, book/beyond/)."""

from __future__ import annotations

import pytest
import torch

import scratchbook
from scratchbook import lstsq_fit, many_processes, r2_score

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
