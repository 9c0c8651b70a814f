"""Rebuilds survive faults: an interrupted build, a damaged cache, a cache locked by another build.

That two executions give the same outputs on every page is checked on the whole
book by tests/site/test_downloads.py, which runs every chapter a second time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import nbformat

from booktest import BIN
from tinybook import TinyBook, chapter


def text_outputs(build_dir, docname):
    nb = nbformat.read(build_dir / "jupyter_execute" / f"{docname}.ipynb", as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text") or o.get("data", {}).get("text/plain", ""))
    return out


def test_damaged_cache_is_reported_in_one_line_and_rebuilt(tmp_path):
    tiny = TinyBook(tmp_path)
    tiny.write("book/one.md", chapter("One", "print('one')"))
    tiny.write("book/two.md", chapter("Two", "print('two')"))
    tiny.toc("book/one", "book/two")
    assert tiny.build().returncode == 0
    db = tiny.out / "_build" / ".jupyter_cache" / "global.db"
    db.write_bytes(db.read_bytes()[:100])  # a truncated database
    proc = tiny.build()
    assert proc.returncode == 0, proc.log[-3000:]
    assert [line for line in proc.log.splitlines() if "is damaged" in line], proc.log[-3000:]
    assert "Traceback" not in proc.log
    assert text_outputs(tiny.out / "_build", "book/two") == ["two\n"]


def test_build_killed_mid_execution_leaves_a_state_the_next_build_completes(tmp_path):
    tiny = TinyBook(tmp_path)
    tiny.write("book/quick.md", chapter("Quick", "print('quick')"))
    tiny.write("book/slow.md", chapter("Slow", "import time\ntime.sleep(4)\nprint('slow done')"))
    tiny.write("book/late.md", chapter("Late", "import time\ntime.sleep(4)\nprint('late done')"))
    tiny.toc("book/quick", "book/slow", "book/late")
    env = {**os.environ, "SCRATCHBOOK_TANGLE": "write", "PYTHONPATH": str(tiny.root / "src")}
    log = tmp_path / "killed.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [str(BIN / "jupyter-book"), "build", str(tiny.root), "--path-output", str(tiny.out)],
            stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 120
        while "slow.md: Executing notebook" not in log.read_text() and time.time() < deadline:
            time.sleep(0.2)
        started = "slow.md: Executing notebook" in log.read_text()
        time.sleep(1.0)  # well inside the slow cell
        os.killpg(proc.pid, signal.SIGKILL)  # the build, its workers and their kernels
        proc.wait()
    assert started, f"the slow chapter's execution never started: {log.read_text()[-3000:]}"
    assert proc.returncode == -signal.SIGKILL  # killed, not finished
    assert not (tiny.out / "_build" / "html" / "book" / "slow.html").exists()
    again = tiny.build()
    assert again.returncode == 0, again.log[-3000:]
    assert text_outputs(tiny.out / "_build", "book/slow") == ["slow done\n"]
    assert text_outputs(tiny.out / "_build", "book/late") == ["late done\n"]
    assert (tiny.out / "_build" / "html" / "book" / "slow.html").exists()
