"""Training.

From book/scratch/training.md: generated; edit the chapter instead, then run `make tangle`.
"""

import math

import torch
from .minibatches import data_iter
from .model import init_params, linreg, sgd, squared_loss
from .checks import _check_positive_int


class DivergenceError(ValueError):
    """Training stopped because the loss became inf or nan.

    Raised by train at the first step whose minibatch loss is not finite. The
    attribute ``history`` holds what train would have returned so far: "step",
    the mean minibatch loss of every step up to and including the failing one
    (whose value is inf or nan), and "epoch", the loss over the whole data set
    after each completed epoch.

    Defined in chapter "Training" (book/scratch/training.md).
    """

    def __init__(self, message: str, history: dict[str, list[float]]):
        super().__init__(message)
        self.history = history


def train(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03, batch_size: int = 10,
          num_epochs: int = 3, generator: torch.Generator | None = None,
          params: tuple[torch.Tensor, torch.Tensor] | None = None,
          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, list[float]]]:
    """Fit linreg to (features, labels) by minibatch SGD on the squared loss.

    Each step: w, b <- w, b - lr / len(y) * grad of the minibatch's summed loss,
    where len(y) = batch_size except for a shorter last minibatch.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).
        lr: the learning rate.
        batch_size: examples per minibatch.
        num_epochs: passes over the data.
        generator: the random stream for the initial w and the shuffles;
            None uses PyTorch's global one.
        params: starting (w, b) of shapes (d, 1) and (1,), copied (the caller's
            tensors are not changed); None draws them with init_params, with
            the features' dtype and device.

    Returns:
        w: shape (d, 1); b: shape (1,) (both requires_grad=True).
        history: "step", the mean minibatch loss of each step, and "epoch", the
            mean loss over the whole data set after each epoch.

    Raises:
        DivergenceError: a ValueError raised at the first step whose loss is
            inf or nan (the learning rate is too large); it carries the history.

    Defined in chapter "Training" (book/scratch/training.md).
    """
    _check_positive_int("num_epochs", num_epochs)
    if params is None:
        w, b = init_params(features.shape[1], generator=generator,
                           dtype=features.dtype, device=features.device)
    else:
        w, b = (p.detach().clone().requires_grad_(True) for p in params)
    history = {"step": [], "epoch": []}
    for epoch in range(num_epochs):
        step_losses = []
        for X, y in data_iter(batch_size, features, labels, generator=generator):
            l = squared_loss(linreg(X, w, b), y)
            step_losses.append(l.detach().mean())
            if not torch.isfinite(step_losses[-1]):
                history["step"] += torch.stack(step_losses).tolist()
                raise DivergenceError(
                    f"the minibatch loss became {float(step_losses[-1])} in epoch {epoch + 1} "
                    f"at step {len(step_losses)} (lr={lr}): the updates diverge; "
                    f"try a smaller learning rate", history)
            l.sum().backward()
            sgd([w, b], lr, len(y))  # the last minibatch may be shorter than batch_size
        history["step"] += torch.stack(step_losses).tolist()
        with torch.no_grad():
            train_l = float(squared_loss(linreg(features, w, b), labels).mean())
        if not math.isfinite(train_l):
            raise DivergenceError(
                f"the loss became {train_l} after epoch {epoch + 1} (lr={lr}): "
                f"the updates diverge; try a smaller learning rate", history)
        history["epoch"].append(train_l)
    return w, b, history
