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

An error a chapter shows on purpose ends in the failing line of its cell and
the message, with no library frames and no path of the build machine: every
kernel runs :mod:`bookbuild.kernel_startup` as an IPython startup file, from an
IPython folder of the build's own (``IPYTHONDIR``, under the doctree folder).

Events: none; the environment is set when the extension is loaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_CBWR": "AUTO,STRICT"}


STARTUP = Path(__file__).with_name("kernel_startup.py")


def kernel_settings() -> str:
    """What every kernel is given, for the cache key: the environment and the startup file's hash."""
    digest = hashlib.sha256(STARTUP.read_bytes()).hexdigest()[:16]
    return " ".join(f"{k}={v}" for k, v in sorted(KERNEL_ENV.items())) + f" startup={digest}"


def ipython_dir(doctreedir: str | Path) -> Path:
    """The build's own IPython folder, holding the startup file (IPython writes its history there too)."""
    folder = Path(doctreedir).parent / ".ipython"
    startup = folder / "profile_default" / "startup" / "00-short-tracebacks.py"
    if not startup.exists() or startup.read_bytes() != STARTUP.read_bytes():
        startup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STARTUP, startup)
    return folder


def setup(app) -> None:
    for key, value in KERNEL_ENV.items():
        os.environ[key] = value
    os.environ["IPYTHONDIR"] = str(ipython_dir(app.doctreedir))
    import matplotlib.font_manager  # noqa: F401  (builds the font cache if this machine has none)
