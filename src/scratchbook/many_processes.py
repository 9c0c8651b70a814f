"""Many processes.

From book/beyond/many-processes.md: generated; edit the chapter instead, then run `make tangle`.
"""

import datetime
import multiprocessing
import pickle
import queue
import socket
import time
from collections.abc import Callable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .minibatches import data_iter
from .model import init_params, linreg, sgd, squared_loss
from .checks import _check_positive_int


def _check_shares(shares: list[int] | None, world_size: int, batch_size: int, num_examples: int) -> None:
    """Raise unless `shares` splits every minibatch among the workers (None: nearly equal parts).

    Args:
        shares: examples of each minibatch per worker, one count per rank, or None.
        world_size: the number of workers.
        batch_size: examples per minibatch.
        num_examples: n; with explicit shares every minibatch must be full.

    Raises:
        TypeError: a count is not an int.
        ValueError: the counts are not one per worker, not all positive, do not
            add up to batch_size, or the last minibatch would be shorter.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    if shares is None:
        return
    for rank, share in enumerate(shares):
        _check_positive_int(f"shares[{rank}]", share)  # an empty part's mean loss is nan, in every worker
    if len(shares) != world_size or sum(shares) != batch_size:
        raise ValueError(f"shares must be {world_size} positive counts adding up to "
                         f"batch_size={batch_size}, got {shares}")
    if num_examples % batch_size:
        raise ValueError(f"explicit shares need full minibatches: {num_examples} examples "
                         f"do not divide into batches of {batch_size}")


def _my_part(X: torch.Tensor, y: torch.Tensor, shares: list[int] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """This worker's part of the minibatch (X, y): part `rank` of world_size.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if shares is None:
        return X.tensor_split(world_size)[rank], y.tensor_split(world_size)[rank]
    return X.split(shares)[rank], y.split(shares)[rank]


def train_allreduce(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03,
                    batch_size: int = 10, num_epochs: int = 3,
                    generator: torch.Generator | None = None, shares: list[int] | None = None,
                    ) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """One worker of data-parallel minibatch SGD: train's steps, with the batch split among workers.

    Every worker draws the same initial (w, b) and the same minibatches from
    `generator`, computes the gradient of the summed loss of its part of each
    minibatch, all-reduces it (SUM) so that every worker holds the gradient
    of the whole minibatch, and steps: w, b <- w, b - lr / len(y) * gradient.

    Args:
        features: X, shape (n, d), the whole data set (every worker holds it).
        labels: y, shape (n, 1) or (n,).
        lr: the learning rate.
        batch_size: examples per minibatch, all workers together.
        num_epochs: passes over the data.
        generator: the random stream for the initial w and the shuffles, seeded
            alike in every worker.
        shares: how many examples of each minibatch each worker takes, one
            count per rank; None splits each minibatch into nearly equal parts.

    Returns:
        w: shape (d, 1); b: shape (1,).
        record: "path", the parameters [w; b] at the start and after every step,
            shape (steps + 1, d + 1); "epoch_seconds", the wall time of each
            epoch; "comm_seconds", the time spent in all_reduce.

    Raises:
        RuntimeError: no process group is initialized.
        ValueError: bad counts or shares.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    if not dist.is_initialized():
        raise RuntimeError("train_allreduce runs inside a process group: call "
                           "dist.init_process_group first (run_workers does)")
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("num_epochs", num_epochs)
    _check_shares(shares, dist.get_world_size(), batch_size, len(features))
    w, b = init_params(features.shape[1], generator=generator, dtype=features.dtype, device=features.device)
    path = [torch.cat([w.detach().reshape(-1), b.detach()])]
    record = {"epoch_seconds": [], "comm_seconds": 0.0}
    for _ in range(num_epochs):
        start = time.perf_counter()
        for X, y in data_iter(batch_size, features, labels, generator=generator):
            X_part, y_part = _my_part(X, y, shares)
            squared_loss(linreg(X_part, w, b), y_part).sum().backward()
            sent = time.perf_counter()
            for param in (w, b):
                dist.all_reduce(param.grad, op=dist.ReduceOp.SUM)
            record["comm_seconds"] += time.perf_counter() - sent
            sgd([w, b], lr, len(y))
            path.append(torch.cat([w.detach().reshape(-1), b.detach()]))
        record["epoch_seconds"].append(time.perf_counter() - start)
    record["path"] = torch.stack(path)
    return w, b, record


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.

    The operating system picks it (bind to port 0); a rendezvous address built
    from it, tcp://127.0.0.1:<port>, is reachable from this machine only.

    Returns:
        The port number.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, init_method: str, results, fn: Callable, args: bytes) -> None:
    """Run ``fn(*args)`` in a gloo process group of world_size workers; send (rank, result) back.

    Joins the group at init_method with a 60 s timeout, puts (rank, result) on
    the results queue and leaves the group. Arguments and result travel
    pickled by value, not as tensors in shared memory, which would not
    outlive the process that made them.

    Args:
        rank: this worker's number, 0 to world_size - 1.
        world_size: the number of workers.
        init_method: the rendezvous address, e.g. "tcp://127.0.0.1:29500".
        results: a multiprocessing queue shared with the parent.
        fn: the function to run, importable from a module.
        args: fn's positional arguments, a pickled tuple.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=60))
    try:
        results.put((rank, pickle.dumps(fn(*pickle.loads(args)))))
    finally:
        dist.destroy_process_group()


