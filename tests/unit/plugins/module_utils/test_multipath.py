# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure multipathd parsers, on JSON recorded on the UML lab (fixtures/multipath/)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _multipath

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "multipath")
LUN1 = "360014056b3e2a1000014a00800000000"
LUN2 = "360014056b3e2a1000024a00800000000"


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def maps(name):
    return dict((m["wwid"], m) for m in (_multipath.summarize_map(r)
                                         for r in _multipath.parse_maps_json(0, fixture(name), "")))


def test_all_up():
    got = maps("maps-all-up.json")
    assert sorted(got) == [LUN1, LUN2]
    lun1 = got[LUN1]
    assert (lun1["alias"], lun1["dm_name"], lun1["dm_st"], lun1["vendor"]) == ("lun1", "dm-0", "active", "LIO-ORG")
    assert lun1["features"] == ["queue_if_no_path"] and lun1["queue_if_no_path"] is True
    assert lun1["queueing"] == {"mode": "checks", "value": 6}
    assert (lun1["total_paths"], lun1["usable_paths"], lun1["failed_paths"]) == (2, 2, 0)
    paths = lun1["path_groups"][0]["paths"]
    assert [(p["dev"], p["dev_t"], p["host_adapter"], p["lun"]) for p in paths] == [
        ("sda", "8:0", "10.89.141.12", 0), ("sdc", "8:32", "10.89.142.12", 0)]
    assert all(p["online"] and p["usable"] for p in paths)
    assert paths[0]["target_wwnn"] == "iqn.2026-12.example.lab:san1"
    assert paths[0]["host_wwpn"] is None          # "[undef]" for iSCSI
    assert got[LUN2]["path_groups"][0]["paths"][0]["lun"] == 1
    assert lun1["size"] is None                   # not in the JSON; the module reads sysfs


def test_one_path_down_is_one_usable_path():
    got = maps("maps-one-path-down.json")
    for wwid, failed_dev in ((LUN1, "sda"), (LUN2, "sdb")):
        m = got[wwid]
        assert (m["total_paths"], m["usable_paths"], m["failed_paths"]) == (2, 1, 1)
        assert m["queue_if_no_path"] is True and m["path_faults"] == 1
        bad = [p for g in m["path_groups"] for p in g["paths"] if not p["usable"]]
        assert [(p["dev"], p["dm_st"], p["chk_st"], p["dev_st"], p["online"]) for p in bad] == [
            (failed_dev, "failed", "faulty", "running", True)]


def test_all_down_while_queueing():
    got = maps("maps-all-down-queueing.json")
    assert got[LUN1]["usable_paths"] == 0 and got[LUN1]["failed_paths"] == 2
    assert got[LUN1]["queueing"] == {"mode": "queueing", "value": 23}
    assert got[LUN2]["queueing"] == {"mode": "queueing", "value": 26}
    assert got[LUN1]["queue_if_no_path"] is True
    assert got[LUN1]["dm_st"] == "active"        # the map stays active with every path failed


def test_all_down_after_the_countdown():
    got = maps("maps-all-down-failed.json")
    for m in got.values():
        assert m["usable_paths"] == 0
        assert m["queueing"] == {"mode": "off", "value": None}
        assert m["features"] == [] and m["queue_if_no_path"] is False
        assert m["queue_timeouts"] == 1


def test_recovered():
    got = maps("maps-recovered.json")
    assert [got[w]["usable_paths"] for w in (LUN1, LUN2)] == [2, 2]
    assert got[LUN1]["queue_if_no_path"] is True and got[LUN1]["queueing"]["mode"] == "checks"


def test_single_map_answer():
    raw = _multipath.parse_maps_json(0, fixture("map-lun1-one-path-down.json"), "")
    assert len(raw) == 1 and _multipath.summarize_map(raw[0])["usable_paths"] == 1


