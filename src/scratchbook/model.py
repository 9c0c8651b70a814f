"""Model, loss and optimizer.

From book/scratch/model.md: generated; edit the chapter instead, then run `make tangle`.
"""

import math
from collections.abc import Iterable

import torch
from .checks import _check_positive_int


def init_params(num_inputs: int, generator: torch.Generator | None = None, *,
                dtype: torch.dtype | None = None, device: torch.device | str | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Start the parameters: small random weights and a zero bias.

    w ~ N(0, 0.01^2) entrywise, b = 0; both record gradients.

    Args:
        num_inputs: d, the number of features (at least 1).
        generator: the random stream for w; None uses PyTorch's global one.
        dtype: the parameters' dtype; None uses PyTorch's default (float32).
        device: where the parameters live, e.g. the features' device; None
            uses PyTorch's default (the CPU).

    Returns:
        w: shape (d, 1), requires_grad=True.
        b: shape (1,), requires_grad=True.

    Defined in chapter "Model, loss and optimizer" (book/scratch/model.md).
    """
    _check_positive_int("num_inputs", num_inputs)
    w = torch.normal(0, 0.01, (num_inputs, 1), generator=generator, dtype=dtype, device=device,
                     requires_grad=True)
    b = torch.zeros(1, dtype=dtype, device=device, requires_grad=True)
    return w, b


def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear regression model.

    y_hat = X w + b, with b added to every example.

    Args:
        X: features, shape (n, d).
        w: weights, shape (d, 1).
        b: bias, shape (1,).

    Returns:
        y_hat: predictions, shape (n, 1).

    Defined in chapter "Model, loss and optimizer" (book/scratch/model.md).
    """
    if X.dim() != 2 or X.shape[1] != w.shape[0]:
        raise ValueError(f"linreg needs X of shape (n, d) and w of shape (d, 1), "
                         f"got X {tuple(X.shape)} and w {tuple(w.shape)}")
    return torch.matmul(X, w) + b


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The squared loss of each example, halved.

    l = (y_hat - y)^2 / 2, with y reshaped to y_hat's shape first.

    Args:
        y_hat: predictions, shape (n, 1).
        y: labels, n of them, shape (n, 1) or (n,).

    Returns:
        The loss of each example, shape (n, 1).

    Defined in chapter "Model, loss and optimizer" (book/scratch/model.md).
    """
    if y.numel() != y_hat.numel():
        raise ValueError(f"y has {y.numel()} elements (shape {tuple(y.shape)}) and cannot be "
                         f"reshaped to y_hat's shape {tuple(y_hat.shape)}")
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: Iterable[torch.Tensor], lr: float, batch_size: int) -> None:
    """One step of minibatch stochastic gradient descent, in place.

    param <- param - lr * param.grad / batch_size, then param.grad = 0.

    Args:
        params: tensors with requires_grad=True whose .grad holds the gradient
            of the minibatch's summed loss (after backward()).
        lr: the learning rate, finite and >= 0.
        batch_size: the number of examples the summed loss covers (the real
            size of the minibatch, len(y), when the last one is shorter).

    Defined in chapter "Model, loss and optimizer" (book/scratch/model.md).
    """
    params = list(params)
    _check_positive_int("batch_size", batch_size)
    if not (math.isfinite(lr) and lr >= 0):
        raise ValueError(f"lr must be finite and non-negative, got {lr}")
    for i, param in enumerate(params):
        if param.grad is None:
            raise ValueError(f"params[{i}] (shape {tuple(param.shape)}) has no .grad: "
                             f"call backward() on the loss before sgd")
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
