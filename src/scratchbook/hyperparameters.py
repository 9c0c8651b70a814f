"""Hyperparameters.

From book/further/hyperparameters.md: generated; edit the chapter instead, then run `make tangle`.
"""

import torch


def stability_bound(features: torch.Tensor) -> float:
    """The largest stable learning rate of gradient descent on the squared loss.

    2 / lambda_max(A^T A / n) with A = [X, 1]: the bound for steps on the mean of
    half the squared errors, as `train` takes them. Above it, full-batch
    gradient descent diverges.

    Args:
        features: X, shape (n, d).

    Returns:
        The bound, a float.

    Defined in chapter "Hyperparameters" (book/further/hyperparameters.md).
    """
    A = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype, device=features.device)], dim=1)
    H = A.T @ A / len(A)  # (d + 1, d + 1), the Hessian of the loss
    return 2 / float(torch.linalg.eigvalsh(H).max())
