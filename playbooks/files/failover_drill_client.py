#!/usr/bin/env python
"""Failover drill client of hastorage.cluster: a test client, not part of any design.

Private to the hastorage.cluster collection: playbooks/failover_drill.yml copies
it to the Ansible controller (or, on the lab, into the lab DC's client container)
and runs it there. It needs smbclient (SMB) and libnfs-utils (nfs-cp, NFS).

    failover_drill_client.py write  --vip IP [--smb-share S --smb-user U] [--nfs-export /path]
                                    --run-id ID --out FILE --stop-file FILE [--status-file FILE]
                                    [--interval 0.25] [--max-seconds 300] [--max-records 5000]
                                    [--op-timeout 5]
    failover_drill_client.py verify --in FILE --out FILE [--ready-seconds 60]

`write` writes numbered records (one new file each, never overwriting) over
SMB (smbclient) and NFSv3 (libnfs nfs-cp), each protocol in its own loop (a
call that hangs on one protocol does not hold the other back, so each
protocol's downtime is its own), until the stop file appears or a bound is
reached, and logs every attempt with its start and end time and whether the
server acknowledged it. Every record is a new client process and connection;
a call that has not returned after --op-timeout seconds is abandoned (a
failed attempt) and the next record tried, the way an application retries:
the downtime it reports is how long a client that retries after that
timeout could not write. With --status-file it keeps a
small JSON file up to date after every round (the time of each protocol's
last acknowledgement), so the playbook can wait until every protocol is
served again instead of guessing a settle time. The SMB password comes from
the file --smb-password-file names (mode 0600), never from the command line.
`verify` first waits (up to --ready-seconds) until the server answers a read
of an acknowledged record, then reads back every acknowledged record and
compares its content: a server still recovering is not mistaken for lost data.
The pure functions (payload, downtime, summary) are unit-tested.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

RECORD_SIZE = 1024
# seconds before a call is abandoned: the read-back's (verify) default; the
# writers take --op-timeout
OP_TIMEOUT = 10.0
WRITE_OP_TIMEOUT = 5.0


def record_name(run_id, proto, seq):
    """One file per protocol and record: an SMB share and an NFS export may
    be the same directory, and the two writers must not overwrite each other."""
    return "hsc-drill-%s-%s-%06d" % (run_id, proto, seq)


def record_payload(run_id, proto, seq, size=RECORD_SIZE):
    """The exact bytes of one record; the verifier recomputes them."""
    head = "hsc-drill run=%s proto=%s seq=%06d\n" % (run_id, proto, seq)
    body = (head * (size // len(head) + 1))[:size - 1]
    return (body + "\n").encode()


STALL_SECONDS = 1.0
# attempts at the end of a run that the summary repeats
TAIL_ATTEMPTS = 5


def downtime(attempts, stall_seconds=STALL_SECONDS):
    """Client-visible downtime of one protocol, in seconds.

    attempts: [{t0, t1, ok}, ...] in the order made. The downtime of an
    outage runs from the acknowledgement of the last record before the first
    failed attempt to the acknowledgement of the first record after it. A
    server that freezes makes calls hang rather than fail, so a gap of more
    than ``stall_seconds`` between two consecutive acknowledgements counts
    as downtime too. The result is the longest outage or stall. None when
    the protocol never recovered (failures at the end), 0.0 when nothing
    failed or stalled.
    """
    longest = 0.0
    previous_ack = None
    for att in attempts:
        if att["ok"]:
            if previous_ack is not None and att["t1"] - previous_ack > stall_seconds:
                longest = max(longest, att["t1"] - previous_ack)
            previous_ack = att["t1"]
    last_ok = None
    in_outage = False
    outage_start = None
    for att in attempts:
        if att["ok"]:
            if in_outage:
                start = last_ok if last_ok is not None else outage_start
                longest = max(longest, att["t1"] - start)
                in_outage = False
            last_ok = att["t1"]
        elif not in_outage:
            in_outage = True
            outage_start = att["t0"]
    if in_outage:
        return None
    return round(longest, 3)


def summarize(log, verified):
    """Per protocol: records attempted, acknowledged, lost (acknowledged but
    not read back intact), downtime. RPO is the count of lost records."""
    out = {}
    for proto, attempts in sorted(log["attempts"].items()):
        acked = [a["seq"] for a in attempts if a["ok"]]
        bad = sorted(set(acked) - set(verified.get(proto, {}).get("intact", [])))
        out[proto] = {
            "attempts": len(attempts),
            "acknowledged": len(acked),
            "failed_attempts": len(attempts) - len(acked),
            "lost_records": bad,
            # when each lost record was written: places a loss against the failure
            "lost_attempts": [a for a in attempts if a["ok"] and a["seq"] in bad],
            "rpo_records": len(bad),
            "rto_seconds": downtime(attempts),
            "ready_after_seconds": verified.get(proto, {}).get("ready_after_seconds"),
            # the end of the run: shows an outage that had not ended
            "last_attempts": attempts[-TAIL_ATTEMPTS:],
        }
    return out


class SmbClient:
    proto = "smb"

    def __init__(self, vip, share, user, password, op_timeout=OP_TIMEOUT):
        self.op_timeout = op_timeout
        self.base = ["smbclient", "//%s/%s" % (vip, share), "-U", user,
                     "-t", str(max(1, int(math.ceil(op_timeout))))]
        self.env = dict(os.environ, LC_ALL="C", PASSWD=password)

    def _run(self, command):
        proc = subprocess.run(self.base + ["-c", command], env=self.env, capture_output=True,
                              timeout=self.op_timeout, check=False)
        # smbclient -c returns 1 when a command in the list failed
        return proc.returncode == 0 and b"NT_STATUS_" not in proc.stdout + proc.stderr

    def put(self, local, name):
        return self._run("put %s %s" % (local, name))

    def get(self, name, local):
        return self._run("get %s %s" % (name, local))


class NfsClient:
    proto = "nfs"

    def __init__(self, vip, export, op_timeout=OP_TIMEOUT):
        self.op_timeout = op_timeout
        self.base = "nfs://%s%s" % (vip, export.rstrip("/"))

    def _url(self, name):
        return "%s/%s?version=3" % (self.base, name)

    def put(self, local, name):
        proc = subprocess.run(["nfs-cp", local, self._url(name)], capture_output=True,
                              timeout=self.op_timeout, check=False, env=dict(os.environ, LC_ALL="C"))
        return proc.returncode == 0

    def get(self, name, local):
        proc = subprocess.run(["nfs-cat", self._url(name)], capture_output=True,
                              timeout=self.op_timeout, check=False, env=dict(os.environ, LC_ALL="C"))
        if proc.returncode != 0:
            return False
        with open(local, "wb") as handle:
            handle.write(proc.stdout)
        return True


def write_status(path, last_ack, seq):
    """Replace the status file atomically: the reader never sees half of it."""
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump({"last_ack": last_ack, "records": seq, "updated": round(time.time(), 3)}, handle)
    os.replace(tmp, path)


def read_record(client, run_id, seq, local, tries=3, pause=1.0):
    """True when the record reads back with exactly its payload. Transport
    errors and timeouts are retried ``tries`` times, ``pause`` seconds apart."""
    for attempt_no in range(tries):
        try:
            if client.get(record_name(run_id, client.proto, seq), local):
                with open(local, "rb") as handle:
                    return handle.read() == record_payload(run_id, client.proto, seq)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if os.path.exists(local):
                os.unlink(local)
        if attempt_no + 1 < tries:
            time.sleep(pause)
    return False


def wait_until_readable(client, run_id, seqs, local, ready_seconds, clock=None, sleep=None):
    """Wait until one of the acknowledged records ``seqs`` reads back (the
    server serves again) or ``ready_seconds`` passed. Several candidates, so
    that one lost record does not look like a server that is still down.
    Returns the seconds waited, or None."""
    clock = clock or time.time
    sleep = sleep or time.sleep
    start = clock()
    while True:
        if any(read_record(client, run_id, seq, local, tries=1) for seq in seqs):
            return round(clock() - start, 3)
        if clock() - start >= ready_seconds:
            return None
        sleep(2.0)


def read_password(path):
    """The first line of the file at ``path`` (empty without a path)."""
    if not path:
        return ""
    with open(path) as handle:
        return handle.readline().rstrip("\n")


def make_clients(args):
    op_timeout = getattr(args, "op_timeout", None) or OP_TIMEOUT
    clients = []
    if args.smb_share:
        clients.append(SmbClient(args.vip, args.smb_share, args.smb_user,
                                 read_password(getattr(args, "smb_password_file", None)), op_timeout))
    if args.nfs_export:
        clients.append(NfsClient(args.vip, args.nfs_export, op_timeout))
    return clients


def attempt(client, local, name):
    t0 = time.time()
    try:
        ok = client.put(local, name)
    except subprocess.TimeoutExpired:
        ok = False
    return t0, time.time(), ok


class StatusBoard:
    """What the writers share: each protocol's last acknowledgement and record
    count, written to the status file (if any) after every record."""

    def __init__(self, path, protos):
        self.path = path
        self.lock = threading.Lock()
        self.last_ack = dict((proto, None) for proto in protos)
        self.records = dict((proto, 0) for proto in protos)

    def record(self, proto, seq, ack):
        with self.lock:
            self.records[proto] = seq
            if ack is not None:
                self.last_ack[proto] = ack
            if self.path:
                write_status(self.path, dict(self.last_ack), sum(self.records.values()))


def write_loop(client, args, workdir, attempts, board, deadline):
    """One protocol's writer: a record, then the next, until the stop file,
    the deadline or --max-records. Returns why it stopped."""
    seq = 0
    while True:
        if os.path.exists(args.stop_file):
            return "stop-file"
        if seq >= args.max_records:
            return "max-records"
        if time.time() >= deadline:
            return "max-seconds"
        seq += 1
        name = record_name(args.run_id, client.proto, seq)
        local = os.path.join(workdir, name)
        with open(local, "wb") as handle:
            handle.write(record_payload(args.run_id, client.proto, seq))
        try:
            t0, t1, ok = attempt(client, local, name)
        finally:
            os.unlink(local)
        attempts.append({"seq": seq, "t0": round(t0, 3), "t1": round(t1, 3), "ok": ok})
        board.record(client.proto, seq, round(t1, 3) if ok else None)
        time.sleep(args.interval)


def cmd_write(args):
    clients = make_clients(args)
    if not clients:
        sys.exit("nothing to do: give --smb-share and/or --nfs-export")
    log = {"run_id": args.run_id, "vip": args.vip, "smb_share": args.smb_share,
           "smb_user": args.smb_user, "smb_password_file": args.smb_password_file, "nfs_export": args.nfs_export,
           "op_timeout": args.op_timeout, "started": time.time(), "attempts": dict((c.proto, []) for c in clients)}
    deadline = time.time() + args.max_seconds
    workdir = tempfile.mkdtemp(prefix="hsc-drill-")
    board = StatusBoard(args.status_file, [c.proto for c in clients])
    reasons = {}

    def run(client):
        try:
            reasons[client.proto] = write_loop(client, args, workdir, log["attempts"][client.proto], board, deadline)
        except Exception as e:  # pylint: disable=broad-except
            reasons[client.proto] = "error: %s" % e

    threads = [threading.Thread(target=run, args=(c,), name="writer-%s" % c.proto) for c in clients]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        log["stopped"] = time.time()
        log["stop_reason"] = ("stop-file" if os.path.exists(args.stop_file)
                              else "max-records" if "max-records" in reasons.values() else "max-seconds")
        errors = dict((p, r) for p, r in reasons.items() if r.startswith("error"))
        if errors:
            log["errors"] = errors
        with open(args.out, "w") as handle:
            json.dump(log, handle)
        os.rmdir(workdir)
    print(json.dumps({"records": sum(board.records.values()), "stop_reason": log["stop_reason"]}))
    if errors:
        sys.exit("writer failed: %s" % errors)


def cmd_verify(args):
    with open(getattr(args, "in")) as handle:
        log = json.load(handle)
    ns = argparse.Namespace(vip=log["vip"], smb_share=log["smb_share"], smb_user=log["smb_user"],
                            smb_password_file=log.get("smb_password_file"), nfs_export=log["nfs_export"])
    workdir = tempfile.mkdtemp(prefix="hsc-verify-")
    verified = {}
    try:
        for client in make_clients(ns):
            acked = [att["seq"] for att in log["attempts"].get(client.proto, []) if att["ok"]]
            ready = None
            if acked:
                # the newest acknowledged records: the ones most likely
                # written by the node that serves now
                ready = wait_until_readable(client, log["run_id"], acked[::-1][:3],
                                            os.path.join(workdir, "ready"), args.ready_seconds)
            intact = [seq for seq in acked
                      if read_record(client, log["run_id"], seq, os.path.join(workdir, record_name(log["run_id"], client.proto, seq)))]
            verified[client.proto] = {"intact": intact, "ready_after_seconds": ready}
    finally:
        os.rmdir(workdir)
    result = {"run_id": log["run_id"], "started": log["started"], "stopped": log["stopped"],
              "stop_reason": log["stop_reason"], "protocols": summarize(log, verified)}
    with open(args.out, "w") as handle:
        json.dump(result, handle)
    print(json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser(description="hastorage.cluster failover drill client")
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write")
    write.add_argument("--vip", required=True)
    write.add_argument("--smb-share")
    write.add_argument("--smb-user")
    write.add_argument("--smb-password-file", help="file holding the SMB password (mode 0600)")
    write.add_argument("--nfs-export")
    write.add_argument("--run-id", required=True)
    write.add_argument("--out", required=True)
    write.add_argument("--stop-file", required=True)
    write.add_argument("--status-file")
    write.add_argument("--interval", type=float, default=0.25)
    write.add_argument("--max-seconds", type=float, default=300)
    write.add_argument("--max-records", type=int, default=5000, help="records per protocol at most")
    write.add_argument("--op-timeout", type=float, default=WRITE_OP_TIMEOUT,
                       help="seconds before a call is abandoned and the next record tried (default 5)")
    verify = sub.add_parser("verify")
    verify.add_argument("--in", required=True)
    verify.add_argument("--out", required=True)
    verify.add_argument("--ready-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.command == "write" and not 0.5 <= args.op_timeout <= 60:
        parser.error("--op-timeout must be 0.5 to 60 seconds")
    if args.command == "write":
        cmd_write(args)
    else:
        cmd_verify(args)


if __name__ == "__main__":
    main()
