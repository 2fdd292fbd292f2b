# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""drbd_resource sequences against the stateful fake drbdadm/drbdsetup/drbdmeta."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _drbd
from ansible_collections.hastorage.cluster.plugins.modules import drbd_resource
from ansible_collections.hastorage.cluster.tests.unit.drbd_fake.fake_drbd import FakeDisk, FakeDrbd, run_stateful


@pytest.fixture
def conf(tmp_path):
    d = tmp_path / "drbd.d"
    d.mkdir()
    return str(d)


def args(conf, **extra):
    a = {
        "name": "r0",
        "config_dir": conf,
        "volumes": [{"minor": 0, "disk": "/dev/vdb"}],
        "hosts": [{"name": "node1", "address": "10.99.0.11"}, {"name": "node2", "address": "10.99.0.12"}],
        "fencing": "resource-and-stonith",
    }
    a.update(extra)
    return a


def run(fake, monkeypatch, a, **kw):
    return run_stateful(drbd_resource.main, a, fake, monkeypatch, **kw)


def verbs(fake, tool="drbdadm"):
    return [c[1:] for c in fake.calls if os.path.basename(c[0]) == tool]


def test_new_resource_full_quartet(tmp_path, conf, monkeypatch):
    """check -> apply -> apply again -> check again, on a blank disk (DRBD 9 kernel)."""
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    first_check = run(fake, monkeypatch, args(conf), check_mode=True, diff=True)
    assert first_check["changed"] is True, first_check
    assert not os.path.exists(os.path.join(conf, "r0.res"))
    assert fake.disk("/dev/vdb").md is None and not fake.up
    assert "create-md r0/0 on /dev/vdb" in first_check["actions"]
    assert "fencing resource-and-stonith" in first_check["diff"]["after"]

    applied = run(fake, monkeypatch, args(conf))
    assert applied["changed"] is True and not applied.get("failed"), applied
    assert applied["dialect"] == "9"
    assert fake.disk("/dev/vdb").md == "v09"
    assert fake.up and ["adjust", "r0"] in verbs(fake)
    assert ["up", "r0"] not in verbs(fake)            # never a blind up
    assert oct(os.stat(os.path.join(conf, "r0.res")).st_mode & 0o777) == "0o600"
    assert applied["status"]["disk_state"] == "Inconsistent"

    fake.calls[:] = []
    again = run(fake, monkeypatch, args(conf))
    assert again["changed"] is False, again
    assert ["-d", "adjust", "r0"] in verbs(fake) and ["adjust", "r0"] not in verbs(fake)
    assert not [c for c in verbs(fake) if c and c[0] == "create-md"]

    check_again = run(fake, monkeypatch, args(conf), check_mode=True)
    assert check_again["changed"] is False and check_again["actions"] == []


