# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenStack drills' API client: runs on the lab host, talks to the
internal VIP only (the lab's own nodes), and records every request.

  api_client.py run --vip IP --log FILE --stop FILE [--ops token,image_list,image_upload,nova,neutron]
      The admin password comes on stdin (never on the command line). Each
      op runs in its own thread, one request at a time, a new request 0.2 s
      after the last one ended; every request is a JSON line in FILE:
      {"op", "start", "end", "ok", "status", "error"}, times in the host's
      monotonic clock, the clock of the marks the drill writes with
      `api_client.py mark` (the kill). Uploads add "image" and
      "sha256" when Glance acknowledged the data (204). Stops when FILE
      --stop exists.
  api_client.py mark --log FILE --name NAME
      Appends {"mark": NAME, "t": now} to FILE (same clock as run).
  api_client.py report --log FILE --mark NAME
      Per op: requests, failures, failures after the mark, the longest
      run of failures after the mark (seconds from the mark to the first
      success after the last failure: the op's downtime), in-flight at the
      mark. Prints JSON.
  api_client.py images --vip IP --log FILE
      (password on stdin) Checks every acknowledged upload: listed by
      Glance, active, and its data downloaded again has the same sha256.
      Prints JSON {"acknowledged", "present", "missing": [...], "corrupt": [...]}.
"""

from __future__ import absolute_import, division, print_function

import argparse
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

TIMEOUT = 10
PAUSE = 0.2
LOCK = threading.Lock()


def now():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def http(method, url, body=None, headers=None, raw=None, timeout=TIMEOUT):
    """(status, headers, body bytes); status None when no answer came."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers or {}), exc.read()


def get_token(vip, password):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
    status, headers, _body = http("POST", "http://%s:5000/v3/auth/tokens" % vip, body)
    if status != 201:
        raise RuntimeError("token: HTTP %s" % status)
    return headers.get("X-Subject-Token") or headers.get("x-subject-token")


class Client(object):
    def __init__(self, vip, password, log, stop):
        self.vip, self.password, self.log, self.stop = vip, password, log, stop
        self.token = None
        self.seq = 0

    def record(self, entry):
        with LOCK:
            with open(self.log, "a", encoding="utf-8") as fd:
                fd.write(json.dumps(entry, sort_keys=True) + "\n")
                fd.flush()
                os.fsync(fd.fileno())

    def auth(self):
        return {"X-Auth-Token": self.token or ""}

    def op_token(self):
        token = get_token(self.vip, self.password)
        self.token = token
        return 201, {}

    def op_image_list(self):
        status, _h, _b = http("GET", "http://%s:9292/v2/images?limit=1000" % self.vip, headers=self.auth())
        return status, {}

    def op_image_upload(self):
        with LOCK:
            self.seq += 1
            seq = self.seq
        data = os.urandom(4096) + ("drill image %d" % seq).encode()
        status, _h, body = http("POST", "http://%s:9292/v2/images" % self.vip, {
            "name": "drill-%d-%d" % (os.getpid(), seq), "disk_format": "raw", "container_format": "bare",
            "visibility": "private"}, headers=self.auth())
        if status != 201:
            return status, {"step": "create"}
        image = json.loads(body)["id"]
        status, _h, _b = http("PUT", "http://%s:9292/v2/images/%s/file" % (self.vip, image), raw=data,
                              headers=dict(self.auth(), **{"Content-Type": "application/octet-stream"}))
        extra = {"step": "upload", "image": image}
        if status == 204:
            extra["sha256"] = hashlib.sha256(data).hexdigest()
        return status, extra

    def op_nova(self):
        status, _h, _b = http("GET", "http://%s:8774/v2.1/servers" % self.vip, headers=self.auth())
        return status, {}

    def op_neutron(self):
        status, _h, _b = http("GET", "http://%s:9696/v2.0/networks" % self.vip, headers=self.auth())
        return status, {}

    def loop(self, name):
        fn = getattr(self, "op_" + name)
        good = {"token": (201,), "image_upload": (204,)}.get(name, (200,))
        while not os.path.exists(self.stop):
            start = now()
            entry = {"op": name, "start": start}
            try:
                status, extra = fn()
                entry.update(extra)
                entry["status"] = status
                entry["ok"] = status in good
            except Exception as exc:  # pylint: disable=broad-exception-caught
                entry.update(ok=False, status=None, error=str(exc)[:200])
            entry["end"] = now()
            self.record(entry)
            time.sleep(PAUSE)


def cmd_run(args):
    password = sys.stdin.readline().rstrip("\n")
    client = Client(args.vip, password, args.log, args.stop)
    deadline = now() + 120
    while client.token is None:
        try:
            client.op_token()
        except Exception:  # pylint: disable=broad-exception-caught
            if now() > deadline:
                raise
            time.sleep(1)
    ops = [op for op in args.ops.split(",") if op]
    threads = [threading.Thread(target=client.loop, args=(op,), daemon=True) for op in ops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 0


def read_log(path):
    entries, marks = [], {}
    with open(path, encoding="utf-8") as fd:
        for line in fd:
            item = json.loads(line)
            if "mark" in item:
                marks[item["mark"]] = item["t"]
            else:
                entries.append(item)
    return entries, marks


def report(entries, mark):
    """Per op: what happened around MARK (pure, for the unit tests)."""
    out = {}
    for op in sorted({e["op"] for e in entries}):
        mine = sorted((e for e in entries if e["op"] == op), key=lambda e: e["start"])
        after = [e for e in mine if e["end"] > mark]
        failed_after = [e for e in after if not e["ok"]]
        in_flight = [e for e in mine if e["start"] <= mark < e["end"]]
        downtime = 0.0
        if failed_after:
            last_fail = max(e["end"] for e in failed_after)
            recovered = [e for e in after if e["ok"] and e["start"] >= last_fail]
            downtime = (min(e["end"] for e in recovered) - mark) if recovered else None
        # settled: a request succeeded that started after the last failure
        # and late enough (TIMEOUT + 1 s after MARK) that a request hung on a
        # dead node has been recorded as failed by then
        last_fail_end = max([e["end"] for e in failed_after] or [mark])
        settled = any(e["ok"] and e["start"] >= max(last_fail_end, mark + TIMEOUT + 1) for e in after)
        out[op] = {"settled": settled,
                   "requests": len(mine), "failed": len([e for e in mine if not e["ok"]]),
                   "ok_before": len([e for e in mine if e["ok"] and e["end"] <= mark]),
                   "ok_after": len([e for e in after if e["ok"]]),
                   "failed_after": len(failed_after),
                   "failed_after_beyond_in_flight": len([e for e in failed_after if e["start"] > mark]),
                   "in_flight": len(in_flight),
                   "downtime_s": None if downtime is None else round(downtime, 1),
                   "statuses_after": sorted({str(e["status"]) for e in failed_after})}
    return out


def cmd_mark(args):
    with open(args.log, "a", encoding="utf-8") as fd:
        fd.write(json.dumps({"mark": args.name, "t": now()}) + "\n")
    return 0


def cmd_report(args):
    entries, marks = read_log(args.log)
    if args.mark not in marks:
        raise SystemExit("no mark %s in %s" % (args.mark, args.log))
    print(json.dumps(report(entries, marks[args.mark]), indent=2, sort_keys=True))
    return 0


def cmd_images(args):
    password = sys.stdin.readline().rstrip("\n")
    token = get_token(args.vip, password)
    entries, _marks = read_log(args.log)
    acked = [e for e in entries if e["op"] == "image_upload" and e.get("sha256")]
    status, _h, body = http("GET", "http://%s:9292/v2/images?limit=1000" % args.vip, headers={"X-Auth-Token": token})
    if status != 200:
        raise SystemExit("image list: HTTP %s" % status)
    listed = dict((img["id"], img) for img in json.loads(body)["images"])
    missing, corrupt = [], []
    for entry in acked:
        image = listed.get(entry["image"])
        if image is None or image.get("status") != "active":
            missing.append({"image": entry["image"], "status": image and image.get("status")})
            continue
        status, _h, data = http("GET", "http://%s:9292/v2/images/%s/file" % (args.vip, entry["image"]),
                                headers={"X-Auth-Token": token})
        if status != 200 or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            corrupt.append({"image": entry["image"], "status": status})
    print(json.dumps({"acknowledged": len(acked), "present": len(acked) - len(missing) - len(corrupt),
                      "missing": missing, "corrupt": corrupt}, indent=2, sort_keys=True))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--vip", required=True)
    run.add_argument("--log", required=True)
    run.add_argument("--stop", required=True)
    run.add_argument("--ops", default="token,image_list,image_upload,nova,neutron")
    mark = sub.add_parser("mark")
    mark.add_argument("--log", required=True)
    mark.add_argument("--name", required=True)
    rep = sub.add_parser("report")
    rep.add_argument("--log", required=True)
    rep.add_argument("--mark", required=True)
    img = sub.add_parser("images")
    img.add_argument("--vip", required=True)
    img.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    return {"run": cmd_run, "mark": cmd_mark, "report": cmd_report, "images": cmd_images}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
