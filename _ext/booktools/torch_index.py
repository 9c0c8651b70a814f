"""Where the book's own installs get torch: PyTorch's CPU wheels on Linux, when that index answers.

On Linux, PyPI's ``torch`` is the CUDA build, which pulls in gigabytes of
NVIDIA libraries the book never uses; PyTorch's CPU index has the same
version as ``torch==2.13.0+cpu``, which pip prefers when both match the pin.
So the set-up (``make html``, ``make lock``) and the clean environment of the
download test install with ``--extra-index-url`` that index.

The index is added only when it answers, probed once here: pip retries an
unreachable index five times for every package it looks up (about ten
seconds each, for each of the book's hundred-odd packages) on a machine
whose network reaches only a mirror of PyPI. It is passed on the command line, which adds to the indexes pip's own
configuration names (``PIP_EXTRA_INDEX_URL`` would replace them). On macOS
(and Windows) PyPI's wheel is already CPU-only and nothing is added.

``BOOK_TORCH_INDEX`` names another index, or, set empty, turns this off.
``python -m booktools.torch_index`` prints the pip arguments (or nothing).
A learner's notebook is not concerned: its set-up cell installs whatever
build pip picks for the learner's machine.
"""

from __future__ import annotations

import os
import platform
import sys
import urllib.request

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
ENV = "BOOK_TORCH_INDEX"


def answers(url: str, timeout: float = 10.0) -> bool:
    """The index serves its page for torch (any network or HTTP error: it does not)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/torch/", timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def torch_index() -> str | None:
    """The extra index to install torch from, or None (not Linux, turned off, or unreachable)."""
    url = os.environ.get(ENV, CPU_INDEX if platform.system() == "Linux" else "")
    return url if url and answers(url) else None


def pip_arguments() -> list[str]:
    url = torch_index()
    return ["--extra-index-url", url] if url else []


def main() -> None:
    arguments = pip_arguments()
    if arguments:
        print(f"==> torch from {arguments[1]}", file=sys.stderr)
    elif os.environ.get(ENV, CPU_INDEX if platform.system() == "Linux" else ""):
        print("==> PyTorch's CPU index does not answer: torch comes from pip's configured indexes", file=sys.stderr)
    print(" ".join(arguments))


if __name__ == "__main__":
    main()
