"""Shared fixtures: every test starts from the same default-generator state, so that a
test drawing from ``glassnet.randn`` & co. gives the same numbers whatever ran before it
(xdist reorders); ``serve`` runs a local HTTP server on 127.0.0.1 for the download tests.

The suite runs as several processes (``pytest -n 2``) on as many cores: the compiled
kernels' OpenMP threads sleep at once after each parallel region here
(``OMP_WAIT_POLICY=passive``, read when numba's pool starts), since a thread spinning in
one process takes the core that another process's thread waits for."""
from __future__ import annotations

import functools
import http.server
import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import pytest

import glassnet


@pytest.fixture(autouse=True)
def _seed_default_generator():
    glassnet.manual_seed(0)
    yield


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """``serve(directory) -> 'http://127.0.0.1:PORT/'``; servers stop after the test."""
    servers = []

    def start(directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
