"""The concise implementation.

From book/further/concise.md: generated; edit the chapter instead, then run `make tangle`.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def linreg_net(num_inputs: int, generator: torch.Generator | None = None) -> nn.Sequential:
    """A linear regression model as one `nn.Linear` layer, initialised like `init_params`.

    net(X) = X W^T + b with W ~ N(0, 0.01^2) and b = 0.

    Args:
        num_inputs: d, the number of features.
        generator: the random stream for the weights; None uses PyTorch's global one.

    Returns:
        nn.Sequential(nn.Linear(d, 1)): maps X of shape (n, d) to (n, 1);
        net[0].weight has shape (1, d), net[0].bias shape (1,).

    Defined in chapter "The concise implementation" (book/further/concise.md).
    """
    net = nn.Sequential(nn.Linear(num_inputs, 1))
    nn.init.normal_(net[0].weight, 0.0, 0.01, generator=generator)
    nn.init.zeros_(net[0].bias)
    return net


def train_concise(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03,
                  batch_size: int = 10, num_epochs: int = 3,
                  generator: torch.Generator | None = None,
                  net: nn.Module | None = None) -> tuple[nn.Module, dict[str, list[float]]]:
    """Fit a linear model with `DataLoader`, `nn.MSELoss` and `torch.optim.SGD`.

    Minimises (1/n) sum_i (net(x_i) - y_i)^2 by minibatch SGD. The gradient of
    this loss is twice that of `squared_loss`'s mean, so a step with rate lr
    here equals a step with rate 2 * lr in `train`.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1).
        lr: the learning rate.
        batch_size: examples per minibatch.
        num_epochs: passes over the data.
        generator: the random stream for the initial weights and the shuffling.
        net: the model to train in place; None creates `linreg_net(d, generator)`.

    Returns:
        net: the trained model.
        history: {"step": mean squared error of each minibatch,
                  "epoch": mean squared error on all the data after each epoch}.

    Raises:
        ValueError: the loss became inf or NaN (the message names the epoch).

    Defined in chapter "The concise implementation" (book/further/concise.md).
    """
    if net is None:
        net = linreg_net(features.shape[1], generator)
    loader = DataLoader(TensorDataset(features, labels), batch_size,
                        shuffle=True, generator=generator)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    history = {"step": [], "epoch": []}
    for epoch in range(1, num_epochs + 1):
        for X, y in loader:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            history["step"].append(l.item())
        with torch.no_grad():
            epoch_loss = loss(net(features), labels).item()
        if not torch.isfinite(torch.tensor(epoch_loss)):
            raise ValueError(f"the loss became {epoch_loss} in epoch {epoch}; lower lr")
        history["epoch"].append(epoch_loss)
    return net, history
