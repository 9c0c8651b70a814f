"""Training.

From book/scratch/training.md: generated; edit the chapter instead, then run `make tangle`.
"""

import math

import torch
from .data import check_positive_int
from .minibatches import data_iter
from .model import init_params, linreg, sgd, squared_loss


def train(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03, batch_size: int = 10,
          num_epochs: int = 3, generator: torch.Generator | None = None,
          params: tuple[torch.Tensor, torch.Tensor] | None = None,
          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, list[float]]]:
    """Fit linreg to (features, labels) by minibatch SGD on the squared loss.

    Each step: w, b <- w, b - lr/batch_size * grad of the minibatch's summed loss.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).
        lr: the learning rate.
        batch_size: examples per minibatch.
        num_epochs: passes over the data.
        generator: the random stream for the initial w and the shuffles;
            None uses PyTorch's global one.
        params: starting (w, b) of shapes (d, 1) and (1,), copied (the caller's
            tensors are not changed); None draws them with init_params.

    Returns:
        w: shape (d, 1); b: shape (1,) (both requires_grad=True).
        history: "step", the mean minibatch loss of each step, and "epoch", the
            mean loss over the whole data set after each epoch.

    Raises:
        ValueError: the loss became inf or nan (the learning rate is too large).

    Defined in chapter "Training" (book/scratch/training.md).
    """
    check_positive_int("num_epochs", num_epochs)
    if params is None:
        w, b = init_params(features.shape[1], generator=generator)
    else:
        w, b = (p.detach().clone().requires_grad_(True) for p in params)
    history = {"step": [], "epoch": []}
    for epoch in range(num_epochs):
        step_losses = []
        for X, y in data_iter(batch_size, features, labels, generator=generator):
            l = squared_loss(linreg(X, w, b), y)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
            step_losses.append(l.detach().mean())
        with torch.no_grad():
            train_l = float(squared_loss(linreg(features, w, b), labels).mean())
        if not math.isfinite(train_l):
            raise ValueError(f"the loss became {train_l} in epoch {epoch + 1} with lr={lr}: "
                             f"the updates diverge; try a smaller learning rate")
        history["step"] += torch.stack(step_losses).tolist()
        history["epoch"].append(train_l)
    return w, b, history
