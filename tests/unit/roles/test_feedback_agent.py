# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The feedback agent's pure functions (roles/feedback_agent/files/hastorage_feedback.py):
the counters it reads, the formula, the line it sends HAProxy, its
configuration checks and the HAProxy side's static-weight fallback."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os

import pytest

AGENT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "feedback_agent", "files",
                     "hastorage_feedback.py")


@pytest.fixture(scope="module")
def fb(load_file_module):
    return load_file_module("hastorage_feedback", AGENT)


def config(fb, **changes):
    result = json.loads(json.dumps(fb.DEFAULTS))
    result.update(changes)
    return result


# --- counters ---------------------------------------------------------------

def test_cpu_busy_excludes_idle_and_iowait(fb):
    text = "cpu  100 10 40 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"
    assert fb.parse_cpu(text) == (150, 1000)


def test_cpu_without_its_line_is_an_error(fb):
    with pytest.raises(ValueError, match="no cpu line"):
        fb.parse_cpu("cpu0 1 2 3 4\n")


def test_diskstats_reads_io_ticks_of_the_named_disks(fb):
    text = ("   8       0 sda 10 0 80 5 20 0 160 9 0 1234 14 0 0 0 0\n"
            "   8       1 sda1 1 0 8 1 2 0 16 1 0 99 2 0 0 0 0\n"
            " 254       0 vda 1 0 8 1 2 0 16 1 0 777 2\n")
    assert fb.parse_diskstats(text, ["sda", "vda"]) == {"sda": 1234, "vda": 777}
    assert fb.parse_diskstats(text, ["sdb"]) == {}


def test_net_dev_sums_received_and_sent_bytes(fb):
    text = ("Inter-|   Receive  |  Transmit\n face |bytes packets|bytes packets\n"
            "    lo: 5000 1 0 0 0 0 0 0 5000 1 0 0 0 0 0 0\n"
            "  eth0: 1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0\n"
            "  eth1:300 1 0 0 0 0 0 0 400 1 0 0 0 0 0 0\n")
    assert fb.parse_net_dev(text, []) == 3700  # every interface but lo
    assert fb.parse_net_dev(text, ["eth1"]) == 700
    assert fb.parse_net_dev(text, ["lo"]) == 10000


TCP = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
       "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"      # 8080 listen
       "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 2\n"      # 8080 est
       "   2: 0100007F:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000 0 0 3\n"      # 8080 est
       "   3: 0100007F:2631 0100007F:D433 01 00000000:00000000 00:00000000 00000000 0 0 4\n"      # 9777 est
       "   4: 0100007F:0016 0100007F:D434 06 00000000:00000000 00:00000000 00000000 0 0 5\n")     # 22 time-wait
TCP6 = ("  sl  local_address                         remote_address                        st\n"
        "   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D435 01 0\n")


def test_established_connections_on_the_service_ports(fb):
    assert fb.count_established([TCP, TCP6], [8080]) == 3
    assert fb.count_established([TCP, TCP6], [22]) == 0  # not established
    assert fb.count_established([TCP, TCP6], [], exclude_port=9777) == 3  # any port but the agent's
    assert fb.count_established([TCP, ""], [], exclude_port=None) == 3


def test_whole_disks_leaves_out_virtual_devices(fb, tmp_path):
    for name in ("sda", "vda", "loop0", "ram1", "zram0", "nbd0", "sr0", "md0", "dm-0"):
        (tmp_path / "block" / name).mkdir(parents=True)
    assert fb.whole_disks(str(tmp_path)) == ["dm-0", "md0", "sda", "vda"]
    assert fb.whole_disks(str(tmp_path / "none")) == []


