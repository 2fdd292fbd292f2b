# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""_sbd: sbd dump and wipefs parses (output recorded from Debian 12's sbd 1.5.2 and util-linux 2.38 on a loop
device) and the plan for one SBD disk."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _sbd

DUMP_OK = """==Dumping header on disk /dev/loop0
Header version     : 2.1
UUID               : ef95aada-b174-42c4-8cc2-7d85c15776c7
Number of slots    : 255
Sector size        : 512
Timeout (watchdog) : 5
Timeout (allocate) : 2
Timeout (loop)     : 1
Timeout (msgwait)  : 10
==Header on disk /dev/loop0 is dumped
"""
DUMP_NONE_OUT = "==Dumping header on disk /dev/loop4\n"
DUMP_NONE_ERR = "==Header on disk /dev/loop4 NOT dumped\nsbd failed; please check the logs.\n"
WIPEFS_NONE = '{\n   "signatures": [\n\n   ]\n}\n'
WIPEFS_EXT4 = """{
   "signatures": [
      {
         "device": "loop4",
         "offset": "0x438",
         "type": "ext4",
         "uuid": "a9c6e931-8534-467f-95f2-7d18c56817b2",
         "label": null
      }
   ]
}
"""
WANTED = {"watchdog_timeout": 5, "msgwait_timeout": 10}
HEADER = _sbd.parse_header(0, DUMP_OK)


def test_parse_header():
    assert HEADER == {"version": "2.1", "uuid": "ef95aada-b174-42c4-8cc2-7d85c15776c7", "slots": 255,
                      "sector_size": 512, "watchdog_timeout": 5, "allocate_timeout": 2, "loop_timeout": 1,
                      "msgwait_timeout": 10}


@pytest.mark.parametrize("rc, text", [(1, DUMP_NONE_OUT), (0, DUMP_NONE_OUT), (1, DUMP_OK), (0, "")])
def test_no_header_without_rc_0_and_the_dumped_line(rc, text):
    assert _sbd.parse_header(rc, text) is None


def test_a_dump_without_the_timeouts_is_an_error():
    with pytest.raises(_sbd.SbdError, match="Timeout"):
        _sbd.parse_header(0, DUMP_OK.replace("Timeout (msgwait)  : 10\n", ""))
    with pytest.raises(_sbd.SbdError, match="not a number"):
        _sbd.parse_header(0, DUMP_OK.replace("Timeout (watchdog) : 5", "Timeout (watchdog) : five"))


def test_parse_signatures():
    assert _sbd.parse_signatures(WIPEFS_NONE) == []
    assert _sbd.parse_signatures("") == []
    assert _sbd.parse_signatures(WIPEFS_EXT4) == [{"type": "ext4", "offset": "0x438"}]
    with pytest.raises(_sbd.SbdError):
        _sbd.parse_signatures("wipefs: error")


def test_argv():
    assert _sbd.dump_argv("/dev/mapper/s") == ["-d", "/dev/mapper/s", "dump"]
    assert _sbd.create_argv("/dev/mapper/s", 5, 10) == ["-d", "/dev/mapper/s", "-1", "5", "-4", "10", "create"]
    assert _sbd.wipefs_argv("/dev/mapper/s") == ["--no-act", "--json", "/dev/mapper/s"]


@pytest.mark.parametrize("header, signatures, blank, initialize, overwrite, action, refused", [
    # a header with the wanted timeouts: nothing, whatever the switches
    (HEADER, [], True, True, False, "none", None),
    (HEADER, [], True, False, False, "none", None),
    # a header without initialize: read only, its timeouts are the operator's
    (dict(HEADER, msgwait_timeout=4), [], True, False, False, "none", None),
    # other timeouts: only for a device listed in overwrite
    (dict(HEADER, msgwait_timeout=4), [], True, True, False, "none", "clears every node's slot"),
    (dict(HEADER, watchdog_timeout=3), [], True, True, True, "recreate", None),
    # blank: created only with initialize
    (None, [], True, True, False, "create", None),
    (None, [], True, False, False, "none", "it is blank"),
    # a filesystem or data: only with initialize and overwrite
    (None, [{"type": "ext4", "offset": "0x438"}], True, True, False, "none", "ext4 at 0x438"),
    (None, [], False, True, False, "none", "non-zero bytes"),
    (None, [{"type": "ext4", "offset": "0x438"}], True, False, True, "none", "ext4 at 0x438"),
    (None, [], False, True, True, "create", None),
])
def test_plan_device(header, signatures, blank, initialize, overwrite, action, refused):
    got_action, refusal = _sbd.plan_device("/dev/x", header, signatures, blank, WANTED, initialize, overwrite)
    assert got_action == action
    if refused:
        assert refusal and refused in refusal and "/dev/x" in refusal
    else:
        assert refusal is None


def test_timeouts():
    assert _sbd.check_timeouts(5, None) == (5, 10)
    assert _sbd.check_timeouts(3, 30) == (3, 30)
    with pytest.raises(ValueError, match="at least twice"):
        _sbd.check_timeouts(5, 9)
    with pytest.raises(ValueError, match="at least 1 second"):
        _sbd.check_timeouts(0, None)


DEBIAN_DEFAULT = """# comment
#SBD_DEVICE=""
SBD_PACEMAKER=yes
SBD_STARTMODE=always
SBD_DELAY_START=no
SBD_WATCHDOG_DEV=/dev/watchdog
SBD_WATCHDOG_TIMEOUT=5
SBD_OPTS=
"""


def test_parse_config_reads_active_lines_without_quotes():
    settings = _sbd.parse_config(DEBIAN_DEFAULT + 'SBD_DEVICE="/dev/a;/dev/b"\nSBD_OPTS=\'-n node1\'\n')
    assert settings["SBD_DEVICE"] == "/dev/a;/dev/b" and settings["SBD_OPTS"] == "-n node1"
    assert settings["SBD_PACEMAKER"] == "yes" and "#SBD_DEVICE" not in settings


def test_config_changes():
    wanted = {"SBD_PACEMAKER": "yes", "SBD_WATCHDOG_TIMEOUT": 5, "SBD_OPTS": "-n node1", "SBD_DEVICE": None}
    assert _sbd.config_changes(DEBIAN_DEFAULT, wanted) == ["SBD_OPTS"]
    assert _sbd.config_changes(DEBIAN_DEFAULT + 'SBD_OPTS="-n node1"\n', wanted) == []
    assert _sbd.config_changes(DEBIAN_DEFAULT + 'SBD_OPTS="-n node1"\nSBD_DEVICE="/dev/a"\n', wanted) == ["SBD_DEVICE"]
    assert _sbd.config_changes("", {"SBD_DEVICE": None, "SBD_PACEMAKER": "yes"}) == ["SBD_PACEMAKER"]
