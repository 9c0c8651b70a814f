"""The data.

From book/scratch/data.md: generated; edit the chapter instead, then run `make tangle`.
"""

import torch

from .checks import _check_positive_int


def synthetic_data(w: torch.Tensor, b: float, num_examples: int,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw examples from the linear model y = Xw + b + noise.

    X ~ N(0, 1) entrywise, noise ~ N(0, 0.01^2) per example; both are drawn
    on w's device, in w's floating-point dtype (the default dtype if w holds
    integers).

    Args:
        w: the true weights, shape (d,) or (d, 1).
        b: the true bias, a number.
        num_examples: n, the number of examples (at least 1).
        generator: the random stream to draw from, on w's device; None uses
            PyTorch's global one.

    Returns:
        X: the features, shape (n, d).
        y: the labels, shape (n, 1).

    Defined in chapter "The data" (book/scratch/data.md).
    """
    w = torch.as_tensor(w)
    if not (w.dim() == 1 or (w.dim() == 2 and w.shape[1] == 1)):
        raise ValueError(f"w must have shape (d,) or (d, 1), got {tuple(w.shape)}")
    _check_positive_int("num_examples", num_examples)
    if generator is not None and generator.device.type != w.device.type:
        raise ValueError(f"generator must be on w's device, got a generator on {generator.device} "
                         f"and w on {w.device}")
    dtype = w.dtype if w.is_floating_point() else torch.get_default_dtype()
    w = w.to(dtype).reshape(-1)  # (d,)
    X = torch.normal(0, 1, (num_examples, len(w)), generator=generator, dtype=dtype, device=w.device)
    y = X @ w + b  # (n,)
    y += torch.normal(0, 0.01, y.shape, generator=generator, dtype=dtype, device=w.device)
    return X, y.reshape(-1, 1)
