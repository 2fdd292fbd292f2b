# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions of the failover drill client (playbooks/files/failover_drill_client.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

CLIENT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks", "files",
                      "failover_drill_client.py")


@pytest.fixture(scope="module")
def client(load_file_module):
    return load_file_module("failover_drill_client", CLIENT)


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
    assert client.record_name("std01-1", "smb", 7) == "hsc-drill-std01-1-smb-000007"
    # the same directory can be an SMB share and an NFS export: one file each
    assert client.record_name("std01-1", "nfs", 7) != client.record_name("std01-1", "smb", 7)


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
    assert out["nfs"]["lost_attempts"] == [att(2, 1, 2, True)]
    assert out["smb"]["lost_attempts"] == []
    assert out["smb"]["last_attempts"] == log["attempts"]["smb"]
    json.dumps(out)


def test_summarize_repeats_the_last_attempts_of_an_outage_that_did_not_end(client):
    attempts = [att(seq, seq, seq + 0.5, seq < 8) for seq in range(1, 11)]
    out = client.summarize({"attempts": {"nfs": attempts}}, {"nfs": {"intact": list(range(1, 8))}})
    assert out["nfs"]["rto_seconds"] is None
    assert [a["seq"] for a in out["nfs"]["last_attempts"]] == [6, 7, 8, 9, 10]
    assert [a["ok"] for a in out["nfs"]["last_attempts"]] == [True, True, False, False, False]


def test_write_requires_a_protocol(client, tmp_path):
    with pytest.raises(SystemExit):
        client.main(["write", "--vip", "127.0.0.1", "--run-id", "x",
                     "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop")])


def run_write(client, tmp_path, monkeypatch, observe, fail_call, *extra):
    """Run ``write`` against a fake NFS client whose put() records
    ``observe(local, name)``, fails on call ``fail_call`` and creates the stop
    file on the 3rd call. Returns what was observed and the written log."""
    seen = []

    class FakeNfs:
        proto = "nfs"

        def put(self, local, name):
            seen.append(observe(local, name))
            if len(seen) == 3:
                open(str(tmp_path / "stop"), "w").close()
            return len(seen) != fail_call

    monkeypatch.setattr(client, "make_clients", lambda args: [FakeNfs()])
    client.main(["write", "--vip", "127.0.0.1", "--nfs-export", "/srv/x", "--run-id", "r1",
                 "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop"),
                 "--interval", "0"] + list(extra))
    return seen, json.loads((tmp_path / "o.json").read_text())


def test_write_stops_on_stop_file_and_logs(client, tmp_path, monkeypatch):
    """A fake NFS client: the loop stops at the stop file and logs every attempt."""
    def payload_sent(local, name):
        with open(local, "rb") as handle:
            return (name, handle.read())

    calls, log = run_write(client, tmp_path, monkeypatch, payload_sent, 2)
    assert log["stop_reason"] == "stop-file"
    assert [a["ok"] for a in log["attempts"]["nfs"]] == [True, False, True]
    assert calls[0] == ("hsc-drill-r1-nfs-000001", client.record_payload("r1", "nfs", 1))


def test_downtime_counts_a_stall_without_failures(client):
    # a frozen server: the call hangs 9 s, then succeeds
    attempts = [att(1, 0.0, 0.1, True), att(2, 0.3, 0.4, True), att(3, 0.6, 9.6, True), att(4, 9.8, 9.9, True)]
    assert client.downtime(attempts) == pytest.approx(9.2)


def test_downtime_short_gaps_are_not_stalls(client):
    attempts = [att(1, 0.0, 0.1, True), att(2, 0.3, 0.9, True), att(3, 1.1, 1.5, True)]
    assert client.downtime(attempts) == 0.0


def test_write_keeps_a_status_file_with_each_protocols_last_ack(client, tmp_path, monkeypatch):
    """The status file names the time of each protocol's last acknowledgement
    (None until the first one), so the playbook can wait for recovery."""
    status = tmp_path / "status.json"

    def status_now(local, name):
        return json.loads(status.read_text()) if status.exists() else None

    seen, log = run_write(client, tmp_path, monkeypatch, status_now, 1, "--status-file", str(status))
    final = json.loads((tmp_path / "status.json").read_text())
    # before the 2nd put: one failed attempt, no ack yet; before the 3rd: the 2nd acked
    assert seen[0] is None
    assert seen[1]["last_ack"] == {"nfs": None} and seen[1]["records"] == 1
    assert seen[2]["last_ack"]["nfs"] == log["attempts"]["nfs"][1]["t1"]
    assert final["last_ack"]["nfs"] == log["attempts"]["nfs"][2]["t1"]
    assert final["records"] == 3
    assert not (tmp_path / "status.json.tmp").exists()


