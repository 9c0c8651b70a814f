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

    Raises:
        TypeError: features is not a floating-point tensor.
        ValueError: features is not of shape (n, d) with n >= 1.

    Defined in chapter "Hyperparameters" (book/further/hyperparameters.md).
    """
    if not (isinstance(features, torch.Tensor) and features.is_floating_point()):
        kind = features.dtype if isinstance(features, torch.Tensor) else type(features).__name__
        raise TypeError(f"features must be a floating-point tensor, got {kind}")
    if features.dim() != 2 or len(features) == 0:
        raise ValueError(f"features must have shape (n, d) with n >= 1, got {tuple(features.shape)}")
    A = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype, device=features.device)], dim=1)
    H = A.T @ A / len(A)  # (d + 1, d + 1), the Hessian of the loss
    return 2 / float(torch.linalg.eigvalsh(H).max())
