"""The closed form.

From book/further/closed-form.md: generated; edit the chapter instead, then run `make tangle`.
"""

import torch


def lstsq_fit(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The least-squares fit of y = Xw + b, in closed form.

    Solves min ||A theta - y|| with A = [X, 1] and theta = [w; b], the solution
    of the normal equations A^T A theta = A^T y, with torch.linalg.lstsq.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).

    Returns:
        w: shape (d, 1).
        b: shape (1,).

    Defined in chapter "The closed form" (book/further/closed-form.md).
    """
    A = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype)], dim=1)
    theta = torch.linalg.lstsq(A, labels.reshape(-1, 1)).solution  # (d + 1, 1)
    return theta[:-1], theta[-1]
