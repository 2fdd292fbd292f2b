# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistent reservations as sg_persist and mpathpersist print them (outputs captured on the UML lab's LIO LUNs)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils._scsi_pr import (
    PersistError,
    device_report,
    parse_keys,
    parse_reservation,
    probe_problems,
    read_argv,
)

# sg_persist 1.46 (sg3-utils, Debian 12), a multipath map of a LIO LUN, three nodes registered on two paths each
SG_KEYS = """  PR generation=0x6, 6 registered reservation keys follow:
    0x93ed7888
    0x93ed7888
    0x93ed1315
    0x93ed1315
    0x93ed1645
    0x93ed1645
"""
SG_NO_KEYS = "  PR generation=0x0, there are NO registered reservation keys\n"
SG_RESERVATION = """  PR generation=0x6, Reservation follows:
    Key=0x93ed7888
    scope: LU_SCOPE,  type: Write Exclusive, registrants only
"""
SG_NO_RESERVATION = "  PR generation=0x0, there is NO reservation held\n"
# mpathpersist (multipath-tools 0.9.4): a tab after the generation, spaces around '='
MP_KEYS = "  PR generation=0x6, \t6 registered reservation keys follow:\n    0x2\n    0x2\n    0x3\n    0x1\n    0x3\n    0x1\n"
MP_RESERVATION = """  PR generation=0x6, Reservation follows:
   Key = 0x2
  scope = LU_SCOPE, type = Write Exclusive, registrants only
"""


def test_argv():
    assert read_argv("sg_persist", "/dev/mapper/a", "keys") == ["--in", "--no-inquiry", "--read-keys", "/dev/mapper/a"]
    want = ["--in", "--read-reservation", "--device=/dev/mapper/a"]
    assert read_argv("mpathpersist", "/dev/mapper/a", "reservation") == want
    with pytest.raises(ValueError):
        read_argv("sh", "/dev/a", "keys")


def test_parse_keys_and_reservation():
    assert parse_keys(SG_KEYS) == ["93ed7888", "93ed7888", "93ed1315", "93ed1315", "93ed1645", "93ed1645"]
    assert parse_keys(MP_KEYS) == ["2", "2", "3", "1", "3", "1"]
    assert parse_keys(SG_NO_KEYS) == []
    assert parse_keys("  PR generation=0x1, 1 registered reservation key follows:\n    0x00000000000000AB\n") == ["ab"]
    assert parse_reservation(SG_RESERVATION) == {"key": "93ed7888", "type": "Write Exclusive, registrants only"}
    assert parse_reservation(MP_RESERVATION) == {"key": "2", "type": "Write Exclusive, registrants only"}
    assert parse_reservation(SG_NO_RESERVATION) is None
    with pytest.raises(PersistError, match="no 'PR generation' line"):
        parse_keys("sg_persist: error opening file: /dev/sdz: No such file or directory\n")
    with pytest.raises(PersistError, match="without a key"):
        parse_reservation("  PR generation=0x6, Reservation follows:\n  garbage\n")


def test_device_report():
    ok = device_report("/dev/mapper/a", True, (0, SG_KEYS, ""), (0, SG_RESERVATION, ""))
    assert ok["supported"] and ok["error"] is None and ok["reservation"]["key"] == "93ed7888"
    missing = device_report("/dev/sdz", False)
    assert not missing["supported"] and "not a block device" in missing["error"]
    # what sg_persist says on a disk without persistent reservations (a virtio or loop disk)
    unsupported = device_report("/dev/vdb", True, (5, "", "PR in (Read keys): command not supported\n"))
    assert not unsupported["supported"]
    assert unsupported["error"] == "READ KEYS failed (rc=5): PR in (Read keys): command not supported"
    garbled = device_report("/dev/sdb", True, (0, "nothing useful", ""))
    assert not garbled["supported"] and "PR generation" in garbled["error"]
    no_res = device_report("/dev/sdb", True, (0, SG_NO_KEYS, ""), (24, "", "reservation conflict"))
    assert not no_res["supported"] and "READ RESERVATION failed (rc=24)" in no_res["error"]


def test_probe_problems():
    scsi_keys = {"n1": "93ed7888", "n2": "93ed1315", "n3": "93ed1645"}
    expected = [{"device": "/dev/mapper/s", "agent": "fence_scsi", "keys": scsi_keys},
                {"device": "/dev/mapper/m", "agent": "fence_mpath", "keys": {"n1": "1", "n2": "2", "n3": "3"}},
                {"device": "/dev/mapper/i", "agent": "fence_scsi", "keys": None},
                {"device": "/dev/vdb", "agent": "fence_scsi", "keys": None},
                {"device": "/dev/sdz", "agent": "fence_mpath", "keys": None}]
    good = [dict(device_report("/dev/mapper/s", True, (0, SG_KEYS, ""), (0, SG_RESERVATION, "")), agent="fence_scsi"),
            dict(device_report("/dev/mapper/m", True, (0, MP_KEYS, ""), (0, MP_RESERVATION, "")), agent="fence_mpath"),
            dict(device_report("/dev/mapper/i", True, (0, "  PR generation=0x1, 1 registered reservation key "
                                                          "follows:\n    0xbeef\n", ""), (0, SG_NO_RESERVATION, "")),
                 agent="fence_scsi")]
    assert probe_problems(good, expected) == []
    # a fourth key on the mpath LUN: someone else's
    foreign = [dict(device_report("/dev/mapper/m", True, (0, MP_KEYS + "    0x9\n", ""), (0, MP_RESERVATION, "")),
                    agent="fence_mpath")]
    problems = probe_problems(foreign, expected)
    assert len(problems) == 1
    assert problems[0].startswith("fence_mpath device /dev/mapper/m holds reservation keys that are not this "
                                  "cluster's (9; this cluster's: 1, 2, 3)")
    bad = [dict(device_report("/dev/vdb", True, (5, "", "command not supported")), agent="fence_scsi"),
           dict(device_report("/dev/sdz", False), agent="fence_mpath")]
    problems = probe_problems(bad, expected)
    assert problems[0] == ("fence_scsi device /dev/vdb: READ KEYS failed (rc=5): command not supported; fence_scsi "
                           "needs a device that supports SCSI-3 persistent reservations (PERSISTENT RESERVE IN/OUT), "
                           "seen by every node")
    assert problems[1].startswith("fence_mpath device /dev/sdz: /dev/sdz is not a block device on this host")
