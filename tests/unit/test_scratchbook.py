"""Unit tests of the scratchbook functions built in Part II (book/scratch/)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import scratchbook
from scratchbook import data_iter, init_params, linreg, sgd, squared_loss, synthetic_data, train
from scratchbook.checks import _check_positive_int

TRUE_W = torch.tensor([2, -3.4])
TRUE_B = 4.2
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; this machine has none")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def data():
    return synthetic_data(TRUE_W, TRUE_B, 1000, generator=gen(0))


# --- _check_positive_int ------------------------------------------------------

@pytest.mark.parametrize("value", [0, -3])
def test_check_positive_int_rejects_values_below_one(value):
    with pytest.raises(ValueError, match="count"):
        _check_positive_int("count", value)


@pytest.mark.parametrize("value", [2.0, "10", True, None])
def test_check_positive_int_rejects_non_integers(value):
    with pytest.raises(TypeError, match="count"):
        _check_positive_int("count", value)


@pytest.mark.parametrize("value", [1, 7])
def test_check_positive_int_accepts_positive_integers(value):
    assert _check_positive_int("count", value) is None


def test_check_positive_int_is_private_not_exported():
    assert "_check_positive_int" not in scratchbook.__all__
    assert not hasattr(scratchbook, "_check_positive_int")


# --- synthetic_data ---------------------------------------------------------

def test_synthetic_data_shapes_and_dtype():
    X, y = synthetic_data(TRUE_W, TRUE_B, 7, generator=gen())
    assert X.shape == (7, 2) and y.shape == (7, 1)
    assert X.dtype == y.dtype == torch.float32


def test_synthetic_data_labels_follow_the_model_up_to_noise_of_std_001(data):
    X, y = data
    noise = y[:, 0] - (X @ TRUE_W + TRUE_B)
    assert abs(float(noise.mean())) < 0.002
    assert 0.008 < float(noise.std()) < 0.012


def test_synthetic_data_features_are_standard_normal(data):
    X, _ = data
    assert torch.allclose(X.mean(0), torch.zeros(2), atol=0.1)
    assert torch.allclose(X.std(0), torch.ones(2), atol=0.1)


def test_synthetic_data_accepts_a_column_of_weights():
    X1, y1 = synthetic_data(TRUE_W, TRUE_B, 5, generator=gen(3))
    X2, y2 = synthetic_data(TRUE_W.reshape(2, 1), TRUE_B, 5, generator=gen(3))
    assert torch.equal(X1, X2) and torch.equal(y1, y2)


def test_synthetic_data_is_reproducible_with_a_generator():
    a = synthetic_data(TRUE_W, TRUE_B, 5, generator=gen(42))
    b = synthetic_data(TRUE_W, TRUE_B, 5, generator=gen(42))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("w", [torch.ones(2, 2), torch.ones(1, 2), torch.tensor(1.0), torch.ones(2, 1, 1)])
def test_synthetic_data_rejects_weights_that_are_not_a_vector_or_column(w):
    with pytest.raises(ValueError, match=r"w must have shape .*got"):
        synthetic_data(w, TRUE_B, 5)


@pytest.mark.parametrize("n", [0, -1])
def test_synthetic_data_rejects_num_examples_below_one(n):
    with pytest.raises(ValueError, match="num_examples"):
        synthetic_data(TRUE_W, TRUE_B, n)


def test_synthetic_data_rejects_a_fractional_num_examples():
    with pytest.raises(TypeError, match="num_examples"):
        synthetic_data(TRUE_W, TRUE_B, 10.5)


def test_synthetic_data_keeps_the_float64_dtype_of_w():
    X, y = synthetic_data(TRUE_W.double(), TRUE_B, 7, generator=gen())
    assert X.dtype == y.dtype == torch.float64


def test_synthetic_data_uses_the_default_dtype_for_integer_weights():
    X, y = synthetic_data(torch.tensor([2, -3]), TRUE_B, 7, generator=gen())
    assert X.dtype == y.dtype == torch.get_default_dtype()


@CUDA
def test_synthetic_data_draws_on_the_device_of_w():
    X, y = synthetic_data(TRUE_W.cuda(), TRUE_B, 7, generator=torch.Generator("cuda").manual_seed(0))
    assert X.device.type == y.device.type == "cuda"


def test_synthetic_data_rejects_a_generator_on_another_device_than_w():
    meta = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"generator must be on w's device.*meta"):
        synthetic_data(TRUE_W.to("meta"), TRUE_B, 7, generator=meta)


# --- data_iter --------------------------------------------------------------

def test_data_iter_yields_batches_of_the_right_shapes(data):
    X, y = next(data_iter(10, *data, generator=gen()))
    assert X.shape == (10, 2) and y.shape == (10, 1)


def test_data_iter_visits_every_example_exactly_once_per_epoch():
    features, labels = torch.randn(103, 2), torch.arange(103)
    seen = torch.cat([y for _, y in data_iter(10, features, labels, generator=gen())])
    assert torch.equal(seen.sort().values, torch.arange(103))


def test_data_iter_keeps_features_and_labels_paired():
    features = torch.arange(50.0).reshape(25, 2)
    labels = torch.arange(25)
    for X, y in data_iter(4, features, labels, generator=gen()):
        assert torch.equal(X[:, 0], 2.0 * y)


def test_data_iter_keeps_the_last_partial_batch():
    features, labels = torch.randn(1000, 2), torch.randn(1000, 1)
    sizes = [len(X) for X, _ in data_iter(64, features, labels, generator=gen())]
    assert sizes == [64] * 15 + [40]


def test_data_iter_shuffles():
    labels = torch.arange(100)
    order = torch.cat([y for _, y in data_iter(10, torch.zeros(100, 1), labels, generator=gen())])
    assert not torch.equal(order, labels)


def test_data_iter_order_is_reproducible_with_the_same_generator_seed(data):
    first = [y for _, y in data_iter(10, *data, generator=gen(5))]
    again = [y for _, y in data_iter(10, *data, generator=gen(5))]
    assert all(torch.equal(u, v) for u, v in zip(first, again, strict=True))


def test_data_iter_order_is_reproducible_with_the_same_global_seed(data):
    torch.manual_seed(5)
    first = [y for _, y in data_iter(10, *data)]
    torch.manual_seed(5)
    again = [y for _, y in data_iter(10, *data)]
    assert all(torch.equal(u, v) for u, v in zip(first, again, strict=True))


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-5, ValueError),
                                               (2.5, TypeError), (10.0, TypeError)])
def test_data_iter_rejects_a_bad_batch_size(data, batch_size, error):
    with pytest.raises(error, match="batch_size"):
        next(data_iter(batch_size, *data))


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError)])
def test_data_iter_checks_the_batch_size_when_called_not_at_the_first_batch(data, batch_size, error):
    with pytest.raises(error, match=rf"batch_size .*got .*{batch_size}"):
        data_iter(batch_size, *data)


def test_data_iter_checks_the_lengths_when_called_not_at_the_first_batch():
    with pytest.raises(ValueError, match=r"10 features and 9 labels"):
        data_iter(5, torch.randn(10, 2), torch.randn(9, 1))


def test_data_iter_draws_its_order_at_the_first_batch_as_the_plain_generator_does(data):
    batches = data_iter(10, *data)
    torch.manual_seed(7)  # a seed set after the call still decides the order
    first = [y for _, y in batches]
    torch.manual_seed(7)
    again = [y for _, y in data_iter(10, *data)]
    assert all(torch.equal(u, v) for u, v in zip(first, again, strict=True))


def test_data_iter_passes_float64_data_through(data):
    X, y = next(data_iter(10, data[0].double(), data[1].double(), generator=gen()))
    assert X.dtype == y.dtype == torch.float64


@CUDA
def test_data_iter_indexes_on_the_device_of_the_data_in_the_generators_order(data):
    features, labels = data
    on_cpu = [y for _, y in data_iter(10, features, labels, generator=gen(5))]
    on_gpu = [y for _, y in data_iter(10, features.cuda(), labels.cuda(), generator=gen(5))]
    assert all(v.device.type == "cuda" and torch.equal(u, v.cpu()) for u, v in zip(on_cpu, on_gpu, strict=True))
    X, _ = next(data_iter(10, features.cuda(), labels.cuda()))
    assert X.device.type == "cuda"


def test_data_iter_rejects_features_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match=r"features and labels .* 10 features and 9 labels"):
        next(data_iter(5, torch.randn(10, 2), torch.randn(9, 1)))


# --- init_params, linreg ------------------------------------------------------

def test_init_params_shapes_values_and_gradients():
    w, b = init_params(2000, generator=gen())
    assert w.shape == (2000, 1) and b.shape == (1,)
    assert w.requires_grad and b.requires_grad
    assert b.item() == 0.0
    assert 0.009 < float(w.detach().std()) < 0.011


def test_init_params_rejects_num_inputs_below_one():
    with pytest.raises(ValueError, match="num_inputs"):
        init_params(0)


def test_linreg_computes_Xw_plus_b():
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0], [-1.0]])
    b = torch.tensor([0.5])
    assert torch.equal(linreg(X, w, b), torch.tensor([[-0.5], [-0.5]]))


@pytest.mark.parametrize("X_shape, w_shape", [((10, 3), (2, 1)), ((10,), (2, 1)), ((10, 2, 1), (2, 1))])
def test_linreg_rejects_X_and_w_that_do_not_fit(X_shape, w_shape):
    with pytest.raises(ValueError, match=r"X .*w .*got X \("):
        linreg(torch.randn(X_shape), torch.randn(w_shape), torch.zeros(1))


# --- squared_loss -------------------------------------------------------------

@pytest.mark.parametrize("y_shape", [(10, 1), (10,)])
def test_squared_loss_is_half_the_elementwise_mse(y_shape):
    y_hat, y = torch.randn(10, 1, generator=gen(1)), torch.randn(y_shape, generator=gen(2))
    loss = squared_loss(y_hat, y)
    assert loss.shape == (10, 1)
    assert torch.allclose(loss, F.mse_loss(y_hat, y.reshape(10, 1), reduction="none") / 2)


def test_squared_loss_does_not_broadcast_flat_labels_to_a_matrix():
    y_hat, y = torch.randn(10, 1), torch.randn(10)
    assert (y_hat - y).shape == (10, 10)  # the trap the reshape avoids
    assert squared_loss(y_hat, y).shape == (10, 1)


def test_squared_loss_rejects_labels_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"y has 9 elements .*y_hat's shape \(10, 1\)"):
        squared_loss(torch.randn(10, 1), torch.randn(9))


# --- sgd ----------------------------------------------------------------------

def test_sgd_matches_torch_optim_sgd_on_gradients_divided_by_batch_size():
    batch_size, lr = 10, 0.03
    X, y = synthetic_data(TRUE_W, TRUE_B, batch_size, generator=gen(1))
    w, b = init_params(2, generator=gen(2))
    w_ref, b_ref = (p.detach().clone().requires_grad_(True) for p in (w, b))

    squared_loss(linreg(X, w, b), y).sum().backward()
    sgd([w, b], lr, batch_size)

    optimizer = torch.optim.SGD([w_ref, b_ref], lr=lr)
    squared_loss(linreg(X, w_ref, b_ref), y).sum().backward()
    for p in (w_ref, b_ref):
        p.grad /= batch_size
    optimizer.step()
    assert torch.allclose(w, w_ref, atol=1e-7) and torch.allclose(b, b_ref, atol=1e-7)


def test_sgd_zeroes_the_gradients_and_keeps_requires_grad():
    w, b = init_params(2, generator=gen())
    squared_loss(linreg(torch.ones(3, 2), w, b), torch.ones(3)).sum().backward()
    sgd([w, b], 0.1, 3)
    assert torch.equal(w.grad, torch.zeros(2, 1)) and torch.equal(b.grad, torch.zeros(1))
    assert w.requires_grad and w.is_leaf


def test_sgd_rejects_a_parameter_without_grad_and_changes_nothing():
    w, b = init_params(2, generator=gen())
    w.grad = torch.ones(2, 1)
    before = w.detach().clone()
    with pytest.raises(ValueError, match=r"params\[1\] .*has no .grad"):
        sgd([w, b], 0.1, 10)
    assert torch.equal(w.detach(), before)


@pytest.mark.parametrize("batch_size, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError)])
def test_sgd_rejects_a_bad_batch_size(batch_size, error):
    w, b = init_params(2, generator=gen())
    with pytest.raises(error, match="batch_size"):
        sgd([w, b], 0.1, batch_size)


@pytest.mark.parametrize("lr", [-0.1, float("inf"), float("nan")])
def test_sgd_rejects_a_negative_or_non_finite_lr(lr):
    w, b = init_params(2, generator=gen())
    squared_loss(linreg(torch.ones(3, 2), w, b), torch.ones(3)).sum().backward()
    with pytest.raises(ValueError, match="lr"):
        sgd([w, b], lr, 3)


# --- train --------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(data):
    return train(*data, generator=gen(0))


def test_train_returns_parameters_and_a_history_of_the_right_lengths(trained):
    w, b, history = trained
    assert w.shape == (2, 1) and b.shape == (1,)
    assert len(history["step"]) == 3 * 100 and len(history["epoch"]) == 3
    assert all(isinstance(v, float) for v in history["step"] + history["epoch"])


def test_train_recovers_the_true_parameters_within_001(trained):
    w, b, _ = trained
    assert float((w.detach().reshape(-1) - TRUE_W).abs().max()) < 0.01
    assert abs(b.item() - TRUE_B) < 0.01


def test_train_agrees_with_lstsq_within_001(data, trained):
    features, labels = data
    w, b, _ = trained
    X_ones = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(X_ones, labels).solution.reshape(-1)
    found = torch.cat([w.detach().reshape(-1), b.detach()])
    assert float((found - solution).abs().max()) < 0.01


def test_train_epoch_loss_falls_to_the_noise_floor(trained):
    _, _, history = trained
    assert history["epoch"][0] > history["epoch"][-1]
    assert history["epoch"][-1] < 2 * 0.01 ** 2 / 2


def test_train_runs_the_chapter_loop_step_for_step(data):
    features, labels = data
    torch.manual_seed(1)
    w, b = init_params(2)
    steps = []
    for X, y in data_iter(10, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], 0.03, 10)
        steps.append(l.mean().item())
    torch.manual_seed(1)
    w_t, b_t, history = train(features, labels, num_epochs=1)
    assert history["step"] == steps
    assert torch.equal(w_t, w) and torch.equal(b_t, b)


def test_train_is_reproducible_with_the_same_generator_seed(data):
    a = train(*data, num_epochs=1, generator=gen(9))
    b = train(*data, num_epochs=1, generator=gen(9))
    assert a[2] == b[2] and torch.equal(a[0], b[0])


def test_train_copies_the_given_params(data):
    w0, b0 = torch.zeros(2, 1), torch.zeros(1)
    w, b, _ = train(*data, generator=gen(), params=(w0, b0))
    assert torch.equal(w0, torch.zeros(2, 1)) and torch.equal(b0, torch.zeros(1))
    assert w.requires_grad and not w0.requires_grad
    assert float((w.detach().reshape(-1) - TRUE_W).abs().max()) < 0.01


def test_train_stops_when_the_loss_diverges_naming_the_epoch_and_lr(data):
    with pytest.raises(ValueError, match=r"epoch 1 .*lr=3.0.*smaller learning rate"):
        train(*data, lr=3.0, generator=gen())


@pytest.mark.parametrize("num_epochs, error", [(0, ValueError), (2.0, TypeError)])
def test_train_rejects_a_bad_num_epochs(data, num_epochs, error):
    with pytest.raises(error, match="num_epochs"):
        train(*data, num_epochs=num_epochs)


def test_train_rejects_a_bad_batch_size(data):
    with pytest.raises(ValueError, match="batch_size"):
        train(*data, batch_size=0)
