"""Minibatches.

From book/scratch/minibatches.md: generated; edit the chapter instead, then run `make tangle`.
"""

from collections.abc import Iterator

import torch
from .checks import _check_positive_int


def data_iter(batch_size: int, features: torch.Tensor, labels: torch.Tensor,
              generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Iterate over the examples in a random order, batch_size at a time.

    One pass visits every example once; the last batch holds the
    n mod batch_size examples left over (if any). The arguments are checked
    when data_iter is called; the order is drawn when the first batch is
    asked for, on the generator's device (features' device without one), and
    the batches are indexed on features' device.

    Args:
        batch_size: examples per minibatch (at least 1).
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).
        generator: the random stream for the shuffle; None uses PyTorch's global one.

    Returns:
        An iterator over the minibatches (X, y): X of shape (batch_size, d),
        fewer in the last batch, and y the matching labels, shape
        (batch_size, 1) or (batch_size,).

    Raises:
        TypeError: batch_size is not an int.
        ValueError: batch_size is below 1, or features and labels differ in length.

    Defined in chapter "Minibatches" (book/scratch/minibatches.md).
    """
    _check_positive_int("batch_size", batch_size)
    num_examples = len(features)
    if len(labels) != num_examples:
        raise ValueError(f"features and labels must have the same length, "
                         f"got {num_examples} features and {len(labels)} labels")
    device = features.device if generator is None else generator.device

    def batches():  # a generator of its own, so that the checks above run at the call
        indices = torch.randperm(num_examples, generator=generator, device=device).to(features.device)
        for i in range(0, num_examples, batch_size):
            batch_indices = indices[i:i + batch_size]  # the last slice may be short
            yield features[batch_indices], labels[batch_indices]

    return batches()