@pytest.mark.parametrize("rc,out,err,words", [
    (1, "", "", "does not answer on its socket"),                 # recorded: daemon stopped
    (1, "fail\n", "", "failed (rc 1): fail"),                     # recorded: show map nosuch json
    (0, "multipath-tools v0.9.4 (12/19, 2022)\nCLI commands reference:\n", "", "did not print JSON"),
    (0, "[]", "", "without the maps list"),
    (0, '{"major_version": 0}', "", "without the maps list"),
])
def test_bad_answers(rc, out, err, words):
    with pytest.raises(_multipath.MultipathError) as e:
        _multipath.parse_maps_json(rc, out, err)
    assert words in str(e.value)


@pytest.mark.parametrize("text,want", [
    ("6 chk", {"mode": "checks", "value": 6}),
    ("23 sec", {"mode": "queueing", "value": 23}),
    ("off", {"mode": "off", "value": None}),
    ("on", {"mode": "forever", "value": None}),
    ("-", {"mode": "undef", "value": None}),
    (None, {"mode": "undef", "value": None}),
])
def test_queueing(text, want):
    assert _multipath.parse_queueing(text) == want


@pytest.mark.parametrize("lun_hex,want", [
    ("0x0000000000000000", 0), ("0x0001000000000000", 1), ("0x40ff000000000000", 255),
    ("0xc000000000000000", None), ("garbage", None), (None, None),
])
def test_lun_number(lun_hex, want):
    assert _multipath.lun_number(lun_hex) == want


def test_usable_rule():
    assert _multipath.path_usable({"dm_st": "active", "chk_st": "ghost"})
    assert not _multipath.path_usable({"dm_st": "active", "chk_st": "i/o pending"})
    assert not _multipath.path_usable({"dm_st": "failed", "chk_st": "ready"})


def test_size_from_sysfs():
    assert _multipath.size_bytes("524288\n") == 268435456
    assert _multipath.size_bytes(None) is None and _multipath.size_bytes("x") is None


@pytest.mark.parametrize("wwid,ok", [
    (LUN1, True), ("3600a098038303053453f463045727a6b", True), ("35000c500a1b2c3d4", True),
    ("2001b4d28000000000000000000000000", True), ("eui.0025388b71c0a1b2", True),
    ("360014056B3E2A1000014A00800000000", False),      # upper case: multipath prints lower case
    ("/dev/sda", False), ("lun1", False), ("1ATA     VBOX HARDDISK", False), ("3600140", False),
])
def test_wwid_form(wwid, ok):
    assert (_multipath.check_wwids([wwid]) == []) is ok


def test_select_keeps_order_and_names_missing():
    got = maps("maps-all-up.json")
    selected, missing = _multipath.select_maps(list(got.values()), [LUN2, "3" + "0" * 32, LUN2])
    assert list(selected) == [LUN2] and missing == ["3" + "0" * 32]
    everything, none = _multipath.select_maps(list(got.values()), [])
    assert sorted(everything) == [LUN1, LUN2] and none == []


def test_scsi_disks_by_wwid_sorted_and_state():
    disks = [{"dev": "sdaa", "dev_t": "65:160", "state": "running\n", "udev": "E:ID_SERIAL=3abc\n"},
             {"dev": "sdb", "dev_t": "8:16", "state": "offline\n", "udev": "E:ID_SERIAL=3ABC\n"},
             {"dev": "sdc", "dev_t": "8:32", "state": None, "udev": "E:ID_SERIAL_SHORT=x\n"},
             {"dev": "sdd", "dev_t": "8:48", "state": None, "udev": "E:ID_SERIAL=3def"},
             {"dev": "dm-0", "dev_t": "253:0", "state": "running", "udev": "E:ID_SERIAL=3abc\n"}]
    assert _multipath.scsi_disks_by_wwid(disks) == {
        "3abc": [{"dev": "sdb", "dev_t": "8:16", "state": "offline", "usable": False},
                 {"dev": "sdaa", "dev_t": "65:160", "state": "running", "usable": True}],
        "3def": [{"dev": "sdd", "dev_t": "8:48", "state": "unknown", "usable": False}]}
    assert _multipath.udev_property("E:A=1\nE:AB=2\n", "AB") == "2"
    assert _multipath.udev_property(None, "A") is None