def test_read_counters_from_a_proc_tree(fb, tmp_path):
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    (proc / "stat").write_text("cpu  300 0 100 500 100 0 0 0 0 0\n")
    (proc / "diskstats").write_text(" 254 0 vda 1 0 8 1 2 0 16 1 0 4000 2\n")
    (proc / "net" / "dev").write_text("h\nh\n  eth0: 10 0 0 0 0 0 0 0 20 0 0 0 0 0 0 0\n")
    (proc / "net" / "tcp").write_text(TCP)  # no tcp6: IPv6 off
    (tmp_path / "sys" / "block" / "vda").mkdir(parents=True)
    counters = fb.read_counters(config(fb, proc_root=str(proc), sys_root=str(tmp_path / "sys")), 12.5)
    assert counters == {"time": 12.5, "cpu_busy": 400, "cpu_total": 1000, "disk_ticks": {"vda": 4000},
                        "net_bytes": 30, "connections": 2}


# --- the formula ------------------------------------------------------------

def counters(time, busy, total, ticks, net, connections):
    return {"time": time, "cpu_busy": busy, "cpu_total": total, "disk_ticks": ticks, "net_bytes": net,
            "connections": connections}


def test_loads_over_one_interval(fb):
    cfg = config(fb, network_capacity=1000, connection_capacity=10)
    previous = counters(10.0, 100, 1000, {"sda": 0, "sdb": 0}, 0, 0)
    current = counters(12.0, 400, 1400, {"sda": 500, "sdb": 1500}, 1000, 4)
    loads = fb.compute_loads(previous, current, cfg)
    assert loads == {"cpu": 0.75, "disk": 0.75, "network": 0.5, "connections": 0.4}


def test_loads_are_clamped_and_a_new_disk_is_skipped(fb):
    cfg = config(fb, network_capacity=10, connection_capacity=2)
    previous = counters(0.0, 500, 1000, {}, 100, 0)
    current = counters(1.0, 400, 1000, {"sda": 5000}, 99999, 50)  # counter went back (reboot), no cpu time
    assert fb.compute_loads(previous, current, cfg) == {"cpu": 0.0, "disk": 0.0, "network": 1.0,
                                                        "connections": 1.0}
    with pytest.raises(ValueError):
        fb.compute_loads(current, previous, cfg)


def test_aggregate_is_the_coefficients_weighted_mean(fb):
    loads = {"cpu": 1.0, "disk": 0.5, "network": 0.0, "connections": 0.25}
    assert fb.aggregate_load(loads, {"cpu": 0.5, "disk": 0.2, "network": 0.1, "connections": 0.2}) == \
        pytest.approx(0.5 + 0.1 + 0.05)
    # coefficients need not add up to 1
    assert fb.aggregate_load(loads, {"cpu": 2, "disk": 2}) == pytest.approx(0.75)
    assert fb.aggregate_load(loads, {"disk": 1}) == 0.5


def test_bottleneck_blends_in_the_busiest_load(fb):
    coefficients = {"cpu": 0.5, "disk": 0.2, "network": 0.1, "connections": 0.2}
    saturated_cpu = {"cpu": 1.0, "disk": 0.0, "network": 0.0, "connections": 0.0}
    assert fb.aggregate_load(saturated_cpu, coefficients, 0.0) == pytest.approx(0.5)   # the mean alone
    assert fb.aggregate_load(saturated_cpu, coefficients, 1.0) == pytest.approx(1.0)   # the busiest alone
    assert fb.aggregate_load(saturated_cpu, coefficients, 0.5) == pytest.approx(0.75)
    # a load without a coefficient is not the bottleneck
    busy_network = {"cpu": 0.2, "disk": 0.0, "network": 1.0, "connections": 0.0}
    assert fb.aggregate_load(busy_network, {"cpu": 1}, 1.0) == pytest.approx(0.2)
    idle = {"cpu": 0.0, "disk": 0.0, "network": 0.0, "connections": 0.0}
    assert fb.aggregate_load(idle, coefficients, 0.5) == 0.0


