# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/openstack_control_plane/api_client.py: the drills' per-op figures (downtime after the
kill, failures beyond the requests in flight) and the log it reads; against a local HTTP server,
the recording of requests and an upload's checksum."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "molecule", "openstack_control_plane", "api_client.py")


@pytest.fixture(scope="module")
def client(load_file_module):
    return load_file_module("openstack_api_client", SCRIPT)


def req(op, start, end, ok, status=200):
    return {"op": op, "start": start, "end": end, "ok": ok, "status": status}


def test_downtime_is_from_the_mark_to_the_first_success_after_the_last_failure(client):
    entries = [req("token", 1, 2, True, 201), req("token", 9, 14, False, None), req("token", 14.2, 15, False, 503),
               req("token", 15.2, 16, True, 201), req("token", 16.2, 17, False, 503), req("token", 17.2, 17.5, True, 201)]
    out = client.report(entries, 10.0)["token"]
    assert out["downtime_s"] == 7.5
    assert (out["failed_after"], out["in_flight"], out["failed_after_beyond_in_flight"]) == (3, 1, 2)
    assert (out["ok_before"], out["ok_after"]) == (1, 2)
    assert out["statuses_after"] == ["503", "None"]


def test_no_failure_is_no_downtime_and_no_recovery_is_none(client):
    out = client.report([req("nova", 1, 2, True), req("nova", 11, 12, True)], 10.0)
    assert out["nova"]["downtime_s"] == 0.0 and out["nova"]["failed_after"] == 0
    out = client.report([req("nova", 1, 2, True), req("nova", 11, 12, False, 502)], 10.0)
    assert out["nova"]["downtime_s"] is None


def test_settled_only_after_the_last_failure_and_the_client_timeout(client):
    ok_at_kill = [req("token", 9, 10.5, True, 201)]
    # right after the kill: one request ended after the mark, nothing failed yet: not settled
    assert not client.report(ok_at_kill, 10.0)["token"]["settled"]
    # a success started 11 s after the mark (beyond the client's 10 s timeout), no failure: settled
    assert client.report(ok_at_kill + [req("token", 21.5, 22, True, 201)], 10.0)["token"]["settled"]
    # a failure after that success: not settled until a success starts after it
    hung = req("token", 12, 22.5, False, None)
    assert not client.report(ok_at_kill + [req("token", 21.5, 22, True, 201), hung], 10.0)["token"]["settled"]
    assert client.report(ok_at_kill + [req("token", 21.5, 22, True, 201), hung,
                                       req("token", 22.7, 23, True, 201)], 10.0)["token"]["settled"]


def test_ops_are_reported_apart(client):
    out = client.report([req("nova", 11, 12, False, 502), req("neutron", 11, 12, True)], 10.0)
    assert out["nova"]["failed_after"] == 1 and out["neutron"]["failed_after"] == 0


def test_log_and_marks_round_trip(client, tmp_path):
    log = str(tmp_path / "log.jsonl")
    with open(log, "w", encoding="utf-8") as fd:
        fd.write(json.dumps(req("token", 1, 2, True, 201)) + "\n")
    assert client.main(["mark", "--log", log, "--name", "kill"]) == 0
    entries, marks = client.read_log(log)
    assert len(entries) == 1 and set(marks) == {"kill"}


def test_an_upload_is_acknowledged_only_on_204(client, tmp_path):
    import http.server

    class Glance(http.server.BaseHTTPRequestHandler):
        answers = {"PUT": 204}

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"id": "img-1"}).encode())

        def do_PUT(self):
            length = int(self.headers["Content-Length"])
            self.server.received = self.rfile.read(length)
            self.send_response(self.answers["PUT"])
            self.end_headers()

    server = http.server.HTTPServer(("127.0.0.1", 0), Glance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import hashlib
        cli = client.Client("127.0.0.1", "pw", str(tmp_path / "log"), str(tmp_path / "stop"))
        cli.token = "t"
        old = client.http

        def to_server(method, url, *args, **kwargs):
            return old(method, url.replace("127.0.0.1:9292", "127.0.0.1:%d" % server.server_port), *args, **kwargs)
        client.http = to_server
        try:
            status, extra = cli.op_image_upload()
            assert status == 204 and extra["sha256"] == hashlib.sha256(server.received).hexdigest()
            Glance.answers["PUT"] = 503
            status, extra = cli.op_image_upload()
            assert status == 503 and "sha256" not in extra and extra["image"] == "img-1"
        finally:
            client.http = old
    finally:
        server.shutdown()
