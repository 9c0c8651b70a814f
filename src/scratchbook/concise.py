"""The concise implementation.

From book/further/concise.md: generated; edit the chapter instead, then run `make tangle`.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .training import DivergenceError
from .checks import _check_positive_int


def linreg_net(num_inputs: int, generator: torch.Generator | None = None) -> nn.Sequential:
    """A linear regression model as one `nn.Linear` layer, initialized like `init_params`.

    net(X) = X W^T + b with W ~ N(0, 0.01^2) and b = 0.

    Args:
        num_inputs: d, the number of features (at least 1).
        generator: the random stream for the weights; None uses PyTorch's global one.

    Returns:
        nn.Sequential(nn.Linear(d, 1)): maps X of shape (n, d) to (n, 1);
        net[0].weight has shape (1, d), net[0].bias shape (1,).

    Raises:
        TypeError: num_inputs is not an int, or generator is not a torch.Generator.
        ValueError: num_inputs is below 1.

    Defined in chapter "The concise implementation" (book/further/concise.md).
    """
    _check_positive_int("num_inputs", num_inputs)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    nn.init.normal_(net[0].weight, 0.0, 0.01, generator=generator)
    nn.init.zeros_(net[0].bias)
    return net


def train_concise(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03,
                  batch_size: int = 10, num_epochs: int = 3,
                  generator: torch.Generator | None = None,
                  net: nn.Module | None = None) -> tuple[nn.Module, dict[str, list[float]]]:
    """Fit a linear model with `DataLoader`, `nn.MSELoss` and `torch.optim.SGD`, as `train` does.

    Minimizes half the mean squared error, (1/2n) sum_i (net(x_i) - y_i)^2, the
    loss of `train`, by minibatch SGD with the minibatch order `data_iter` draws:
    from the same initial parameters and generator it takes `train`'s steps.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).
        lr: the learning rate.
        batch_size: examples per minibatch; the last one may be shorter.
        num_epochs: passes over the data.
        generator: the random stream for the initial weights and the shuffles;
            None uses PyTorch's global one.
        net: the model to train in place; None creates `linreg_net(d, generator)`.

    Returns:
        net: the trained model.
        history: "step", the mean minibatch loss of each step, and "epoch", the
            mean loss over the whole data set after each epoch (half squared errors).

    Raises:
        ValueError: batch_size or num_epochs is not a positive integer, or the
            labels are not one per example.
        DivergenceError: a minibatch loss became inf or nan; its `history` holds
            the run up to that step.

    Defined in chapter "The concise implementation" (book/further/concise.md).
    """
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("num_epochs", num_epochs)
    if labels.numel() != len(features):
        raise ValueError(f"labels must hold one value per example: features have "
                         f"{len(features)} rows, labels have shape {tuple(labels.shape)}")
    if net is None:
        net = linreg_net(features.shape[1], generator)
    labels = labels.reshape(-1, 1)  # a column, like net's output
    dataset = TensorDataset(features, labels)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    history = {"step": [], "epoch": []}
    for epoch in range(num_epochs):
        order = torch.randperm(len(dataset), generator=generator)  # as data_iter draws it
        for X, y in DataLoader(dataset, batch_size, sampler=order.tolist()):
            l = loss(net(X), y) / 2  # half the MSE: Part II's loss
            history["step"].append(l.item())
            if not math.isfinite(history["step"][-1]):
                raise DivergenceError(
                    f"the minibatch loss became {history['step'][-1]} in epoch {epoch + 1} "
                    f"(lr={lr}): the updates diverge; try a smaller learning rate", history)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            epoch_loss = loss(net(features), labels).item() / 2
        if not math.isfinite(epoch_loss):
            raise DivergenceError(
                f"the loss became {epoch_loss} after epoch {epoch + 1} (lr={lr}): "
                f"the updates diverge; try a smaller learning rate", history)
        history["epoch"].append(epoch_loss)
    return net, history