def test_smoothing(fb):
    assert fb.smoothing_factor(2, 0) == 1.0
    assert fb.smoothing_factor(2, 6) == pytest.approx(1 - math.exp(-1.0 / 3))
    assert fb.smooth(None, 0.8, 0.3) == 0.8
    assert fb.smooth(0.2, 0.8, 0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("load, weight", [(0.0, 100), (1.0, 10), (0.5, 55), (-1, 100), (2, 10), (0.333, 70)])
def test_target_weight_between_the_bounds(fb, load, weight):
    assert fb.target_weight(load, 10, 100) == weight


@pytest.mark.parametrize("current, target, weight", [
    (None, 40, 40),     # the first sample sets it
    (100, 40, 75),      # down by at most max_step
    (40, 100, 65),      # up by at most max_step
    (60, 57, 60),       # within the hysteresis: unchanged
    (60, 55, 55),       # at the hysteresis: moves
    (60, 60, 60),
])
def test_next_weight_is_bounded_and_has_hysteresis(fb, current, target, weight):
    assert fb.next_weight(current, target, 25, 5) == weight


def test_next_weight_without_hysteresis_still_settles(fb):
    assert fb.next_weight(60, 61, 25, 0) == 61
    assert fb.next_weight(61, 61, 25, 0) == 61


def test_tracker_follows_a_load_step_in_bounded_steps(fb):
    cfg = config(fb, window=0, coefficients={"cpu": 1}, max_step=25, hysteresis=5, bottleneck=0)
    tracker = fb.WeightTracker(cfg)
    busy, total, weights = 0, 0, []
    for second in range(8):
        share = 0.0 if second < 3 else 1.0
        busy += int(100 * share)
        total += 100
        weights.append(tracker.sample(counters(float(second), busy, total, {}, 0, 0)))
    # None before two readings; idle: 100; then loaded: down 25 a step to 10
    assert weights == [None, 100, 100, 75, 50, 25, 10, 10]
    status = tracker.status("ready")
    assert status["target"] == 10 and status["loads"]["cpu"] == 1.0 and status["state"] == "ready"


def test_tracker_smoothing_slows_the_target(fb):
    cfg = config(fb, interval=2, window=6, coefficients={"cpu": 1}, max_step=100, hysteresis=0, bottleneck=0)
    tracker = fb.WeightTracker(cfg)
    tracker.sample(counters(0.0, 0, 0, {}, 0, 0))
    tracker.sample(counters(2.0, 0, 100, {}, 0, 0))        # idle
    weight = tracker.sample(counters(4.0, 100, 200, {}, 0, 0))  # fully loaded for one interval
    factor = 1 - math.exp(-2.0 / 6)
    assert weight == int(round(100 - 90 * factor))
    assert 10 < weight < 100


# --- what the agent sends ---------------------------------------------------

def test_reply_is_the_weight_as_a_percentage(fb):
    ready_long_ago = {"state": "ready", "since": 0}
    assert fb.agent_reply(73, ready_long_ago, 1000.0, 60, 100) == "73%\n"
    assert fb.agent_reply(None, ready_long_ago, 1000.0, 60, 90) == "90%\n"  # no sample yet: max_weight


def test_reply_announces_drain_maint_and_ready_only_after_a_request(fb):
    assert fb.agent_reply(73, {"state": "drain", "since": 990}, 1000.0, 60, 100) == "drain\n"
    assert fb.agent_reply(73, {"state": "maint", "since": 0}, 1000.0, 60, 100) == "maint\n"
    assert fb.agent_reply(73, {"state": "ready", "since": 990}, 1000.0, 60, 100) == "ready 73%\n"
    assert fb.agent_reply(73, {"state": "ready", "since": 900}, 1000.0, 60, 100) == "73%\n"
    assert fb.agent_reply(73, {"state": "ready", "since": 990}, 1000.0, 0, 100) == "73%\n"


def test_state_file(fb, tmp_path):
    path = str(tmp_path / "sub" / "state")
    assert fb.read_state(path) == {"state": "ready", "since": 0}
    fb.write_json_atomically(path, {"state": "drain", "since": 5})
    assert fb.read_state(path) == {"state": "drain", "since": 5}
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
    for bad in ("{", "[]", '{"state": "off"}'):
        with open(path, "w") as stream:
            stream.write(bad)
        assert fb.read_state(path) == {"state": "ready", "since": 0}
    with open(path, "w") as stream:
        stream.write('{"state": "maint", "since": "yesterday"}')
    assert fb.read_state(path) == {"state": "maint", "since": 0}


def test_state_command_sets_what_the_agent_announces(fb, tmp_path, capsys):
    path = tmp_path / "agent.json"
    path.write_text(json.dumps({"state_file": str(tmp_path / "state"), "status_file": str(tmp_path / "status")}))
    assert fb.main(["state", "--config", str(path), "maint"]) == 0
    assert fb.read_state(str(tmp_path / "state"))["state"] == "maint"
    assert fb.main(["state", "--config", str(path)]) == 0
    assert capsys.readouterr().out.split() == ["maint", "maint"]
    assert fb.main(["show", "--config", str(path)]) == 1  # no sample yet


def test_agent_serves_its_reply_over_tcp(fb, tmp_path):
    import socket
    import threading
    cfg = config(fb, address="127.0.0.1", port=0, state_file=str(tmp_path / "state"),
                 status_file=str(tmp_path / "status.json"))
    agent = fb.Agent(cfg)
    agent.tracker.weight = 42
    server = fb.make_server(agent)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    try:
        conn = socket.create_connection(server.server_address[:2], timeout=5)
        data = conn.recv(100)
        assert conn.recv(100) == b""  # one line, then the agent closes
        conn.close()
        assert data == b"42%\n"
    finally:
        server.shutdown()
        server.server_close()


# --- configuration ----------------------------------------------------------

def test_defaults_are_valid(fb):
    assert fb.config_problems(config(fb)) == []


@pytest.mark.parametrize("changes, message", [
    ({"interval": 0.5}, "interval must be at least 1 (got 0.5)"),
    ({"min_weight": 80, "max_weight": 50}, "min_weight 80 is above max_weight 50"),
    ({"max_weight": 300}, "max_weight must be between 1 and 256 (got 300)"),
    ({"port": 0}, "port must be between 1 and 65535 (got 0)"),
    ({"port": "9777"}, "port must be an integer (got '9777')"),
    ({"max_step": True}, "max_step must be an integer (got True)"),
    ({"coefficients": {"cpu": 1, "memory": 1}}, "coefficients: unknown load 'memory'"),
    ({"coefficients": {"cpu": -1}}, "coefficients.cpu must be a number of 0 or more (got -1)"),
    ({"coefficients": {"cpu": 0, "disk": 0}}, "coefficients: at least one must be above 0"),
    ({"coefficients": []}, "coefficients must be a mapping"),
    ({"connection_ports": [8080, 70000]}, "connection_ports must be a list of TCP ports"),
    ({"connection_ports": [9777]}, "connection_ports must not hold the agent's own port 9777"),
    ({"disks": "sda"}, "disks must be a list of names"),
    ({"state_file": ""}, "state_file must be a non-empty string"),
    ({"colour": "red"}, "unknown settings: colour"),
    ({"bottleneck": 1.5}, "bottleneck must be between 0 and 1 (got 1.5)"),
])
def test_bad_configuration_is_refused(fb, changes, message):
    problems = fb.config_problems(config(fb, **changes))
    assert any(message in problem for problem in problems), problems


def test_load_config_refuses_bad_files(fb, tmp_path):
    path = tmp_path / "agent.json"
    assert fb.load_config(str(tmp_path / "missing.json"))["port"] == 9777
    path.write_text("[1]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        fb.load_config(str(path))
    path.write_text('{"interval": 0}')
    with pytest.raises(ValueError, match="interval must be at least 1"):
        fb.load_config(str(path))
    path.write_text('{"interval": 3, "port": 9800}')
    loaded = fb.load_config(str(path))
    assert (loaded["interval"], loaded["port"], loaded["max_weight"]) == (3, 9800, 100)


def test_main_refuses_a_bad_config_with_exit_2(fb, tmp_path, capsys):
    path = tmp_path / "agent.json"
    path.write_text('{"min_weight": 90, "max_weight": 20}')
    assert fb.main(["agent", "--config", str(path)]) == 2
    assert "min_weight 90 is above max_weight 20" in capsys.readouterr().err


# --- the HAProxy side -------------------------------------------------------

STAT_HEADER = "# pxname,svname,status,weight,agent_status,agent_desc,uweight"
SERVERS_STATE = """1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change
3 nova 1 ctl-a 10.0.0.1 2 0 40 100 7
3 nova 2 ctl-b 10.0.0.2 2 0 100 100 9
3 nova 3 ctl-c 10.0.0.3 2 0 30 100 9
3 nova 4 ctl-d 10.0.0.4 2 0 20 100 9
3 nova 5 ctl-e 10.0.0.5 2 0 20 100 9
4 neutron 1 ctl-a 10.0.0.1 2 0 50 100 9

"""


def test_parse_servers_state(fb):
    servers = fb.parse_servers_state(SERVERS_STATE)
    assert servers[("nova", "ctl-a")] == {"uweight": 40, "iweight": 100}
    assert len(servers) == 6
    with pytest.raises(ValueError):
        fb.parse_servers_state("Unknown command\n")


def test_fallback_restores_the_static_weight_of_servers_whose_agent_fails(fb):
    stat = "\n".join([
        STAT_HEADER,
        "nova,FRONTEND,OPEN,,,,",
        "nova,ctl-a,UP,40,L4CON,Layer4 connection problem,40",      # agent down: back to 100
        "nova,ctl-b,UP,100,L4TOUT,Layer4 timeout,100",              # agent down, already static
        "nova,ctl-c,UP,30,* CHECKED,No status change,30",           # agent answers
        "nova,ctl-d,DRAIN,0,L4CON,Layer4 connection problem,20",    # drained: left alone
        "nova,ctl-e,UP,20,,,20",                                    # no agent
        "nova,BACKEND,UP,290,,,290",
        "neutron,ctl-a,UP,50,* L4TOUT,Layer4 timeout,50",           # check running, last one failed
        "",
    ])
    rows = fb.parse_show_stat(stat)
    assert fb.plan_fallback(rows, fb.parse_servers_state(SERVERS_STATE)) == [
        ("nova", "ctl-a", 100), ("neutron", "ctl-a", 100)]
    with pytest.raises(ValueError):
        fb.parse_show_stat("Permission denied\n")


def test_servers_report_lists_the_servers_with_an_agent(fb, monkeypatch):
    stat = "\n".join([STAT_HEADER, "nova,FRONTEND,OPEN,,,,", "nova,ctl-a,UP,40,* CHECKED,No status change,40",
                      "nova,ctl-e,UP,20,,,20", "nova,BACKEND,UP,60,,,60", ""])
    answers = {"show stat": stat, "show servers state": SERVERS_STATE}
    monkeypatch.setattr(fb, "haproxy_command", lambda path, command: answers[command])
    assert fb.servers_report("/run/haproxy/admin.sock") == [
        {"backend": "nova", "server": "ctl-a", "status": "UP", "weight": 40, "static_weight": 100,
         "agent": "CHECKED"}]


def test_a_stale_weight_is_not_announced(fb, tmp_path):
    cfg = config(fb, interval=2, state_file=str(tmp_path / "state"), status_file=str(tmp_path / "status.json"))
    agent = fb.Agent(cfg)
    agent.tracker.weight = 40
    assert agent.reply(now=1000.0) == "40%\n"  # not sampled yet: the first sample comes in a second
    agent.sampled_at = 1000.0
    assert agent.reply(now=1009.0) == "40%\n"
    assert agent.reply(now=1010.5) is None  # more than 5 intervals: stuck, say nothing


def test_a_failed_reading_keeps_the_weight_and_the_sampler_alive(fb, tmp_path):
    cfg = config(fb, proc_root=str(tmp_path / "noproc"), state_file=str(tmp_path / "state"),
                 status_file=str(tmp_path / "status.json"))
    agent = fb.Agent(cfg)
    agent.tracker.weight = 55
    agent.sample_once()  # no /proc/stat there: logged, nothing raised
    assert agent.tracker.weight == 55 and agent.sampled_at is None
