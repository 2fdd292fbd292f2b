# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure mdadm parsers and planners, on output recorded on a UML lab node (fixtures/md/)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _md
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.fixtures.md.helpers import fx, sysfs, text

UUID = "49b97cef:dca645ed:587a184c:55a92735"


def params(**kw):
    p = {"device": "/dev/md0", "state": "present", "level": 1, "members": ["/dev/ubdb", "/dev/ubdc"],
         "spares": [], "metadata": "1.2", "name": None, "chunk": None, "bitmap": None,
         "wipe_existing": False, "assume_clean": False, "conf_file": "/etc/mdadm/mdadm.conf",
         "allow_destroy": False}
    p.update(kw)
    return p


# option checks --------------------------------------------------------------------------
def test_good_params_pass():
    assert _md.check_params(params()) == []
    assert _md.check_params(params(device="/dev/md/data", level=6, chunk=512, name="data",
                                   members=["/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"],
                                   spares=["/dev/sdf"])) == []
    assert _md.check_params(params(state="absent", level=None, members=None)) == []


@pytest.mark.parametrize("level,count", [(0, 1), (1, 1), (4, 2), (5, 2), (6, 3), (10, 1)])
def test_too_few_members_for_the_level(level, count):
    members = ["/dev/sd%s" % c for c in "bcdefg"[:count]]
    errors = _md.check_params(params(level=level, members=members))
    assert errors == ["level %d needs at least %d members (raid devices), got %d"
                      % (level, _md.MIN_DEVICES[level], count)]


@pytest.mark.parametrize("level,count", [(0, 2), (1, 2), (4, 3), (5, 3), (6, 4), (10, 2)])
def test_enough_members_for_the_level(level, count):
    members = ["/dev/sd%s" % c for c in "bcdefg"[:count]]
    assert _md.check_params(params(level=level, members=members)) == []


@pytest.mark.parametrize("change,message", [
    ({"device": "/dev/sdb"}, "device must be /dev/mdN or /dev/md/<name>, got '/dev/sdb'"),
    ({"device": "/dev/md/a b"}, "device must be /dev/mdN or /dev/md/<name>"),
    ({"members": []}, "members must list at least one device for state=present"),
    ({"level": None}, "level is required for state=present"),
    ({"members": ["/dev/ubdb", "/dev/ubdb"]}, "members lists /dev/ubdb more than once"),
    ({"spares": ["/dev/ubdc"]}, "/dev/ubdc in both members and spares"),
    ({"spares": ["/dev/x", "/dev/x"]}, "spares lists /dev/x more than once"),
    ({"members": ["ubdb", "/dev/ubdc"]}, "members must be block device paths under /dev, got 'ubdb'"),
    ({"level": 0, "spares": ["/dev/ubdd"]}, "level 0 has no redundancy, spares cannot be used"),
    ({"level": 0, "bitmap": "internal"}, "level 0 cannot have a write-intent bitmap"),
    ({"chunk": 64}, "chunk does not apply to level 1"),
    ({"level": 0, "chunk": 48}, "chunk must be a power of two of at least 4 (KiB), got 48"),
    ({"level": 0, "chunk": 2}, "chunk must be a power of two of at least 4 (KiB), got 2"),
    ({"level": 5, "members": ["/dev/a", "/dev/b", "/dev/c"], "assume_clean": True},
     "assume_clean is refused for level 5"),
    ({"level": 0, "assume_clean": True}, "assume_clean means nothing for level 0"),
    ({"assume_clean": True, "wipe_existing": True}, "it cannot be combined with wipe_existing"),
    ({"name": "x" * 33}, "name must be 1 to 32 letters"),
    ({"name": "a:b"}, "name must be 1 to 32 letters"),
])
def test_bad_params_are_named(change, message):
    errors = _md.check_params(params(**change))
    assert any(message in e for e in errors), errors


def test_absent_still_checks_device_and_lists():
    errors = _md.check_params(params(state="absent", device="/dev/sda", members=["/dev/b", "/dev/b"]))
    assert len(errors) == 2