def test_up_resource_with_pending_changes_is_adjusted(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    run(fake, monkeypatch, args(conf))
    fake.pending_adjust = "drbdsetup net-options r0 1 --protocol=B\n"
    result = run(fake, monkeypatch, args(conf))
    assert result["changed"] is True
    assert result["actions"] == ["adjust r0: drbdsetup net-options r0 1 --protocol=B"]


def test_config_change_in_check_mode_writes_nothing(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    run(fake, monkeypatch, args(conf))
    before = open(os.path.join(conf, "r0.res")).read()
    result = run(fake, monkeypatch, args(conf, protocol="B"), check_mode=True, diff=True)
    assert result["changed"] is True
    assert "protocol B;" in result["diff"]["after"] and "protocol C;" in result["diff"]["before"]
    assert open(os.path.join(conf, "r0.res")).read() == before
    assert "adjust r0 (apply the new file)" in result["actions"]


def test_rejected_config_is_never_installed(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    fake.reject_config = "x.conf:12: Parse error: 'an option keyword' expected,\n\tbut got 'bogus'\n"
    result = run(fake, monkeypatch, args(conf, net_options={"bogus": 1}))
    assert result["failed"] and "rejected the rendered 9 configuration" in result["msg"]
    assert "but got 'bogus'" in result["msg"]
    assert not os.path.exists(os.path.join(conf, "r0.res"))
    assert not fake.up


def test_validation_includes_other_resources(tmp_path, conf, monkeypatch):
    """The copy drbdadm checks includes the other installed files (minor/port clashes)."""
    with open(os.path.join(conf, "r9.res"), "w") as f:
        f.write("resource r9 {}\n")
    seen = {}
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    original = fake._drbdadm

    def spy(argv, data):
        if argv[0] == "-c":
            with open(argv[1]) as f:
                seen["text"] = f.read()
        return original(argv, data)
    fake._drbdadm = spy
    run(fake, monkeypatch, args(conf, up=False, metadata=False))
    assert 'include "%s/r9.res";' % conf in seen["text"]
    assert "resource r0 {" in seen["text"]


def test_no_kernel_module_defaults_to_9_and_warns(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel=None, tmpdir=str(tmp_path))
    result = run(fake, monkeypatch, args(conf, up=False, metadata=False))
    assert result["dialect"] == "9"
    assert any("DRBD_KERNEL_VERSION=0" in w for w in result["warnings"])


def test_no_kernel_module_84_dialect_validated_by_drbdadm_84(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel=None, tmpdir=str(tmp_path))
    result = run(fake, monkeypatch, args(conf, dialect="8.4", up=False, metadata=False))
    assert result["dialect"] == "8.4"
    assert any(os.path.basename(c[0]) == "drbdadm-84" and c[1] == "-c" for c in fake.calls)
    assert "crm-fence-peer.sh" in open(os.path.join(conf, "r0.res")).read()


def test_dialect_contradicting_the_kernel_is_refused(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    result = run(fake, monkeypatch, args(conf, dialect="9"))
    assert result["failed"] and "loaded DRBD kernel module is 8.4" in result["msg"]
    assert not os.path.exists(os.path.join(conf, "r0.res"))


# create-md matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["9", "8.4"])
@pytest.mark.parametrize("existing", ["v08", "v09"])
def test_existing_metadata_of_either_format_is_never_recreated(tmp_path, conf, monkeypatch, kernel, existing):
    fake = FakeDrbd(kernel=kernel, tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(md=existing, uuid="0x1234ABCD00000000")
    result = run(fake, monkeypatch, args(conf, up=False))
    assert not result.get("failed"), result
    assert result["metadata"][0]["found"] == existing and result["metadata"][0]["decision"] == "keep"
    assert not [c for c in verbs(fake) if c and c[0] == "create-md"]
    assert fake.disk("/dev/vdb").uuid == "0x1234ABCD00000000"
    expected_warning = (kernel == "9") != (existing == "v09")
    assert bool(result.get("warnings")) == expected_warning


def test_filesystem_is_refused_with_what_was_found(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(signatures=[{"type": "ext4", "offset": "0x438"}])
    result = run(fake, monkeypatch, args(conf))
    assert result["failed"]
    assert "holds ext4 at offset 0x438" in result["msg"] and "wipe_existing" in result["msg"]
    assert result["metadata"][0]["decision"] == "refused"
    assert fake.disk("/dev/vdb").signatures and fake.disk("/dev/vdb").md is None
    assert not [c for c in verbs(fake) if c and c[0] in ("create-md", "adjust")]


def test_wipe_existing_wipes_then_creates(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(signatures=[{"type": "xfs", "offset": "0x0"}])
    check = run(fake, monkeypatch, args(conf, wipe_existing=True), check_mode=True)
    assert check["changed"] and fake.disk("/dev/vdb").signatures
    result = run(fake, monkeypatch, args(conf, wipe_existing=True))
    assert result["changed"] and fake.disk("/dev/vdb").md == "v08"
    assert ["--all", "/dev/vdb"] in verbs(fake, "wipefs")
    assert result["actions"][1].startswith("wipefs --all /dev/vdb (wipe_existing: xfs)")


def test_create_md_cancelled_is_reported_not_forced(tmp_path, conf, monkeypatch):
    """If create-md still answers 'Operation cancelled.', the module fails and never adds --force."""
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    original = fake._drbdadm

    def cancelled(argv, data):
        if argv[0] == "create-md":
            assert data == "no\n" and "--force" not in argv
            return 1, "Operation cancelled.\n", "Do you really want to overwrite the existing meta-data?\n"
        return original(argv, data)
    fake._drbdadm = cancelled
    result = run(fake, monkeypatch, args(conf))
    assert result["failed"] and "nothing was overwritten" in result["msg"]


# initial sync and roles ---------------------------------------------------------------------
def up_pair(tmp_path, conf, monkeypatch, kernel="9"):
    fake = FakeDrbd(kernel=kernel, tmpdir=str(tmp_path))
    run(fake, monkeypatch, args(conf))
    assert fake.up and fake.connection == "Connected"
    return fake


@pytest.mark.parametrize("kernel", ["9", "8.4"])
def test_initial_sync_skip(tmp_path, conf, monkeypatch, kernel):
    fake = up_pair(tmp_path, conf, monkeypatch, kernel)
    result = run(fake, monkeypatch, args(conf, initial_sync="skip", wait_timeout=0))
    assert result["changed"] and ["new-current-uuid", "--clear-bitmap", "r0/0"] in verbs(fake)
    assert result["status"]["disk_state"] == "UpToDate"
    assert result["status"]["peer_disk_state"] == "UpToDate"
    again = run(fake, monkeypatch, args(conf, initial_sync="skip", wait_timeout=0))
    assert again["changed"] is False


def test_initial_sync_full_needs_force_primary(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    result = run(fake, monkeypatch, args(conf, initial_sync="full", wait_timeout=0))
    assert result["failed"] and "force_primary: true" in result["msg"]
    assert fake.role == "Secondary"


def test_initial_sync_full_forces_once_then_demotes(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    result = run(fake, monkeypatch, args(conf, initial_sync="full", force_primary=True, wait_timeout=0))
    assert result["changed"]
    assert ["primary", "--force", "r0"] in verbs(fake) and ["secondary", "r0"] in verbs(fake)
    assert fake.role == "Secondary"
    fake.calls[:] = []
    again = run(fake, monkeypatch, args(conf, initial_sync="full", force_primary=True, wait_timeout=0))
    assert again["changed"] is False and not [c for c in verbs(fake) if c and c[0] == "primary"]


def test_force_primary_refused_when_peer_has_uptodate_data(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    fake.peer_disk = "UpToDate"
    result = run(fake, monkeypatch, args(conf, initial_sync="full", force_primary=True, wait_timeout=0))
    assert result["failed"] and "peer has UpToDate data" in result["msg"]
    assert not [c for c in verbs(fake) if c and c[0] == "primary"]


def test_force_primary_refused_when_peer_unreachable(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.peer_up = False
    run(fake, monkeypatch, args(conf))
    result = run(fake, monkeypatch, args(conf, initial_sync="full", force_primary=True, wait_timeout=0))
    assert result["failed"] and "not connected" in result["msg"]


def test_primary_on_new_resource_is_refused_without_initial_sync(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    result = run(fake, monkeypatch, args(conf, role="primary", wait_timeout=0))
    assert result["failed"] and "Role changes never force" in result["msg"]
    assert fake.role == "Secondary"


def test_role_changes_never_force(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch, kernel="8.4")
    run(fake, monkeypatch, args(conf, initial_sync="skip", wait_timeout=0))
    check = run(fake, monkeypatch, args(conf, role="primary", wait_timeout=0), check_mode=True)
    assert check["changed"] and fake.role == "Secondary"
    result = run(fake, monkeypatch, args(conf, role="primary", wait_timeout=0))
    assert result["changed"] and fake.role == "Primary"
    assert ["primary", "r0"] in verbs(fake) and ["primary", "--force", "r0"] not in verbs(fake)
    assert run(fake, monkeypatch, args(conf, role="primary", wait_timeout=0))["changed"] is False
    demote = run(fake, monkeypatch, args(conf, role="secondary"))
    assert demote["changed"] and fake.role == "Secondary"


def test_secondary_on_open_device_names_the_holder(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    run(fake, monkeypatch, args(conf, initial_sync="skip", role="primary", wait_timeout=0))
    monkeypatch.setattr(_drbd, "find_holders", lambda devices: ["/dev/drbd0 is mounted on /srv/data"])
    result = run(fake, monkeypatch, args(conf, role="secondary"))
    assert result["failed"] and "/dev/drbd0 is mounted on /srv/data" in result["msg"]
    assert fake.role == "Primary" and ["secondary", "r0"] not in verbs(fake)


def test_secondary_refused_by_drbd_reports_the_error(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    run(fake, monkeypatch, args(conf, initial_sync="skip", role="primary", wait_timeout=0))
    fake.open_devices.add("/dev/drbd0")
    monkeypatch.setattr(_drbd, "find_holders", lambda devices: [])
    result = run(fake, monkeypatch, args(conf, role="secondary"))
    assert result["failed"] and "(-12) Device is held open by someone" in result["msg"]


def test_absent_takes_down_and_removes_file(tmp_path, conf, monkeypatch):
    fake = up_pair(tmp_path, conf, monkeypatch)
    check = run(fake, monkeypatch, args(conf, state="absent"), check_mode=True)
    assert check["changed"] and fake.up and os.path.exists(os.path.join(conf, "r0.res"))
    result = run(fake, monkeypatch, args(conf, state="absent"))
    assert result["changed"] and not fake.up and not os.path.exists(os.path.join(conf, "r0.res"))
    assert fake.disk("/dev/vdb").md == "v09"                # metadata is kept
    assert run(fake, monkeypatch, args(conf, state="absent"))["changed"] is False


def test_secret_is_masked_in_diff(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    result = run(fake, monkeypatch, args(conf, shared_secret="hunter2", up=False, metadata=False), diff=True)
    assert "hunter2" not in result["diff"]["after"]
    assert "hunter2" in open(os.path.join(conf, "r0.res")).read()
    changed = run(fake, monkeypatch, args(conf, shared_secret="hunter2", protocol="B", up=False, metadata=False),
                  diff=True)
    assert "hunter2" not in changed["diff"]["before"]


def test_bad_input_rejected_before_anything_runs(tmp_path, conf, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    result = run(fake, monkeypatch, args(conf, hosts=[{"name": "node1", "address": "10.99.0.999"},
                                                      {"name": "node2", "address": "10.99.0.12"}]))
    assert result["failed"] and "not an IP address" in result["msg"]
    assert fake.calls == []  # not even drbdadm --version


def test_resource_file_is_synced_before_it_replaces_the_old_one(tmp_path, conf, monkeypatch):
    """A node that loses power right after the run must find the whole file (not an empty one), 0600 throughout."""
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        target = os.readlink("/proc/self/fd/%d" % fd)
        mode = os.fstat(fd).st_mode
        events.append(("fsync", os.path.basename(target), oct(mode & 0o777) if os.path.isfile(target) else "dir"))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.path.basename(dst), oct(os.stat(src).st_mode & 0o777)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    applied = run(fake, monkeypatch, args(conf))
    assert applied["changed"] is True and not applied.get("failed"), applied
    mine = [e for e in events if e[0] == "replace" and e[1] == "r0.res"]
    assert mine == [("replace", "r0.res", "0o600")]
    at = events.index(mine[0])
    assert events[at - 1][0] == "fsync" and events[at - 1][1].startswith(".r0.") and events[at - 1][2] == "0o600"
    assert events[at + 1] == ("fsync", os.path.basename(conf), "dir")
    with open(os.path.join(conf, "r0.res")) as f:
        assert "resource r0" in f.read()
