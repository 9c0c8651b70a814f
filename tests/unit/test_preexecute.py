"""The parallel pre-execution's portable parts: the cores it may use, and what it does with a bad cache."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy.exc
from jupyter_cache import get_cache

from bookbuild.preexecute import available_cores, is_damaged, merge_streams, open_cache


def test_workers_default_to_the_cores_this_process_may_use_not_the_hosts():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("this system has no CPU affinity; the pool uses os.cpu_count()")
    assert available_cores() == len(os.sched_getaffinity(0))


def cache_with_a_database(tmp_path):
    get_cache(tmp_path / "cache").list_cache_records()
    (db,) = (tmp_path / "cache").glob("*.db")
    return db


def test_a_cache_locked_by_another_build_is_left_alone(tmp_path):
    db = cache_with_a_database(tmp_path)
    other_build = sqlite3.connect(db, timeout=0)
    other_build.execute("BEGIN EXCLUSIVE")
    try:
        # jupyter-cache wraps sqlite's "database is locked" (raised through SQLAlchemy) in a RuntimeError
        with pytest.raises(RuntimeError, match="jupyter cache") as raised:
            open_cache(tmp_path / "cache")
        cause = raised.value.__cause__
        assert isinstance(cause, sqlalchemy.exc.OperationalError) and "database is locked" in str(cause), cause
        assert not is_damaged(raised.value), raised.value
        assert db.exists()
    finally:
        other_build.rollback()
        other_build.close()


def test_a_damaged_cache_is_recognised_and_started_afresh(tmp_path):
    db = cache_with_a_database(tmp_path)
    db.write_bytes(b"this is not a database" * 100)
    cache = open_cache(tmp_path / "cache")
    assert cache.list_cache_records() == []


def stream(name, text):
    return {"output_type": "stream", "name": name, "text": text}


def test_a_line_the_kernel_sent_in_two_chunks_is_stored_whole():
    # print('recovered:', values) can leave the kernel as 'recovered:' and ' [1, 2]\n'
    chunks = [stream("stdout", "recovered:"), stream("stdout", " [1, 2]\n"), stream("stdout", "actual: [1, 2]\n")]
    assert merge_streams(chunks) == [stream("stdout", "recovered: [1, 2]\nactual: [1, 2]\n")]


def test_merging_keeps_each_stream_where_it_first_appeared_and_other_outputs_in_order():
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure>"}, "metadata": {}}
    outputs = [stream("stdout", "a"), stream("stderr", "warning\n"), figure, stream("stdout", "b\n")]
    assert merge_streams(outputs) == [stream("stdout", "ab\n"), stream("stderr", "warning\n"), figure]
