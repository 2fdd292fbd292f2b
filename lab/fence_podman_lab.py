"""Fence agent for hastorage.cluster lab nodes (podman containers).

Lab use only. It talks plain HTTP to the libpod REST API that `lab/labctl up`
starts on the lab bridge address (`podman system service tcp:GW:PORT`):
  off    -> kill the node container (SIGKILL, i.e. power cut; a paused
            container is unpaused after the kill so that it really dies)
  on     -> start the container again
  reboot -> off, wait until it is off, on (fencing library default), or with
            --method=cycle a single kill + start
  status / list / monitor / metadata as every fencing-library agent.
Adapted from Debian's fence_docker, without pycurl (Python stdlib only).
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


def api_call(options, method, path, query=None):
    """Call the libpod API; return (status, decoded JSON or None)."""
    url = "/v%s/libpod/%s" % (options["--api-version"], path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    conn = http.client.HTTPConnection(options["--ip"], int(options["--ipport"]),
                                      timeout=request_timeout(options))
    logging.debug("%s %s", method, url)
    try:
        conn.request(method, url, headers={"Content-Length": "0"} if method == "POST" else {})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        fail_usage("Failed: cannot reach the podman API at %s:%s: %s"
                   % (options["--ip"], options["--ipport"], exc))
    finally:
        conn.close()
    logging.debug("HTTP %s %s", resp.status, body[:2000])
    data = None
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    return resp.status, data


def request_timeout(options):
    """Seconds to wait for one API call. Under pacemaker-fenced the fencing
    library sets every timeout to 0 (Pacemaker enforces its own): 0 must not
    mean a non-blocking socket there."""
    value = int(options.get("--shell-timeout") or 0)
    return value if value > 0 else 60


def container_name(options):
    return urllib.parse.quote(options["--plug"], safe="")


def inspect(options):
    status, data = api_call(options, "GET", "containers/%s/json" % container_name(options))
    if status == 404:
        fail_usage("Failed: no container named %s" % options["--plug"])
    if status != 200 or not isinstance(data, dict):
        fail_usage("Failed: inspecting %s returned HTTP %s" % (options["--plug"], status))
    return data["State"]


def powered(state):
    """A paused (frozen) container is still on: libpod reports Running=false
    for it, and calling it off would let fencing "succeed" on a live node."""
    return bool(state.get("Running") or state.get("Paused"))


def get_power_status(conn, options):
    del conn
    return "on" if powered(inspect(options)) else "off"


def kill(options):
    name = container_name(options)
    state = inspect(options)
    if not powered(state):
        return
    status, data = api_call(options, "POST", "containers/%s/kill" % name, {"signal": "SIGKILL"})
    if status not in (200, 204, 304):
        # a container that died meanwhile is as good as killed
        if powered(inspect(options)):
            fail_usage("Failed: kill %s returned HTTP %s %s" % (options["--plug"], status, data))
    if state.get("Paused"):
        # SIGKILL stays pending in a frozen cgroup until it is thawed
        api_call(options, "POST", "containers/%s/unpause" % name)


def start(options):
    status, data = api_call(options, "POST", "containers/%s/start" % container_name(options))
    if status not in (200, 204, 304):
        fail_usage("Failed: start %s returned HTTP %s %s" % (options["--plug"], status, data))


def set_power_status(conn, options):
    del conn
    if options["--action"] == "on":
        start(options)
    else:
        kill(options)


def reboot_cycle(conn, options):
    del conn
    kill(options)
    deadline = time.time() + (int(options.get("--power-timeout") or 0) or 60)
    while powered(inspect(options)) and time.time() < deadline:
        time.sleep(0.2)
    start(options)
    return get_power_status(None, options) == "on"


def get_list(conn, options):
    del conn
    query = {"all": "true"}
    if options.get("--container-prefix"):
        query["filters"] = json.dumps({"name": ["^" + options["--container-prefix"]]})
    status, data = api_call(options, "GET", "containers/json", query)
    if status != 200 or not isinstance(data, list):
        fail_usage("Failed: listing containers returned HTTP %s" % status)
    result = {}
    for item in data:
        names = item.get("Names") or [item.get("Id", "?")]
        state = "on" if item.get("State") in ("running", "paused") else "off"
        result[names[0].lstrip("/")] = (names[0].lstrip("/"), state)
    return result


def define_options():
    all_opt["api_version"] = {
        "getopt": ":",
        "longopt": "api-version",
        "help": "--api-version=[version]        libpod API version (default: 4.0.0)",
        "required": "0",
        "shortdesc": "libpod REST API version",
        "default": "4.0.0",
        "order": 2,
    }
    all_opt["container_prefix"] = {
        "getopt": ":",
        "longopt": "container-prefix",
        "help": "--container-prefix=[prefix]    list only containers whose name starts with this",
        "required": "0",
        "shortdesc": "Container name prefix for the list action",
        "order": 2,
    }
    all_opt["ipport"]["default"] = "8990"
    return ["ipaddr", "ipport", "no_password", "no_login", "port", "method",
            "api_version", "container_prefix"]


def main():
    atexit.register(atexit_handler)
    device_opt = define_options()
    options = check_input(device_opt, process_input(device_opt))
    docs = {
        "shortdesc": "Fence agent for podman containers of the hastorage.cluster lab",
        "longdesc": "fence_podman_lab kills (off), starts (on) and restarts (reboot) "
                    "podman containers through the libpod REST API served without TLS by "
                    "`podman system service tcp:ADDRESS:PORT` on the lab bridge. "
                    "For lab use only: that API gives full control of podman on the host.",
        "vendorurl": "https://podman.io",
    }
    show_docs(options, docs)
    run_delay(options)
    sys.exit(fence_action(None, options, set_power_status, get_power_status, get_list, reboot_cycle))


if __name__ == "__main__":
    main()
