"""Time the argument checks of scratchbook's training pipeline.

One epoch of the book's loop (data_iter + linreg + squared_loss + sgd, batches
of 10, 1000 examples) with scratchbook's checked functions, against the same
loop written with no checks. The two run interleaved, many times, and the
medians are compared: the checks should cost under 10%.

Run: .venv/bin/python benchmarks/bench_checks.py
"""

from __future__ import annotations

import statistics
import time

import torch

from scratchbook import data_iter, init_params, linreg, sgd, squared_loss, synthetic_data

BATCH_SIZE = 10
NUM_EXAMPLES = 1000
LR = 0.03
REPEATS = 31
LIMIT = 1.10


# The same functions with every check removed: the baseline.
def plain_data_iter(batch_size, features, labels, generator=None):
    indices = torch.randperm(len(features), generator=generator)
    for i in range(0, len(features), batch_size):
        batch_indices = indices[i:i + batch_size]
        yield features[batch_indices], labels[batch_indices]


def plain_linreg(X, w, b):
    return torch.matmul(X, w) + b


def plain_squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def plain_sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


CHECKED = (data_iter, linreg, squared_loss, sgd)
PLAIN = (plain_data_iter, plain_linreg, plain_squared_loss, plain_sgd)


def epoch_seconds(functions, features, labels, seed: int) -> float:
    """Wall time of one training epoch run with the given four functions."""
    iterate, model, loss, step = functions
    generator = torch.Generator().manual_seed(seed)
    w, b = init_params(features.shape[1], generator=generator)
    start = time.perf_counter()
    for X, y in iterate(BATCH_SIZE, features, labels, generator=generator):
        l = loss(model(X, w, b), y)
        l.sum().backward()
        step([w, b], LR, BATCH_SIZE)
    return time.perf_counter() - start


def main() -> float:
    """Print the median epoch time with and without checks; return their ratio."""
    torch.set_num_threads(1)
    features, labels = synthetic_data(torch.tensor([2, -3.4]), 4.2, NUM_EXAMPLES,
                                      generator=torch.Generator().manual_seed(0))
    for functions in (CHECKED, PLAIN):  # warm up
        epoch_seconds(functions, features, labels, seed=0)
    times = {"checked": [], "plain": []}
    for repeat in range(REPEATS):
        # alternate which goes first, so drifts in machine load hit both alike
        order = [("checked", CHECKED), ("plain", PLAIN)]
        for name, functions in order if repeat % 2 == 0 else order[::-1]:
            times[name].append(epoch_seconds(functions, features, labels, seed=repeat))
    checked = statistics.median(times["checked"])
    plain = statistics.median(times["plain"])
    ratio = checked / plain
    print(f"one epoch, {NUM_EXAMPLES} examples, batch size {BATCH_SIZE}, "
          f"median of {REPEATS} interleaved runs")
    print(f"  with checks:    {checked * 1e3:8.2f} ms")
    print(f"  without checks: {plain * 1e3:8.2f} ms")
    print(f"  ratio:          {ratio:8.3f}  ({'within' if ratio < LIMIT else 'OVER'} "
          f"the {LIMIT - 1:.0%} budget)")
    return ratio


if __name__ == "__main__":
    main()