class FakeReader:
    """get() fails (transport error) for the first ``down`` calls, then
    serves the records in ``store``."""
    proto = "smb"

    def __init__(self, store, down=0):
        self.store, self.down, self.calls = store, down, 0

    def get(self, name, local):
        self.calls += 1
        if self.calls <= self.down or name not in self.store:
            return False
        with open(local, "wb") as handle:
            handle.write(self.store[name])
        return True


def test_read_record_checks_the_payload(client, tmp_path):
    good = client.record_payload("r", "smb", 1)
    reader = FakeReader({client.record_name("r", "smb", 1): good,
                        client.record_name("r", "smb", 2): good})
    assert client.read_record(reader, "r", 1, str(tmp_path / "l"), pause=0) is True
    # record 2 holds record 1's bytes: not intact
    assert client.read_record(reader, "r", 2, str(tmp_path / "l"), pause=0) is False
    # a missing record is tried three times, then reported
    calls = reader.calls
    assert client.read_record(reader, "r", 3, str(tmp_path / "l"), pause=0) is False
    assert reader.calls - calls == 3
    assert not (tmp_path / "l").exists()


def test_wait_until_readable_rides_out_a_recovering_server(client, tmp_path):
    now = [0.0]
    reader = FakeReader({client.record_name("r", "smb", 5): client.record_payload("r", "smb", 5)}, down=4)

    def sleep(seconds):
        now[0] += seconds

    waited = client.wait_until_readable(reader, "r", [5], str(tmp_path / "l"), 60,
                                        clock=lambda: now[0], sleep=sleep)
    assert waited == 8.0
    assert reader.calls == 5


def test_wait_until_readable_gives_up(client, tmp_path):
    now = [0.0]
    reader = FakeReader({}, down=0)

    def sleep(seconds):
        now[0] += seconds

    assert client.wait_until_readable(reader, "r", [2, 1], str(tmp_path / "l"), 10,
                                      clock=lambda: now[0], sleep=sleep) is None
    assert reader.calls == 12


def test_verify_waits_for_the_server_before_counting_losses(client, tmp_path, monkeypatch):
    """A server that fails the first reads (still recovering) loses nothing;
    a record that never reads back is lost."""
    payload = client.record_payload
    store = {client.record_name("r", "smb", s): payload("r", "smb", s) for s in (1, 2)}
    reader = FakeReader(store, down=2)
    monkeypatch.setattr(client, "make_clients", lambda ns: [reader])
    monkeypatch.setattr(client.time, "sleep", lambda s: None)
    log = {"run_id": "r", "vip": "127.0.0.1", "smb_share": "s", "smb_user": "u", "nfs_export": None,
           "started": 0, "stopped": 1, "stop_reason": "stop-file",
           "attempts": {"smb": [att(1, 0, 1, True), att(2, 1, 2, True), att(3, 2, 3, True), att(4, 3, 4, False)]}}
    (tmp_path / "in.json").write_text(json.dumps(log))
    client.main(["verify", "--in", str(tmp_path / "in.json"), "--out", str(tmp_path / "out.json")])
    out = json.loads((tmp_path / "out.json").read_text())["protocols"]["smb"]
    # the probe (newest first: 3 is lost, 2 reads) rode out the two failures
    assert out["lost_records"] == [3]
    assert out["acknowledged"] == 3
    assert out["ready_after_seconds"] is not None


def test_the_smb_password_comes_from_its_file(client, tmp_path):
    secret = tmp_path / "smb-password"
    secret.write_text("Lab-Only-1\nignored\n")
    assert client.read_password(str(secret)) == "Lab-Only-1"
    assert client.read_password(None) == ""
    args = client.argparse.Namespace(vip="10.0.0.1", smb_share="s", smb_user="LAB\\u", smb_password_file=str(secret),
                                     nfs_export=None)
    (smb,) = client.make_clients(args)
    assert smb.env["PASSWD"] == "Lab-Only-1"
    assert "Lab-Only-1" not in smb.base


