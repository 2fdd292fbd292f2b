# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions of the failover drill client (roles/nas_dual_controller/files)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import os

import pytest

CLIENT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "nas_dual_controller",
                      "files", "nas_drill_client.py")


@pytest.fixture(scope="module")
def client():
    spec = importlib.util.spec_from_file_location("nas_drill_client", CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def att(seq, t0, t1, ok):
    return {"seq": seq, "t0": t0, "t1": t1, "ok": ok}


def test_payload_is_exact_size_and_distinct(client):
    a = client.record_payload("kill01", "smb", 1)
    b = client.record_payload("kill01", "smb", 2)
    c = client.record_payload("kill01", "nfs", 1)
    assert len(a) == client.RECORD_SIZE
    assert a.endswith(b"\n")
    assert len({a, b, c}) == 3
    assert a == client.record_payload("kill01", "smb", 1)


def test_record_name(client):
    assert client.record_name("std01-1", 7) == "hsc-drill-std01-1-000007"


def test_downtime_no_failure(client):
    assert client.downtime([att(1, 0.0, 0.1, True), att(2, 0.3, 0.4, True)]) == 0.0


def test_downtime_from_last_ack_to_first_ack_after(client):
    attempts = [att(1, 0.0, 0.1, True), att(2, 0.3, 0.4, True),
                att(3, 0.6, 5.6, False), att(4, 5.8, 7.0, False),
                att(5, 7.2, 7.5, True), att(6, 7.7, 7.8, True)]
    # last ack 0.4, first ack after the outage 7.5
    assert client.downtime(attempts) == pytest.approx(7.1)


def test_downtime_longest_of_two_outages(client):
    attempts = [att(1, 0, 1, True), att(2, 1, 2, False), att(3, 2, 3, True),
                att(4, 3, 4, False), att(5, 4, 9, False), att(6, 9, 10, True)]
    assert client.downtime(attempts) == pytest.approx(7.0)


def test_downtime_not_recovered_is_none(client):
    assert client.downtime([att(1, 0, 1, True), att(2, 1, 2, False)]) is None


def test_downtime_failure_first(client):
    assert client.downtime([att(1, 0, 1, False), att(2, 1, 3, True)]) == pytest.approx(3.0)


def test_summarize_counts_lost_records(client):
    log = {"attempts": {"smb": [att(1, 0, 1, True), att(2, 1, 2, False), att(3, 2, 3, True)],
                        "nfs": [att(1, 0, 1, True), att(2, 1, 2, True)]}}
    verified = {"smb": {"intact": [1, 3]}, "nfs": {"intact": [1]}}
    out = client.summarize(log, verified)
    assert out["smb"]["rpo_records"] == 0
    assert out["smb"]["acknowledged"] == 2
    assert out["smb"]["failed_attempts"] == 1
    assert out["nfs"]["lost_records"] == [2]
    assert out["nfs"]["rpo_records"] == 1
    json.dumps(out)


def test_write_requires_a_protocol(client, tmp_path):
    with pytest.raises(SystemExit):
        client.main(["write", "--vip", "127.0.0.1", "--run-id", "x",
                     "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop")])


def test_write_stops_on_stop_file_and_logs(client, tmp_path, monkeypatch):
    """A fake NFS client: the loop stops at the stop file and logs every attempt."""
    calls = []

    class FakeNfs:
        proto = "nfs"

        def put(self, local, name):
            with open(local, "rb") as handle:
                calls.append((name, handle.read()))
            if len(calls) == 3:
                open(str(tmp_path / "stop"), "w").close()
            return len(calls) != 2

    monkeypatch.setattr(client, "make_clients", lambda args: [FakeNfs()])
    client.main(["write", "--vip", "127.0.0.1", "--nfs-export", "/srv/x", "--run-id", "r1",
                 "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop"),
                 "--interval", "0"])
    log = json.loads((tmp_path / "o.json").read_text())
    assert log["stop_reason"] == "stop-file"
    assert [a["ok"] for a in log["attempts"]["nfs"]] == [True, False, True]
    assert calls[0] == ("hsc-drill-r1-000001", client.record_payload("r1", "nfs", 1))


def test_downtime_counts_a_stall_without_failures(client):
    # a frozen server: the call hangs 9 s, then succeeds
    attempts = [att(1, 0.0, 0.1, True), att(2, 0.3, 0.4, True), att(3, 0.6, 9.6, True), att(4, 9.8, 9.9, True)]
    assert client.downtime(attempts) == pytest.approx(9.2)


def test_downtime_short_gaps_are_not_stalls(client):
    attempts = [att(1, 0.0, 0.1, True), att(2, 0.3, 0.9, True), att(3, 1.1, 1.5, True)]
    assert client.downtime(attempts) == 0.0
