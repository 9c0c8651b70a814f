"""The closed form.

From book/further/closed-form.md: generated; edit the chapter instead, then run `make tangle`.
"""

import torch


def lstsq_fit(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The least-squares fit of y = Xw + b, in closed form.

    Solves min ||A theta - y|| with A = [X, 1] and theta = [w; b], the solution
    of the normal equations A^T A theta = A^T y, with torch.linalg.lstsq in
    double precision.

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).

    Returns:
        w: shape (d, 1).
        b: shape (1,).

    Raises:
        ValueError: the labels are not one per example, or the columns of A are
            linearly dependent (its rank, counted from its singular values by
            torch.linalg.matrix_rank, is below d + 1): the minimum is not unique.

    Defined in chapter "The closed form" (book/further/closed-form.md).
    """
    if features.dim() != 2 or labels.numel() != len(features):
        raise ValueError(f"lstsq_fit needs features of shape (n, d) and n labels, got "
                         f"features {tuple(features.shape)} and labels {tuple(labels.shape)}")
    A = torch.cat([features, torch.ones(len(features), 1, dtype=features.dtype, device=features.device)], dim=1)
    # solved in float64, then given back in the features' dtype: more accurate, and the same
    # bits on every call (the default driver's pivoting reads memory it does not clear, so
    # float32 solves can differ in their last bits; see the rank exercise)
    theta = torch.linalg.lstsq(A.double(), labels.reshape(-1, 1).double()).solution.to(A.dtype)  # (d + 1, 1)
    # the rank from the singular values, on any device: only CPU drivers of lstsq report one
    if int(torch.linalg.matrix_rank(A)) < A.shape[1]:
        raise ValueError(f"the columns of [features, 1] are linearly dependent (rank below "
                         f"{A.shape[1]}): the least-squares fit is not unique")
    return theta[:-1], theta[-1]