def test_each_protocol_writes_on_while_the_other_hangs(client, tmp_path, monkeypatch):
    """SMB's second call hangs (a frozen server): NFS keeps writing in the
    meantime, so NFS's downtime is its own, not SMB's hang."""
    import threading
    import time

    nfs_calls = []
    hung = threading.Event()

    class FakeSmb:
        proto = "smb"

        def __init__(self):
            self.calls = 0

        def put(self, local, name):
            self.calls += 1
            if self.calls == 2:
                hung.set()
                time.sleep(0.6)
            return True

    class FakeNfs:
        proto = "nfs"

        def put(self, local, name):
            nfs_calls.append(hung.is_set())
            if len([c for c in nfs_calls if c]) == 5:
                open(str(tmp_path / "stop"), "w").close()
            time.sleep(0.01)
            return True

    monkeypatch.setattr(client, "make_clients", lambda args: [FakeSmb(), FakeNfs()])
    client.main(["write", "--vip", "127.0.0.1", "--smb-share", "s", "--smb-user", "u", "--nfs-export", "/srv/x",
                 "--run-id", "r2", "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop"),
                 "--interval", "0"])
    log = json.loads((tmp_path / "o.json").read_text())
    hang = log["attempts"]["smb"][1]
    assert hang["t1"] - hang["t0"] >= 0.5
    during = [a for a in log["attempts"]["nfs"] if hang["t0"] <= a["t0"] <= hang["t1"]]
    assert len(during) >= 3
    assert client.downtime(log["attempts"]["nfs"]) == 0.0
    assert log["stop_reason"] == "stop-file"


def test_op_timeout_bounds_every_client_call(client, monkeypatch):
    """--op-timeout is the subprocess limit of each call (and smbclient's own -t, rounded up)."""
    seen = []

    class Done:
        returncode = 0
        stdout = b""
        stderr = b""

    def fake_run(argv, **kwargs):
        seen.append((argv, kwargs["timeout"]))
        return Done()

    monkeypatch.setattr(client.subprocess, "run", fake_run)
    client.NfsClient("10.0.0.1", "/srv/x", op_timeout=2.5).put("/tmp/l", "n")
    smb = client.SmbClient("10.0.0.1", "s", "u", "p", op_timeout=2.5)
    smb.put("/tmp/l", "n")
    assert seen[0][0][0] == "nfs-cp" and seen[0][1] == 2.5
    assert seen[1][0][0] == "smbclient" and seen[1][1] == 2.5
    assert seen[1][0][seen[1][0].index("-t") + 1] == "3"


def test_write_gives_the_op_timeout_to_its_clients_and_logs_it(client, tmp_path, monkeypatch):
    given = []

    class FakeNfs:
        proto = "nfs"

        def put(self, local, name):
            open(str(tmp_path / "stop"), "w").close()
            return True

    def make(args):
        given.append(args.op_timeout)
        return [FakeNfs()]

    monkeypatch.setattr(client, "make_clients", make)
    client.main(["write", "--vip", "127.0.0.1", "--nfs-export", "/srv/x", "--run-id", "r3",
                 "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop"), "--op-timeout", "3"])
    assert given == [3.0]
    assert json.loads((tmp_path / "o.json").read_text())["op_timeout"] == 3.0


@pytest.mark.parametrize("value", ["0.1", "61"])
def test_write_refuses_an_op_timeout_out_of_range(client, tmp_path, value):
    with pytest.raises(SystemExit):
        client.main(["write", "--vip", "127.0.0.1", "--nfs-export", "/srv/x", "--run-id", "r4",
                     "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop"), "--op-timeout", value])


def test_a_writer_that_raises_fails_the_run_and_says_why(client, tmp_path, monkeypatch):
    class Broken:
        proto = "nfs"

        def put(self, local, name):
            raise OSError("nfs-cp is not installed")

    monkeypatch.setattr(client, "make_clients", lambda args: [Broken()])
    with pytest.raises(SystemExit) as e:
        client.main(["write", "--vip", "127.0.0.1", "--nfs-export", "/srv/x", "--run-id", "r5",
                     "--out", str(tmp_path / "o.json"), "--stop-file", str(tmp_path / "stop")])
    assert "nfs-cp is not installed" in str(e.value)
    assert "nfs-cp is not installed" in json.loads((tmp_path / "o.json").read_text())["errors"]["nfs"]