# create / assemble argv --------------------------------------------------------------------
def test_create_argv_raid1_defaults():
    assert _md.create_argv(params()) == [
        "--create", "/dev/md0", "--run", "--level=1", "--raid-devices=2", "--metadata=1.2",
        "--bitmap=internal", "/dev/ubdb", "/dev/ubdc"]


def test_create_argv_everything():
    p = params(level=10, members=["/dev/a", "/dev/b", "/dev/c", "/dev/d"], spares=["/dev/e"], chunk=512,
               name="data", assume_clean=True, bitmap="none", metadata="1.0")
    assert _md.create_argv(p) == [
        "--create", "/dev/md0", "--run", "--level=10", "--raid-devices=4", "--metadata=1.0", "--chunk=512",
        "--bitmap=none", "--assume-clean", "--name=data", "--spare-devices=1",
        "/dev/a", "/dev/b", "/dev/c", "/dev/d", "/dev/e"]


def test_create_argv_raid0_has_no_bitmap():
    assert "--bitmap=internal" not in _md.create_argv(params(level=0))
    assert not [a for a in _md.create_argv(params(level=0)) if a.startswith("--bitmap")]


def test_assemble_argv():
    assert _md.assemble_argv(params(spares=["/dev/ubdd"])) == [
        "--assemble", "/dev/md0", "/dev/ubdb", "/dev/ubdc", "/dev/ubdd"]


# mdadm.conf ---------------------------------------------------------------------------
LINE = "ARRAY /dev/md0 metadata=1.2 name=node1:drbd0 UUID=11111111:22222222:33333333:44444444"
CONF = ("# mdadm.conf\nHOMEHOST <system>\nMAILADDR root\n"
        "ARRAY /dev/md1 metadata=1.2 UUID=aaaaaaaa:bbbbbbbb:cccccccc:dddddddd\n")


def test_conf_line_added_and_others_kept():
    new = _md.plan_conf(CONF, "/dev/md0", "11111111:22222222:33333333:44444444", LINE)
    assert new == CONF + LINE + "\n"


def test_conf_unchanged_when_the_line_is_there():
    text = CONF + LINE + "\n"
    assert _md.plan_conf(text, "/dev/md0", "11111111:22222222:33333333:44444444", LINE) is text
    # spacing is not a difference
    spaced = CONF + LINE.replace(" ", "   ") + "\n"
    assert _md.plan_conf(spaced, "/dev/md0", "11111111:22222222:33333333:44444444", LINE) is spaced


def test_conf_line_of_same_uuid_replaced_in_place_duplicates_dropped():
    text = ("ARRAY /dev/md/old UUID=11111111-22222222-33333333-44444444\nMAILADDR root\n"
            "ARRAY /dev/md0 metadata=1.2 UUID=99999999:99999999:99999999:99999999\n" + CONF)
    new = _md.plan_conf(text, "/dev/md0", "11111111:22222222:33333333:44444444", LINE)
    assert new == LINE + "\nMAILADDR root\n" + CONF


def test_conf_continuation_lines_belong_to_the_entry():
    text = "ARRAY /dev/md0 metadata=1.2\n   UUID=11111111:22222222:33333333:44444444\n# keep me\n" + CONF
    assert _md.conf_lines_for(text, "/dev/md0", None) == [
        "ARRAY /dev/md0 metadata=1.2 UUID=11111111:22222222:33333333:44444444"]
    assert _md.plan_conf(text, "/dev/md0", None, LINE) == LINE + "\n# keep me\n" + CONF
    assert _md.plan_conf(text, "/dev/md9", "11111111222222223333333344444444", None) == "# keep me\n" + CONF


def test_conf_remove():
    assert _md.plan_conf(CONF + LINE + "\n", "/dev/md0", None, None) == CONF
    assert _md.plan_conf(CONF, "/dev/md0", "11111111:22222222:33333333:44444444", None) is CONF
    assert _md.plan_conf("", "/dev/md0", None, None) == ""
    assert _md.plan_conf(LINE + "\n", "/dev/md0", None, None) == ""


def test_conf_without_trailing_newline():
    assert _md.plan_conf("MAILADDR root", "/dev/md0", None, LINE) == "MAILADDR root\n" + LINE + "\n"


