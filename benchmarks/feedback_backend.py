#!/usr/bin/env python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The feedback benchmark's backend on each lab node: an HTTP server whose
every GET does a fixed amount of CPU work (ITERATIONS rounds of SHA-256), so
a node whose CPU is taken by something else answers slower. One request at
a time (Python's lock): a single-core service, which queues when overloaded.

    feedback_backend.py ADDRESS PORT ITERATIONS
"""
from __future__ import absolute_import, division, print_function

import hashlib
import http.server
import sys
import threading

LOCK = threading.Lock()


def work(iterations):
    digest = b"hastorage"
    for _round in range(iterations):
        digest = hashlib.sha256(digest).digest()
    return digest


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    iterations = 20000

    def do_GET(self):  # noqa: N802 (http.server API)
        with LOCK:
            body = work(self.iterations).hex().encode("ascii") + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


def main(argv):
    address, port, iterations = argv[1], int(argv[2]), int(argv[3])
    Handler.iterations = iterations
    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
