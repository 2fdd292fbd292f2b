"""Fence agent for hastorage.cluster UML lab nodes (User-mode Linux processes).

Lab use only. It talks plain HTTP to the power API that `lab/umlctl up`
starts on the lab's `bmc` bridge address (host side, `umlctl power-api`):
  off    -> POST /v1/nodes/NODE/off: SIGKILL of the node's whole UML process
            tree (a power cut; a frozen, i.e. SIGSTOPped, node dies too)
  on     -> POST /v1/nodes/NODE/on: start the node's UML kernel again
  reboot -> off, wait until it is off, on (fencing library default), or with
            --method=cycle a single off + on
  status -> GET /v1/nodes/NODE: "on" or "frozen" (a frozen node is on) or "off"
  list / monitor / metadata as every fencing-library agent.
The plug (--plug / port) is the lab node name (node1, node2, ...).
"""

import atexit
import http.client
import json
import logging
import sys
import time
import urllib.parse

sys.path.append("/usr/share/fence")
from fencing import (  # noqa: E402  pylint: disable=wrong-import-position,import-error
    all_opt, atexit_handler, check_input, fail_usage, fence_action,
    process_input, run_delay, show_docs)


def request_timeout(options):
    """Seconds to wait for one API call. Under pacemaker-fenced the fencing
    library sets every timeout to 0 (Pacemaker enforces its own): 0 must not
    mean a non-blocking socket there."""
    value = int(options.get("--shell-timeout") or 0)
    return value if value > 0 else 60


def api_call(options, method, path):
    """Call the power API; return (HTTP status, decoded JSON or None)."""
    url = "/v1/" + path
    conn = http.client.HTTPConnection(options["--ip"], int(options["--ipport"]),
                                      timeout=request_timeout(options))
    logging.debug("%s %s", method, url)
    try:
        conn.request(method, url, headers={"Content-Length": "0"} if method == "POST" else {})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        fail_usage("Failed: cannot reach the lab power API at %s:%s: %s"
                   % (options["--ip"], options["--ipport"], exc))
    finally:
        conn.close()
    logging.debug("HTTP %s %s", resp.status, body[:2000])
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        data = None
    return resp.status, data


def node_path(options):
    return "nodes/" + urllib.parse.quote(options["--plug"], safe="")


def power_of(options):
    status, data = api_call(options, "GET", node_path(options))
    if status == 404:
        fail_usage("Failed: the lab has no node %s" % options["--plug"])
    if status != 200 or not isinstance(data, dict):
        fail_usage("Failed: status of %s returned HTTP %s" % (options["--plug"], status))
    return data.get("power")


def get_power_status(conn, options):
    """A frozen node is on: calling it off would let fencing "succeed" on a live node."""
    del conn
    return "off" if power_of(options) == "off" else "on"


def power(options, action):
    status, data = api_call(options, "POST", "%s/%s" % (node_path(options), action))
    if status != 200:
        fail_usage("Failed: %s %s returned HTTP %s %s" % (action, options["--plug"], status, data))


def set_power_status(conn, options):
    del conn
    power(options, "on" if options["--action"] == "on" else "off")


def reboot_cycle(conn, options):
    del conn
    power(options, "off")
    deadline = time.time() + (int(options.get("--power-timeout") or 0) or 60)
    while power_of(options) != "off" and time.time() < deadline:
        time.sleep(0.2)
    power(options, "on")
    return get_power_status(None, options) == "on"


def get_list(conn, options):
    del conn
    status, data = api_call(options, "GET", "nodes")
    if status != 200 or not isinstance(data, dict):
        fail_usage("Failed: listing nodes returned HTTP %s" % status)
    return {name: (name, "off" if state == "off" else "on") for name, state in data.items()}


def define_options():
    all_opt["ipport"]["default"] = "18900"
    return ["ipaddr", "ipport", "no_password", "no_login", "port", "method"]


def main():
    atexit.register(atexit_handler)
    device_opt = define_options()
    options = check_input(device_opt, process_input(device_opt))
    docs = {
        "shortdesc": "Fence agent for User-mode Linux nodes of the hastorage.cluster lab",
        "longdesc": "fence_uml_lab powers lab nodes, which are User-mode Linux processes on the "
                    "lab host, off (SIGKILL of the node's process tree) and on through the lab's "
                    "unauthenticated power API on the lab bridge (`umlctl power-api`). "
                    "For lab use only.",
        "vendorurl": "https://user-mode-linux.sourceforge.net",
    }
    show_docs(options, docs)
    run_delay(options)
    sys.exit(fence_action(None, options, set_power_status, get_power_status, get_list, reboot_cycle))


if __name__ == "__main__":
    main()