def test_uuid_key_compares_both_spellings():
    assert _md.uuid_key("8A7D1F0E:4c2b9a31:0d5e6f70:12ab34cd") == _md.uuid_key("8a7d1f0e-4c2b-9a31-0d5e-6f7012ab34cd")


# parsers on recorded output --------------------------------------------------------------
def test_parse_detail_running_raid1():
    d = _md.parse_detail(fx("detail-raid1")[1])
    assert d == {"level": "raid1", "level_number": 1, "raid_devices": 2, "metadata": "1.2", "uuid": UUID,
                 "name": "node1:drbd0", "devname": None,
                 "devices": [{"device": "/dev/ubdb", "role": "0"}, {"device": "/dev/ubdc", "role": "1"}]}


def test_parse_detail_spare_and_inactive():
    spare = _md.parse_detail(fx("detail-raid1-spare")[1])
    assert spare["devices"][0] == {"device": "/dev/ubdd", "role": "spare"}
    inactive = _md.parse_detail(fx("detail-inactive")[1])
    assert inactive["level"] is None and inactive["raid_devices"] == 1 and inactive["devname"] == "drbd0"
    assert inactive["devices"] == [{"device": "/dev/ubdb", "role": "spare"}]


def test_summarize_resync():
    s = _md.summarize(_md.parse_detail(fx("detail-raid1-resync")[1]), sysfs("detail-raid1-resync"))
    assert s["state"] == "clean" and s["sync_action"] == "resync" and s["degraded"] == 0
    done, total = sysfs("detail-raid1-resync")["sync_completed"].split(" / ")
    assert s["sync_progress"] == round(100.0 * int(done) / int(total), 1)
    assert s["bitmap"] == "internal" and s["chunk_kib"] is None and s["members"] == ["/dev/ubdb", "/dev/ubdc"]


def test_summarize_faulty_from_sysfs_not_from_the_export():
    """mdadm 4.2 exports a failed member as ROLE=spare; sysfs dev-ubdc/state says faulty."""
    d = _md.parse_detail(fx("detail-raid1-faulty")[1])
    assert {"device": "/dev/ubdc", "role": "spare"} in d["devices"]
    s = _md.summarize(d, sysfs("detail-raid1-faulty"))
    assert s["faulty"] == ["/dev/ubdc"] and s["spares"] == [] and s["degraded"] == 1
    # without the sysfs state it would look like a spare
    assert _md.summarize(d, {})["spares"] == ["/dev/ubdc"]


def test_summarize_raid0_and_raid5():
    r0 = _md.summarize(_md.parse_detail(fx("detail-raid0")[1]), sysfs("detail-raid0"))
    assert r0["level"] == "raid0" and r0["chunk_kib"] == 64 and r0["bitmap"] == "none" and r0["degraded"] == 0
    assert r0["sync_action"] is None and r0["sync_progress"] is None
    r5 = _md.summarize(_md.parse_detail(fx("detail-raid5")[1]), sysfs("detail-raid5"))
    assert r5["raid_devices"] == 3 and r5["sync_action"] == "recover" and r5["degraded"] == 1
    assert r5["members"] == ["/dev/ubdd", "/dev/ubdb", "/dev/ubdc"]


def test_parse_examine():
    sb = _md.parse_examine(*fx("examine-stopped-b")[:2])
    assert sb["uuid"] == UUID and sb["level"] == "raid1" and sb["raid_devices"] == 2 and sb["name"] == "node1:drbd0"
    other = _md.parse_examine(*fx("examine-other")[:2])
    assert other["level"] == "raid0" and other["name"] == "node1:other"
    for name in ("examine-blank", "examine-ext4", "examine-drbd", "examine-zeroed", "examine-missing"):
        assert _md.parse_examine(*fx(name)[:2]) is None, name


def blk(name):
    rc, out, err = fx(name)
    return _md.parse_blkid(rc, out, err, "/dev/x")