def run_workers(fn: Callable, world_size: int, *args, timeout: float = 100.0) -> list:
    """Run ``fn(*args)`` in world_size spawned processes that form a process group.

    Each process runs `_worker`, which joins a gloo group at
    tcp://127.0.0.1:<free port> and calls ``fn(*args)``. Waits at most `timeout`
    seconds for all results, then kills the workers still alive.

    Args:
        fn: the function every worker runs; it must be importable from a module
            (spawned processes do not see a notebook's cells).
        world_size: the number of processes (at least 1).
        *args: fn's arguments, the same for every worker.
        timeout: seconds to wait for all workers, > 0.

    Returns:
        The results of fn, ordered by rank.

    Raises:
        ValueError: fn is defined in __main__ (a notebook or script), or bad
            world_size or timeout.
        RuntimeError: a worker exited with an error.
        TimeoutError: the workers did not all finish within `timeout` seconds.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    _check_positive_int("world_size", world_size)
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    if getattr(fn, "__module__", "__main__") == "__main__":
        raise ValueError(f"fn={getattr(fn, '__name__', fn)!r} is defined in __main__; spawned "
                         f"workers import their function, so define it in a module")
    init_method = f"tcp://127.0.0.1:{_free_port()}"
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, daemon=True,
                         args=(rank, world_size, init_method, results, fn, pickle.dumps(args)))
             for rank in range(world_size)]
    for p in procs:
        p.start()
    deadline, collected = time.monotonic() + timeout, {}
    try:
        while len(collected) < world_size:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{world_size - len(collected)} of {world_size} workers sent "
                                   f"no result within {timeout} s; they were killed")
            try:
                rank, result = results.get(timeout=0.5)
                collected[rank] = pickle.loads(result)
            except queue.Empty:
                failed = {r: p.exitcode for r, p in enumerate(procs) if p.exitcode not in (None, 0)}
                if failed:
                    raise RuntimeError(f"worker(s) failed, rank: exit code {failed}; "
                                       f"their traceback is on the standard error") from None
        for p in procs:
            p.join(timeout=max(deadline - time.monotonic(), 1.0))
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    return [collected[rank] for rank in range(world_size)]


def train_ddp(features: torch.Tensor, labels: torch.Tensor, lr: float = 0.03, batch_size: int = 10,
              num_epochs: int = 3, generator: torch.Generator | None = None,
              shares: list[int] | None = None) -> nn.Linear:
    """One worker of data-parallel SGD with DistributedDataParallel on nn.Linear.

    Every worker starts from train's initial (w, b), draws the same minibatches
    from `generator` and calls backward() on the mean loss of its part; DDP
    averages the gradients over the workers, which for equal parts is the
    gradient of the whole minibatch's mean loss; torch.optim.SGD then steps.

    Args:
        features: X, shape (n, d), the whole data set (every worker holds it).
        labels: y, shape (n, 1) or (n,).
        lr: the learning rate.
        batch_size: examples per minibatch, all workers together.
        num_epochs: passes over the data.
        generator: the random stream for the initial w and the shuffles, seeded
            alike in every worker.
        shares: how many examples of each minibatch each worker takes; None
            splits each minibatch into nearly equal parts.

    Returns:
        The trained nn.Linear(d, 1) (unwrapped).

    Raises:
        RuntimeError: no process group is initialized.
        ValueError: bad counts or shares.

    Defined in chapter "Many processes" (book/beyond/many-processes.md).
    """
    if not dist.is_initialized():
        raise RuntimeError("train_ddp runs inside a process group: call "
                           "dist.init_process_group first (run_workers does)")
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("num_epochs", num_epochs)
    _check_shares(shares, dist.get_world_size(), batch_size, len(features))
    w, b = init_params(features.shape[1], generator=generator, dtype=features.dtype, device=features.device)
    net = nn.Linear(features.shape[1], 1, dtype=features.dtype, device=features.device)
    with torch.no_grad():
        net.weight.copy_(w.T)
        net.bias.copy_(b)
    model = DistributedDataParallel(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels, generator=generator):
            X_part, y_part = _my_part(X, y, shares)
            loss = squared_loss(model(X_part), y_part).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net
