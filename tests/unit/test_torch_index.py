"""Where the book's own installs get torch (booktools.torch_index): the CPU index on Linux, if it answers."""

from __future__ import annotations

import functools
import http.server
import platform
import socket
import threading

import pytest

from booktools import torch_index


@pytest.fixture
def index(tmp_path):
    """A package index on 127.0.0.1 that has a page for torch."""
    (tmp_path / "simple" / "torch").mkdir(parents=True)
    (tmp_path / "simple" / "torch" / "index.html").write_text("<a href='torch-2.13.0+cpu.whl'>torch</a>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_index_that_answers_is_added_to_pips_command_line(index, monkeypatch):
    monkeypatch.setenv(torch_index.ENV, index)
    assert torch_index.pip_arguments() == ["--extra-index-url", index]


def test_an_index_that_does_not_answer_is_left_out(monkeypatch):
    monkeypatch.setenv(torch_index.ENV, f"http://127.0.0.1:{closed_port()}/simple")
    assert torch_index.pip_arguments() == []


def test_an_index_without_torch_is_left_out(index, monkeypatch):
    monkeypatch.setenv(torch_index.ENV, index.replace("/simple", "/elsewhere"))
    assert torch_index.pip_arguments() == []


def test_an_empty_setting_turns_the_index_off(monkeypatch):
    monkeypatch.setenv(torch_index.ENV, "")
    monkeypatch.setattr(torch_index, "answers", lambda url: pytest.fail("nothing should be probed"))
    assert torch_index.pip_arguments() == []


@pytest.mark.parametrize("system, expected", [("Linux", [torch_index.CPU_INDEX]), ("Darwin", []), ("Windows", [])])
def test_the_cpu_index_is_the_default_on_linux_only(monkeypatch, system, expected):
    monkeypatch.delenv(torch_index.ENV, raising=False)
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(torch_index, "answers", lambda url: True)
    assert torch_index.pip_arguments()[1:] == expected
