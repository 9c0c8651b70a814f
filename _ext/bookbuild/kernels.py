"""Every kernel the build starts computes the same digits on every run.

One thread (the book's tensors are small, and a thread count picked by the
machine's load changes the last digits of sums), and MKL's reproducible mode
(without it, LAPACK calls such as lstsq differ in the sixth digit from one
process to the next). Kernels inherit the build's environment. The values are
forced, not defaults: a reader's own ``OMP_NUM_THREADS`` would change the
digits without changing the cache key (which names these values).

Matplotlib's font cache is built here, once per machine, before any kernel
starts: a kernel that built it would print "Matplotlib is building the font
cache" into the first chapter's output on a new machine only.

Events: none; the environment is set when the extension is loaded.
"""

from __future__ import annotations

import os

KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_CBWR": "AUTO,STRICT"}


def setup(app) -> None:
    for key, value in KERNEL_ENV.items():
        os.environ[key] = value
    import matplotlib.font_manager  # noqa: F401  (builds the font cache if this machine has none)