def test_parse_blkid_signatures():
    assert blk("blkid-blank") == [] and blk("blkid-wiped") == []
    ext4 = blk("blkid-ext4")
    assert ext4[0]["type"] == "ext4" and ext4[0]["usage"] == "filesystem" and ext4[0]["label"] == "data"
    assert _md.describe_signature(ext4[0]).startswith("an ext4 filesystem (label data, UUID ")
    lvm = blk("blkid-lvm")
    assert lvm[0]["type"] == "LVM2_member" and _md.describe_signature(lvm[0]).startswith("an LVM2 physical volume (UUID ")
    assert _md.describe_signature(blk("blkid-drbd")[0]) == "DRBD metadata"
    assert _md.describe_signature(blk("blkid-dos")[0]) == "a dos partition table (UUID fecaed5e)"
    assert blk("blkid-other")[0]["type"] == _md.MD_MEMBER_TYPE


def test_parse_blkid_unescapes_values():
    assert _md.parse_export(fx("blkid-lvm")[1])["VERSION"] == "LVM2 001"


def test_parse_blkid_ambivalent_and_errors():
    amb = _md.parse_blkid(8, "", "blkid: /dev/x: ambivalent result (probably more filesystems on the device)\n", "/dev/x")
    assert _md.describe_signature(amb[0]).startswith("several signatures (blkid: blkid: /dev/x: ambivalent")
    with pytest.raises(_md.MdError, match=r"blkid could not probe /dev/x \(rc 4\)"):
        _md.parse_blkid(4, "", "usage", "/dev/x")


def test_parse_brief_and_conf_line():
    assert _md.parse_brief(fx("brief-raid1")[1]) == "ARRAY /dev/md0 metadata=1.2 name=node1:drbd0 UUID=%s" % UUID
    # a RAID5 being built counts its last disk as a spare (recorded): not what the conf file should say
    building = _md.parse_brief(fx("brief-raid5-building")[1])
    assert "spares=1" in building
    assert "spares=" not in _md.conf_line(building, 0)
    spare = _md.parse_brief(fx("brief-raid1-spare")[1])
    assert _md.conf_line(spare, 1) == spare
    assert _md.conf_line(_md.parse_brief(fx("brief-raid1")[1]), 1) == spare
    assert _md.conf_line(None, 0) is None
    assert _md.parse_brief("") is None


def test_sync_progress():
    assert _md.sync_progress("none") is None and _md.sync_progress(None) is None
    assert _md.sync_progress("1 / 4") == 25.0 and _md.sync_progress("0 / 0") is None


# planning ----------------------------------------------------------------------------------------
def dev(path, examine=None, signatures=None, holders=(), mounts=(), kernel=True, states=None, slaves=None):
    return {"path": path, "kernel": path.rsplit("/", 1)[-1] if kernel else None,
            "examine": _md.parse_examine(*fx(examine)[:2]) if examine else None,
            "signatures": [s for s in blk(signatures) if s["type"] != _md.MD_MEMBER_TYPE] if signatures else [],
            "holders": list(holders), "mounts": list(mounts), "holder_states": states or {}, "holder_slaves": slaves or {}}


