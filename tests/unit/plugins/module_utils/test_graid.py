# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions of module_utils/_graid.py, on outputs recorded from the
graidctl emulator (tests/unit/fixtures/graid/*.out) and on the constructed
contract fixtures (/work/shared/reference/fixtures/graid, copied as
contract-*.json)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _graid as g

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "graid")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def result(name):
    return g.parse_envelope(fixture(name))


# ---------------------------------------------------------------- envelope
def test_envelope_plain_json():
    assert g.parse_envelope('{"Result": [1]}') == [1]


def test_envelope_after_status_line():
    text = fixture("ls-pd-free-statusline.out")
    assert text.startswith("\u2714 List physical drive successfully.")
    assert [p["PdId"] for p in g.parse_envelope(text)] == [0, 1, 2, 3]


def test_envelope_ignores_trailing_text():
    assert g.parse_envelope('\u2714 ok\n{"Result": {"a": 1}}\ntrailing') == {"a": 1}


@pytest.mark.parametrize("text, words", [
    ("", "no JSON object"),
    ("\u2714 List physical drive successfully.\n\u250c\u2500", "no JSON object"),
    ('{"Result": [', "invalid JSON"),
    ('{"Error": "x"}', 'without a "Result" key'),
])
def test_envelope_errors_are_clear(text, words):
    with pytest.raises(g.GraidOutputError, match=words):
        g.parse_envelope(text, "graidctl ls pd")


def test_text_table_is_not_parsed():
    with pytest.raises(g.GraidOutputError):
        g.parse_envelope(fixture("ls-pd.text.out"))


# ---------------------------------------------------------------- normalizers
def test_controllers_and_license():
    assert g.normalize_controllers(result("ls-cx-unlicensed.out")) == [
        {"id": 0, "name": "SR1010", "serial": "EMU0000000001", "state": "OFFLINE"}]
    assert g.normalize_license(result("desc-lic-unlicensed.out"))["controllers"] == {0: "UNLICENSED"}
    lic = g.normalize_license(result("desc-lic.out"))
    assert lic == {"controllers": {0: "APPLIED"}, "features": {"NVMe/NVMe-oFPDNumber": "32"}}


def test_contract_fixtures_parse():
    """The constructed fixtures of the contract (keys observed in real output)."""
    cx = g.normalize_controllers(g.parse_envelope(fixture("contract-ls-cx.json")))
    assert cx[0]["state"] == "ONLINE"
    assert g.normalize_license(g.parse_envelope(fixture("contract-desc-lic.json")))["controllers"] == {0: "APPLIED"}
    pds = g.normalize_pds(g.parse_envelope(fixture("contract-ls-pd.json")))
    assert [(p["id"], p["dg_id"], p["hotspare"]) for p in pds] == [(0, 0, None), (1, 0, None)]
    groups = g.normalize_groups(g.parse_envelope(fixture("contract-ls-dg.json")))
    assert groups[0]["level"] == "raid5" and groups[0]["free"] == 0
    vds = g.normalize_vds(g.parse_envelope(fixture("contract-ls-vd.json")))
    assert vds[0]["dev_path"] == "/dev/gdg0n1"
    drives = g.normalize_drives(g.parse_envelope(fixture("contract-ls-nd.json")), "nvme")
    assert drives[1]["stable_id"].endswith("000000000000")


def test_pds_membership_and_spare():
    pds = g.normalize_pds(result("ls-pd-spare.out"))
    assert [(p["id"], p["dg_id"], p["hotspare"]) for p in pds] == [
        (0, 0, "none"), (1, 0, "none"), (2, 0, "none"), (3, None, "global")]
    assert g.group_members(pds) == {0: [0, 1, 2]}


@pytest.mark.parametrize("value, expected", [(-1, None), (None, None), ("", None), ("-", None), (3, 3), ("2", 2)])
def test_dg_member_sentinels(value, expected):
    assert g._dg_member(value) == expected


def test_dg_member_garbage():
    with pytest.raises(g.GraidOutputError, match="DgId"):
        g._dg_member("abc")


@pytest.mark.parametrize("func, payload, key", [
    (g.normalize_pds, [{"PdId": 0, "Numa": "0"}], "DgId"),
    (g.normalize_pds, [{"DgId": 0, "State": "ONLINE"}], "PdId"),
    (g.normalize_groups, [{"DgId": 0, "State": "OPTIMAL", "Free": 0}], "Mode"),
    (g.normalize_vds, [{"DgId": 0, "VdId": 0}], "DevPath"),
    (g.normalize_controllers, [{"ControllerId": 0}], "State"),
    (g.normalize_license, {"Features": {}}, "Controller"),
])
def test_missing_keys_fail_clearly(func, payload, key):
    with pytest.raises(g.GraidOutputError) as err:
        func(payload)
    assert repr(key) in str(err.value)
    assert "unverified" in str(err.value)


def test_result_not_a_list():
    with pytest.raises(g.GraidOutputError, match="expected a JSON list"):
        g.normalize_pds({"PdId": 0})


def test_groups_and_vds():
    groups = g.normalize_groups(result("ls-dg-two-vd.out"))
    assert groups[0]["level"] == "raid5" and groups[0]["state"] == "OPTIMAL"
    assert groups[0]["free"] == groups[0]["capacity"] - 2 * 100 * 1024 ** 3
    vds = g.normalize_vds(result("ls-vd-two.out"))
    assert [v["dev_path"] for v in vds] == ["/dev/gdg0n1", "/dev/gdg0n2"]
    group = g.normalize_group(result("desc-dg-0-rebuild-high.out"))
    assert group["rebuild_speed"] == "high" and group["strip_size"] == 64


def test_version():
    assert g.parse_version(fixture("version.out")) == "1.7.2"
    assert g.parse_version("something else") is None


# ---------------------------------------------------------------- planning
@pytest.mark.parametrize("level, count, error", [
    ("raid0", 1, "at least 2"), ("raid0", 2, None),
    ("raid1", 1, "at least 2"), ("raid1", 2, None), ("raid1", 3, "even"), ("raid1", 4, None),
    ("raid5", 2, "at least 3"), ("raid5", 3, None),
    ("raid6", 3, "at least 4"), ("raid6", 4, None), ("raid6", 5, None),
    ("raid10", 2, "at least 4"), ("raid10", 5, "even"), ("raid10", 4, None),
    ("raid5", 33, "at most 32"), ("raid50", 4, "unknown RAID level"),
])
def test_level_drive_count(level, count, error):
    got = g.level_drive_count_error(level, count)
    if error is None:
        assert got is None
    else:
        assert error in got


def test_find_group():
    pds = g.normalize_pds(result("ls-pd-raid5.out"))
    groups = g.normalize_groups(result("ls-dg-optimal.out"))
    group, conflict = g.find_group(groups, pds, "raid5", [2, 1, 0])
    assert group["id"] == 0 and conflict is None
    assert g.find_group(groups, pds, "raid5", [3]) == (None, None)
    group, conflict = g.find_group(groups, pds, "raid6", [0, 1, 2])
    assert group is None and "drive group 0 (raid5" in conflict and "Refusing" in conflict
    group, conflict = g.find_group(groups, pds, "raid5", [0, 1, 2, 3])
    assert group is None and "physical drive(s) 0, 1, 2 already belong" in conflict


def test_plan_group_settings():
    group = g.normalize_group(result("desc-dg-0.out"))
    wanted = {"rebuild_speed": "high", "journal": "always_off", "init_speed": None}
    assert g.plan_group_settings(group, wanted) == [("rebuild_speed", "high")]
    assert g.plan_group_settings(None, wanted) == [("rebuild_speed", "high"), ("journal", "always_off")]
    bare = dict(group, rebuild_speed=None)
    with pytest.raises(g.GraidOutputError, match="RebuildSpeed"):
        g.plan_group_settings(bare, wanted)


def test_resolve_drive():
    pds = g.normalize_pds(result("ls-pd-spare.out"))
    nvme = g.normalize_drives(result("ls-nd.out"), "nvme")
    nqn1 = "nqn.2014.08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000002"
    assert g.resolve_drive(nqn1, pds, [])[1]["id"] == 1
    assert g.resolve_drive("/dev/gpd3", pds, [])[1]["id"] == 3
    assert g.resolve_drive("2", pds, [])[1]["id"] == 2
    assert g.resolve_drive("/dev/nvme0n1", [], nvme)[0] == "candidate"
    # a candidate whose stable id is already a PD resolves to the PD
    assert g.resolve_drive("/dev/nvme1n1", pds, nvme) == ("pd", pds[1])
    assert g.resolve_drive("/dev/nvme9n1", pds, nvme) == (None, None)


@pytest.mark.parametrize("have, count, size, free, plan", [
    (0, 2, 100, 1000, [100, 100]),
    (1, 2, 100, 1000, [100]),
    (2, 2, 100, 1000, []),
    (0, 1, None, 1000, [None]),
    (0, 0, None, 0, []),
])
def test_plan_virtual_drives(have, count, size, free, plan):
    assert g.plan_virtual_drives([{}] * have, count, size, free) == plan


@pytest.mark.parametrize("have, count, size, free, words", [
    (3, 2, 100, 1000, "never deletes"),
    (0, 2, None, 1000, "no size was given"),
    (0, 1, None, 0, "no free space"),
    (0, 2, 600, 1000, "has only 1000 bytes free"),
    (0, 1, 0, 1000, "larger than 0"),
])
def test_plan_virtual_drives_refuses(have, count, size, free, words):
    with pytest.raises(g.GraidError, match=words):
        g.plan_virtual_drives([{}] * have, count, size, free)


@pytest.mark.parametrize("text, value", [
    ("500G", 500 * 1024 ** 3), ("2T", 2 * 1024 ** 4), ("500GB", 500 * 1024 ** 3), ("1024", 1024),
    ("10m", 10 * 1024 ** 2), ("1GiB", 1024 ** 3),
])
def test_parse_size(text, value):
    assert g.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "G", "1.5T", "-1G", "12X"])
def test_parse_size_rejects(text):
    with pytest.raises(g.GraidError, match="not a number"):
        g.parse_size(text)


@pytest.mark.parametrize("value, text", [(500 * 1024 ** 3, "500G"), (2 * 1024 ** 4, "2T"), (1536 * 1024 ** 2, "1536M"),
                                         (1000, "1000")])
def test_format_size(value, text):
    assert g.format_size(value) == text
    assert g.parse_size(text) == value


def test_health_problems_degraded():
    pds = g.normalize_pds(result("ls-pd-degraded.out"))
    groups = g.normalize_groups(result("ls-dg-degraded.out"))
    vds = g.normalize_vds(result("ls-vd-degraded.out"))
    cx = g.normalize_controllers(result("ls-cx.out"))
    lic = g.normalize_license(result("desc-lic.out"))["controllers"]
    problems = g.health_problems(cx, lic, pds, groups, vds)
    assert "physical drive 0 is FAILED" in problems
    assert "drive group 0 is DEGRADED" in problems
    assert "virtual drive 0 of drive group 0 is DEGRADED" in problems
    assert g.health_problems(cx, lic, g.normalize_pds(result("ls-pd-raid5.out")),
                             g.normalize_groups(result("ls-dg-optimal.out")), []) == []


# ---------------------------------------------------------------- in use
MOUNTS = """/dev/sda1 / ext4 rw 0 0
/dev/gdg0n1 /srv/data xfs rw 0 0
/dev/gdg0n2p1 /srv/other\\040dir ext4 rw 0 0
/dev/gdg0n10 /srv/ten ext4 rw 0 0
"""


def test_mounts_using():
    assert g.mounts_using(["/dev/gdg0n1"], MOUNTS) == [("/dev/gdg0n1", "/srv/data")]
    assert g.mounts_using(["/dev/gdg0n2"], MOUNTS) == [("/dev/gdg0n2p1", "/srv/other dir")]
    assert g.mounts_using(["/dev/gdg1n1"], MOUNTS) == []


def test_pvs_using():
    report = json.dumps({"report": [{"pv": [{"pv_name": "/dev/gdg0n1", "vg_name": "vg_data"},
                                            {"pv_name": "/dev/sda2", "vg_name": "root"}]}]})
    assert g.pvs_using(["/dev/gdg0n1", "/dev/gdg0n2"], report) == [("/dev/gdg0n1", "vg_data")]
    with pytest.raises(g.GraidOutputError, match="pvs"):
        g.pvs_using(["/dev/gdg0n1"], "  Some warning\n")


class _NoPvs:
    available = False


def make_checker(tmp_path, mounts="", swaps=""):
    proc = tmp_path / "proc"
    sysb = tmp_path / "sys" / "block"
    proc.mkdir()
    sysb.mkdir(parents=True)
    (proc / "mounts").write_text(mounts)
    (proc / "swaps").write_text(swaps)
    checker = g.InUseChecker(module=None, pvs_runner=_NoPvs())
    checker.proc = str(proc)
    checker.sys_block = str(sysb)
    return checker, proc, sysb


def test_in_use_checker_all_reasons(tmp_path):
    swaps = "Filename Type Size Used Priority\n/dev/gdg0n3 partition 100 0 -2\n"
    checker, proc, sysb = make_checker(tmp_path, MOUNTS, swaps)
    (sysb / "gdg0n2" / "gdg0n2p1" / "holders" / "dm-3").mkdir(parents=True)
    (sysb / "gdg0n2" / "holders").mkdir()
    fd_dir = proc / "4242" / "fd"
    fd_dir.mkdir(parents=True)
    os.symlink("/dev/gdg0n4", str(fd_dir / "3"))
    (proc / "4242" / "comm").write_text("mkfs.xfs\n")
    reasons = checker.reasons(["/dev/gdg0n1", "/dev/gdg0n2", "/dev/gdg0n3", "/dev/gdg0n4", "/dev/gdg0n5"])
    assert "/dev/gdg0n1 is mounted on /srv/data (/proc/mounts)" in reasons
    assert "/dev/gdg0n3 is in use as swap (/proc/swaps)" in reasons
    assert "gdg0n2p1 is held by dm-3 (/sys/block/gdg0n2p1 holders)" in reasons
    assert "/dev/gdg0n4 is held open by process 4242 (mkfs.xfs) (/proc/4242/fd)" in reasons
    assert not [r for r in reasons if "gdg0n5" in r]


def test_in_use_checker_clean(tmp_path):
    checker, _proc, _sysb = make_checker(tmp_path, "/dev/sda1 / ext4 rw 0 0\n")
    assert checker.reasons(["/dev/gdg0n1"]) == []


def test_negative_id_errors():
    assert g.negative_id_errors({"drive_group": 0, "vd_id": None}, ["drive_group", "vd_id"]) == []
    assert g.negative_id_errors({"drive_group": -1, "vd_id": -2}, ["drive_group", "vd_id"]) == [
        "drive_group must be 0 or more, got -1", "vd_id must be 0 or more, got -2"]


@pytest.mark.parametrize("key, ok", [(None, True), ("ABCD-EFGH-1234", True), ("", False), ("--help", False),
                                     ("-x", False), ("AB CD", False), ("AB\tCD", False)])
def test_license_key_errors_never_show_the_key(key, ok):
    errors = g.license_key_errors(key)
    assert (errors == []) == ok
    assert not [e for e in errors if key and key in e]


# ---------------------------------------------------------------- graid_drive_group's action lists
def test_plan_create_group_flags_and_refusals():
    pds = g.normalize_pds(result("ls-pd-free.out"))
    assert g.plan_create_group("raid5", [0, 1, 2], pds) == [["create", "dg", "raid5", "0,1,2"]]
    assert g.plan_create_group("raid10", [0, 1, 2, 3], pds, strip_size=64, foreground_init=True, force=True) == [
        ["create", "dg", "raid10", "0,1,2,3", "-s", "64", "-z", "-f"]]
    spare = [dict(pds[0], hotspare="global")] + pds[1:]
    with pytest.raises(g.GraidError, match="physical drive 0 is a hot spare"):
        g.plan_create_group("raid1", [0, 1], spare)
    failed = [dict(pds[0], state="FAILED")] + pds[1:]
    with pytest.raises(g.GraidError, match="physical drive 0 is FAILED, not ONLINE"):
        g.plan_create_group("raid1", [0, 1], failed)


def test_group_settings_actions_and_prediction_of_a_new_group():
    edits = g.plan_group_settings(None, {"rebuild_speed": "high", "journal": "degrade_only", "init_speed": None})
    assert g.group_settings_actions(None, edits) == [["edit", "dg", "<new>", "rebuild_speed", "high"],
                                                     ["edit", "dg", "<new>", "journal", "degrade_only"]]
    assert g.group_settings_actions(3, edits)[0] == ["edit", "dg", "3", "rebuild_speed", "high"]
    planned = g.predict_group(None, edits, level="raid5", strip_size=64)
    assert planned == {"id": None, "level": "raid5", "state": "INIT", "free": None, "capacity": None,
                       "strip_size": 64, "rebuild_speed": "high", "init_speed": None, "cc_speed": None,
                       "resync_speed": None, "journal": "degrade_only"}


def test_prediction_of_an_existing_group_changes_only_the_edits():
    group = g.normalize_groups(result("ls-dg-optimal.out"))[0]
    edits = g.plan_group_settings(group, {"init_speed": "extreme", "rebuild_speed": group["rebuild_speed"]})
    assert edits == [("init_speed", "extreme")]
    predicted = g.predict_group(group, edits)
    assert predicted == dict(group, init_speed="extreme") and group["init_speed"] != "extreme"
    assert g.predict_group(group, []) == group


def test_plan_delete_group_volumes_first():
    group = g.normalize_groups(result("ls-dg-two-vd.out"))[0]
    vds = g.normalize_vds(result("ls-vd-two.out"))
    assert g.plan_delete_group(group, vds) == [["del", "vd", "0", "0", "--confirm-to-delete"],
                                               ["del", "vd", "0", "1", "--confirm-to-delete"],
                                               ["del", "dg", "0", "--confirm-to-delete"]]
    assert g.plan_delete_group(group, []) == [["del", "dg", "0", "--confirm-to-delete"]]