def test_plan_assemble_from_matching_superblocks():
    plan = _md.plan_stopped(params(), [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc", "examine-stopped-c")])
    assert plan["mode"] == "assemble" and plan["uuid"] == UUID
    assert plan["steps"] == [("mdadm", ["--assemble", "/dev/md0", "/dev/ubdb", "/dev/ubdc"],
                              "assemble /dev/md0 from /dev/ubdb, /dev/ubdc (array %s (raid1 of 2 devices, "
                              "name node1:drbd0))" % UUID)]


def test_plan_create_on_blank():
    plan = _md.plan_stopped(params(), [dev("/dev/ubdb"), dev("/dev/ubdc")])
    assert plan["mode"] == "create" and len(plan["steps"]) == 1
    assert plan["steps"][0][1] == _md.create_argv(params())


def test_plan_refuses_a_signature_and_names_member_and_content():
    with pytest.raises(_md.MdError) as e:
        _md.plan_stopped(params(), [dev("/dev/ubdb"), dev("/dev/ubdc", signatures="blkid-ext4")])
    assert str(e.value).startswith("refusing to create /dev/md0: /dev/ubdc holds an ext4 filesystem (label data")
    assert "assemble it by hand" not in str(e.value)


def test_plan_wipe_existing_steps_in_order():
    plan = _md.plan_stopped(params(wipe_existing=True), [
        dev("/dev/ubdb", "examine-other"), dev("/dev/ubdc", signatures="blkid-lvm")])
    assert [(b, a[0]) for b, a, dummy in plan["steps"]] == [("mdadm", "--zero-superblock"), ("wipefs", "-a"),
                                                            ("mdadm", "--create")]


def test_plan_level_mismatch_is_another_array():
    with pytest.raises(_md.MdError, match="which is not the array asked for \\(raid5 of 3 devices\\)"):
        _md.plan_stopped(params(level=5, members=["/dev/ubdb", "/dev/ubdc", "/dev/ubdd"]), [
            dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc", "examine-stopped-c"), dev("/dev/ubdd", "examine-stopped-c")])


def test_plan_name_mismatch_is_another_array():
    with pytest.raises(_md.MdError, match="not the array asked for \\(raid1 of 2 devices, name other\\)"):
        _md.plan_stopped(params(name="other"), [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc", "examine-stopped-c")])
    plan = _md.plan_stopped(params(name="drbd0"), [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc", "examine-stopped-c")])
    assert plan["mode"] == "assemble"


def test_plan_partial_superblocks_gives_the_manual_commands():
    with pytest.raises(_md.MdError) as e:
        _md.plan_stopped(params(), [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc")])
    msg = str(e.value)
    assert "/dev/ubdb holds an md superblock of array %s (raid1 of 2 devices, name node1:drbd0) that /dev/ubdc do " \
           "not hold" % UUID in msg
    assert "mdadm --assemble --run /dev/md0 /dev/ubdb" in msg and "mdadm /dev/md0 --add" in msg


def test_plan_assume_clean_on_a_wiped_member_refused():
    p = params(assume_clean=True)
    with pytest.raises(_md.MdError, match="refusing to create"):
        _md.plan_stopped(p, [dev("/dev/ubdb"), dev("/dev/ubdc", signatures="blkid-dos")])
    p["wipe_existing"] = True    # check_params refuses this pair; the planner refuses it too
    with pytest.raises(_md.MdError, match="assume_clean needs members that blkid finds blank: /dev/ubdc holds a dos"):
        _md.plan_stopped(p, [dev("/dev/ubdb"), dev("/dev/ubdc", signatures="blkid-dos")])


def test_check_devices_refusals():
    with pytest.raises(_md.MdError, match="^/dev/ubdz, /dev/ubdy do not exist or are not block devices"):
        _md.check_devices(params(), [dev("/dev/ubdz", kernel=False), dev("/dev/ubdy", kernel=False)], "md0")
    holders = text("holders-ubdb.txt").split()
    with pytest.raises(_md.MdError, match="/dev/ubdb is a member of the running array /dev/md0"):
        _md.check_devices(params(device="/dev/md1"), [dev("/dev/ubdb", holders=holders)], "md1")
    # its own array holding it is fine
    _md.check_devices(params(), [dev("/dev/ubdb", holders=holders)], "md0")
    with pytest.raises(_md.MdError, match="/dev/ubdb is held by the device-mapper device dm-0"):
        _md.check_devices(params(), [dev("/dev/ubdb", holders=["dm-0"])], "md0")
    with pytest.raises(_md.MdError, match="/dev/ubdb is mounted on /srv"):
        _md.check_devices(params(), [dev("/dev/ubdb", mounts=["/srv"])], "md0")


def test_stale_inactive_arrays():
    inactive = text("holders-ubdb-inactive.txt").split()
    slaves = {"md127": text("slaves-md127-inactive.txt").split()}
    devices = [dev("/dev/ubdb", holders=inactive, states={"md127": "inactive"}, slaves=slaves), dev("/dev/ubdc")]
    assert _md.stale_inactive_arrays(devices, "md0") == ["md127"]
    _md.check_devices(params(), devices, "md0", ignore=["md127"])
    # an active array is never "stale"; one that holds other devices neither
    devices[0]["holder_states"] = {"md127": "clean"}
    assert _md.stale_inactive_arrays(devices, "md0") == []
    devices[0]["holder_states"] = {"md127": "inactive"}
    devices[0]["holder_slaves"] = {"md127": ["ubdb", "sdz"]}
    assert _md.stale_inactive_arrays(devices, "md0") == []
    with pytest.raises(_md.MdError, match="which also holds devices that are not listed here"):
        _md.check_devices(params(), devices, "md0")


def summary_of(name):
    return _md.summarize(_md.parse_detail(fx(name)[1]), sysfs(name))


def test_compare_running_same_array():
    assert _md.compare_running(params(name="drbd0"), summary_of("detail-raid1"), {}) == []
    assert _md.compare_running(params(spares=["/dev/ubdd"]), summary_of("detail-raid1-spare"), {}) == []


def test_compare_running_differences():
    diffs = _md.compare_running(params(level=5, members=["/dev/ubdb", "/dev/ubdd", "/dev/ubde"], metadata="1.0",
                                       name="x", chunk=64, bitmap="none"), summary_of("detail-raid1"), {})
    assert diffs == ["its level is raid1, not raid5", "it has 2 raid devices, members lists 3",
                     "/dev/ubdd, /dev/ubde are not in the array", "/dev/ubdc is in the array but not in members or spares",
                     "its metadata is 1.2, not 1.0", "its name is node1:drbd0, not x", "its chunk is None KiB, not 64",
                     "its bitmap is internal, not none"]


def test_compare_running_paths_by_kernel_name():
    kernels = {"/dev/disk/by-id/a": "ubdb", "/dev/disk/by-id/b": "ubdc", "/dev/ubdb": "ubdb", "/dev/ubdc": "ubdc"}
    assert _md.compare_running(params(members=["/dev/disk/by-id/a", "/dev/disk/by-id/b"]),
                               summary_of("detail-raid1"), kernels) == []


def test_compare_running_degraded_explains_the_repair():
    diffs = _md.compare_running(params(), summary_of("detail-raid1-degraded"), {})
    assert diffs == ["/dev/ubdc is not in the array (it runs degraded, 1 device(s) missing: put a device back with "
                     "`mdadm /dev/md0 --add DEVICE`, this module does not rebuild arrays)"]


def test_role_warnings():
    assert _md.role_warnings(params(), summary_of("detail-raid1"), {}) == []
    swapped = _md.role_warnings(params(spares=["/dev/ubdd"]), summary_of("detail-raid1-swapped"), {})
    assert swapped == ["/dev/ubdd (listed in spares) is an active member of /dev/md0 now, a spare took over after a failure",
                       "/dev/ubdc (listed in members) is a spare of /dev/md0"]
    building = _md.role_warnings(params(level=5, members=["/dev/ubdb", "/dev/ubdc", "/dev/ubdd"]), summary_of("detail-raid5"), {})
    assert building == ["/dev/md0 is degraded: 1 of 3 raid devices missing (recover running, %s%%)"
                        % summary_of("detail-raid5")["sync_progress"]]


def test_plan_destroy_stopped():
    p = params(state="absent", allow_destroy=True)
    devices = [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdc", "examine-stopped-c"), dev("/dev/ubdd")]
    steps = _md.plan_destroy_stopped(p, devices, None)
    assert [s[1] for s in steps] == [["--zero-superblock", "/dev/ubdb"], ["--zero-superblock", "/dev/ubdc"]]
    assert _md.plan_destroy_stopped(p, devices, UUID.replace(":", "-")) == steps
    with pytest.raises(_md.MdError, match="/dev/ubdd holds the superblock of array"):
        _md.plan_destroy_stopped(p, [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdd", "examine-other")], UUID)
    with pytest.raises(_md.MdError, match="hold superblocks of 2 different arrays"):
        _md.plan_destroy_stopped(p, [dev("/dev/ubdb", "examine-stopped-b"), dev("/dev/ubdd", "examine-other")], None)
    assert _md.plan_destroy_stopped(p, [dev("/dev/ubdd")], None) == []


def test_conf_file_must_be_absolute_and_members_stay_under_dev():
    assert _md.check_params(params(conf_file="/etc/mdadm/mdadm.conf")) == []
    assert _md.check_params(params(conf_file="")) == []
    assert _md.check_params(params(conf_file="mdadm.conf")) == ["conf_file must be an absolute path, got 'mdadm.conf'"]
    errors = _md.check_params(params(members=["/dev/../tmp/disk.img", "/dev/vdc"]))
    assert errors and errors[0].startswith("members must be block device paths under /dev")
