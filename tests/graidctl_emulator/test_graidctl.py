# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the graidctl emulator itself (run: pytest tests/graidctl_emulator)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import pytest

EMULATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graidctl")


class Emu:
    def __init__(self, tmp_path, **env):
        self.env = dict(os.environ)
        for key in list(self.env):
            if key.startswith("GRAIDCTL_EMULATOR_"):
                del self.env[key]
        self.env.update(GRAIDCTL_EMULATOR_STATE=str(tmp_path / "state.json"), GRAIDCTL_EMULATOR_INIT_STEPS="2",
                        GRAIDCTL_EMULATOR_CONFIG=str(tmp_path / "no-config.env"))
        self.env.update(env)

    def run(self, *args, stdin=subprocess.DEVNULL, env=None, input=None):
        merged = dict(self.env, **(env or {}))
        if input is not None:
            stdin = None
        return subprocess.run([sys.executable, EMULATOR] + list(args), env=merged, capture_output=True, text=True,
                              stdin=stdin, input=input, check=False)

    def ok(self, *args, **kwargs):
        proc = self.run(*args, **kwargs)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def json(self, *args, **kwargs):
        return json.loads(self.ok(*(list(args) + ["--format", "json"]), **kwargs).stdout)["Result"]

    def fail(self, *args, rc=1, **kwargs):
        proc = self.run(*args, **kwargs)
        assert proc.returncode == rc, (args, proc.returncode, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("\u2716 "), proc.stderr
        return proc.stderr

    def state(self, dg=0):
        return {d["DgId"]: d["State"] for d in self.json("ls", "dg")}.get(dg)

    def group(self, level="raid5", pds="0-3", n=4, *flags):
        self.ok("apply", "license", "EMULATOR-KEY-0000-1111")
        self.ok("create", "pd", "/dev/nvme0-%d" % (n - 1))
        self.ok("create", "dg", level, pds, *flags)


@pytest.fixture
def emu(tmp_path):
    return Emu(tmp_path)


def test_fresh_state_from_env_seed(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_NVME="2", GRAIDCTL_EMULATOR_SCSI="1", GRAIDCTL_EMULATOR_CONTROLLERS="2",
              GRAIDCTL_EMULATOR_LICENSED="1")
    assert len(emu.json("ls", "nd")) == 2
    assert emu.json("ls", "sd")[0]["WWID"].startswith("naa.")
    assert [c["State"] for c in emu.json("ls", "cx")] == ["ONLINE", "ONLINE"]
    assert emu.json("desc", "lic")["Controller"]["1"]["LicenseState"] == "APPLIED"


def load_emulator():
    from importlib.machinery import SourceFileLoader
    import types
    loader = SourceFileLoader("graidctl_emulator", EMULATOR)
    module = types.ModuleType(loader.name)
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("euid, expected", [
    (0, "/var/lib/graidctl-emulator/state.json"),
    (1000, "/home/u/.local/state/graidctl-emulator/state.json"),
])
def test_default_state_path_as_documented(monkeypatch, euid, expected):
    module = load_emulator()
    monkeypatch.delenv("GRAIDCTL_EMULATOR_STATE", raising=False)
    monkeypatch.setenv("HOME", "/home/u")
    monkeypatch.setattr(module.os, "geteuid", lambda: euid)
    assert module.state_path() == expected
    monkeypatch.setenv("GRAIDCTL_EMULATOR_STATE", "/x/y.json")
    assert module.state_path() == "/x/y.json"


@pytest.mark.parametrize("args", [
    ["ls", "cx"], ["list", "controller"], ["ls", "nd"], ["list", "nvme_drive"], ["ls", "pd"],
    ["list", "physical_drive"], ["ls", "dg"], ["list", "drive_group"], ["ls", "vd"], ["list", "virtual_drive"],
    ["ls", "sd"], ["list", "scsi_drive"], ["desc", "lic"], ["describe", "license"], ["desc", "conf", "led"],
])
def test_long_and_short_forms_and_format_spellings(emu, args):
    a = json.loads(emu.ok(*(args + ["--format", "json"])).stdout)
    b = json.loads(emu.ok(*(args + ["--format=json"])).stdout)
    assert set(a) == {"Result"} and set(b) == {"Result"}
    assert type(a["Result"]) is type(b["Result"])


def test_status_line_switch(emu):
    plain = emu.ok("ls", "nd", "--format", "json").stdout
    assert plain.startswith("{")
    with_line = emu.ok("ls", "nd", "--format", "json", env={"GRAIDCTL_EMULATOR_STATUS_LINE": "1"}).stdout
    first, rest = with_line.split("\n", 1)
    assert first == "\u2714 List nvme drive successfully."
    assert json.loads(rest)["Result"][0]["DevPath"] == "/dev/nvme0n1"


def test_text_output_is_a_box_table(emu):
    emu.group()
    lines = emu.ok("ls", "pd").stdout.splitlines()
    assert lines[0] == "\u2714 List physical drive successfully."
    assert lines[1].startswith("\u250c") and lines[-1].startswith("\u2514")
    header = [c.strip() for c in lines[2].strip("\u2502").split("\u2502")]
    assert header == ["PD ID", "DG ID", "DEVICE PATH", "NQN/WWID", "MODEL", "CAPACITY", "SLOT ID", "NUMA NODE",
                      "WEAROUT", "STATE"]
    assert len(lines) == 4 + 4 + 1


def test_license_flow(emu):
    assert emu.json("ls", "cx")[0]["State"] == "OFFLINE"
    assert "invalid license key" in emu.fail("apply", "license", "short")
    assert "invalid license key" in emu.fail("apply", "lic", "THIS-IS-AN-INVALID-KEY")
    emu.ok("apply", "lic", "EMULATOR-KEY-0000-1111")
    assert emu.json("desc", "lic")["Controller"]["0"]["LicenseState"] == "APPLIED"
    assert emu.json("ls", "cx")[0]["State"] == "ONLINE"


def test_create_pd_by_path_nqn_and_range(emu):
    nd = emu.json("ls", "nd")
    emu.ok("create", "pd", nd[1]["NQN"])
    emu.ok("create", "physical_drive", "/dev/nvme0n1")
    emu.ok("create", "pd", "/dev/nvme2-3")
    pds = emu.json("ls", "pd")
    assert [(p["PdId"], p["DevPath"], p["DgId"]) for p in pds] == [
        (0, "/dev/gpd0", -1), (1, "/dev/gpd1", -1), (2, "/dev/gpd2", -1), (3, "/dev/gpd3", -1)]
    assert pds[0]["NQN"] == nd[1]["NQN"]
    assert emu.json("ls", "nd") == []
    assert "not found" in emu.fail("create", "pd", "/dev/nvme9n1")
    assert "already physical drive" in emu.fail("create", "pd", nd[1]["NQN"])


def test_scsi_group_needs_force(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_NVME="0", GRAIDCTL_EMULATOR_SCSI="2")
    for drive in emu.json("ls", "sd"):
        emu.ok("create", "pd", drive["WWID"])
    assert "use -f" in emu.fail("create", "dg", "raid1", "0,1")
    emu.ok("create", "dg", "raid1", "0,1", "-f")


@pytest.mark.parametrize("level, pds, words", [
    ("raid1", "0-2", "even number"), ("raid10", "0-1", "at least 4"), ("raid5", "0-1", "at least 3"),
    ("raid6", "0-2", "at least 4"), ("raid0", "0", "at least 2"),
])
def test_level_rules(emu, level, pds, words):
    emu.ok("create", "pd", "/dev/nvme0-3")
    assert words in emu.fail("create", "dg", level, pds)
    assert emu.json("ls", "dg") == []


def test_bad_usage_rc_2(emu):
    assert "unknown command" in emu.fail("frobnicate", "pd", rc=2)
    assert "unknown noun" in emu.fail("ls", "widgets", rc=2)
    assert "unknown flag" in emu.fail("ls", "pd", "--colour", rc=2)
    assert "invalid RAID mode" in emu.fail("create", "dg", "raid7", "0-3", rc=2)
    assert "invalid format" in emu.fail("ls", "pd", "--format", "yaml", rc=2)
    assert emu.run("--help").returncode == 0


def test_init_to_optimal_by_steps(emu):
    emu.group()
    assert emu.state() == "INIT"
    states = [emu.state() for _step in range(3)]
    assert states == ["INIT", "OPTIMAL", "OPTIMAL"]
    assert emu.json("desc", "dg", "0")["State"] == "OPTIMAL"


def test_foreground_init_takes_longer(emu):
    emu.group("raid5", "0-3", 4, "-z")
    seen = [emu.state() for _step in range(3)]
    assert seen == ["INIT", "INIT", "INIT"]
    emu.ok("emulator", "tick", "5")
    assert emu.state() == "OPTIMAL"
    assert emu.json("desc", "dg", "0")["ForegroundInit"] is True


def test_init_by_seconds(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_INIT_STEPS="1000", GRAIDCTL_EMULATOR_INIT_SECONDS="0.5")
    emu.group()
    assert emu.state() == "INIT"
    time.sleep(0.6)
    assert emu.state() == "OPTIMAL"


def test_volumes_and_free_space(emu):
    emu.group()
    group = emu.json("ls", "dg")[0]
    assert group["Capacity"] == 3 * 3840755982336 and group["Free"] == group["Capacity"]
    emu.ok("create", "vd", "0", "100G")
    emu.ok("create", "virtual_drive", "0", "500GB")
    vds = emu.json("ls", "vd")
    assert [(v["VdId"], v["DevPath"], v["Size"]) for v in vds] == [
        (0, "/dev/gdg0n1", 100 * 2 ** 30), (1, "/dev/gdg0n2", 500 * 2 ** 30)]
    assert emu.json("ls", "dg")[0]["Free"] == group["Capacity"] - 600 * 2 ** 30
    assert "exceeds the free space" in emu.fail("create", "vd", "0", "100T")
    emu.ok("create", "vd", "0")
    assert emu.json("ls", "dg")[0]["Free"] == 0
    assert "no free space" in emu.fail("create", "vd", "0")
    assert "not found" in emu.fail("create", "vd", "3", "1G")
    assert len(emu.json("ls", "vd", "--dg-id=0")) == 3


def test_deletes_need_confirmation(emu):
    emu.group()
    emu.ok("create", "vd", "0", "1G")
    assert "not confirmed" in emu.fail("del", "vd", "0", "0")
    assert "not confirmed" in emu.fail("delete", "virtual_drive", "0", "0", input="n\n")
    assert len(emu.json("ls", "vd")) == 1
    emu.ok("del", "vd", "0", "0", input="y\n")
    emu.ok("create", "vd", "0", "1G")
    assert "still has virtual drives" in emu.fail("del", "dg", "0", "--confirm-to-delete")
    assert "is used by drive group 0" in emu.fail("del", "pd", "1")
    emu.ok("del", "vd", "0", "0", "--confirm-to-delete")
    assert "not confirmed" in emu.fail("del", "dg", "0")
    emu.ok("del", "dg", "0", "--confirm-to-delete")
    assert [p["DgId"] for p in emu.json("ls", "pd")] == [-1, -1, -1, -1]
    emu.ok("del", "pd", "0-1")
    assert [d["DevPath"] for d in emu.json("ls", "nd")] == ["/dev/nvme0n1", "/dev/nvme1n1"]
    assert "not found" in emu.fail("del", "dg", "0", "--confirm-to-delete")


def test_refused_request_changes_nothing(emu):
    emu.ok("create", "pd", "/dev/nvme0n1")
    before = emu.json("ls", "pd")
    emu.fail("create", "pd", "/dev/nvme1-9")
    assert emu.json("ls", "pd") == before


def test_edit_group_settings(emu):
    emu.group()
    emu.ok("edit", "dg", "0", "rebuild_speed", "high")
    emu.ok("e", "dg", "0", "journal", "degrade_only")
    group = emu.json("desc", "dg", "0")
    assert group["RebuildSpeed"] == "high" and group["Journal"] == "degrade_only"
    assert "invalid journal" in emu.fail("edit", "dg", "0", "journal", "never", rc=2)
    assert "unknown drive group setting" in emu.fail("edit", "dg", "0", "colour", "red", rc=2)
    assert "successfully" in emu.ok("edit", "dg", "0", "init_speed", "low").stdout


def test_fail_pd_degrades_and_rebuild(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_INIT_STEPS="0", GRAIDCTL_EMULATOR_REBUILD_STEPS="3")
    emu.ok("apply", "license", "EMULATOR-KEY-0000-1111")
    emu.ok("create", "pd", "/dev/nvme0-3")
    emu.ok("create", "dg", "raid5", "0-2")
    emu.ok("create", "vd", "0", "1G")
    assert emu.state() == "OPTIMAL"
    emu.ok("emulator", "fail-pd", "1")
    assert emu.state() == "DEGRADED"
    assert emu.json("ls", "vd")[0]["State"] == "DEGRADED"
    assert {p["PdId"]: p["State"] for p in emu.json("ls", "pd")}[1] == "FAILED"
    emu.ok("emulator", "start-rebuild", "0")
    assert emu.state() == "RECOVERY"
    pds = {p["PdId"]: p for p in emu.json("ls", "pd")}
    assert pds[3]["State"] == "REBUILD" and pds[3]["DgId"] == 0 and pds[1]["DgId"] == -1
    emu.ok("emulator", "tick", "3")
    assert emu.state() == "OPTIMAL"


def test_global_spare_takes_over(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_INIT_STEPS="0", GRAIDCTL_EMULATOR_REBUILD_STEPS="100")
    emu.ok("create", "pd", "/dev/nvme0-3")
    emu.ok("create", "dg", "raid1", "0,1")
    emu.ok("edit", "pd", "3", "hotspare", "global")
    assert emu.json("ls", "pd")[3]["HotSpare"] == "global"
    assert "is a hot spare" in emu.fail("create", "dg", "raid1", "2,3")
    emu.ok("emulator", "fail-pd", "0")
    assert emu.state() == "RECOVERY"
    emu.ok("emulator", "finish-rebuild", "0")
    assert emu.state() == "OPTIMAL"
    assert emu.json("ls", "pd")[3]["HotSpare"] == ""


def test_degrade_dg_marker_and_replace(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_INIT_STEPS="0", GRAIDCTL_EMULATOR_REBUILD_STEPS="1")
    emu.ok("create", "pd", "/dev/nvme0-3")
    emu.ok("create", "dg", "raid6", "0-3")
    emu.ok("emulator", "degrade-dg", "0")
    emu.ok("emulator", "degrade-dg", "0")
    assert emu.state() == "DEGRADED"
    emu.ok("emulator", "degrade-dg", "0")
    assert emu.state() == "FAILED"
    emu2 = Emu(tmp_path / "..", GRAIDCTL_EMULATOR_STATE=str(tmp_path / "b.json"), GRAIDCTL_EMULATOR_INIT_STEPS="0",
               GRAIDCTL_EMULATOR_REBUILD_STEPS="1")
    emu2.ok("create", "pd", "/dev/nvme0-3")
    emu2.ok("create", "dg", "raid1", "0,1")
    emu2.ok("edit", "pd", "1", "marker", "offline")
    assert emu2.state() == "DEGRADED"
    emu2.ok("edit", "pd", "1", "marker", "online")
    assert emu2.state() == "RECOVERY"
    assert emu2.state() == "OPTIMAL"
    emu2.ok("emulator", "fail-pd", "0")
    emu2.ok("replace", "pd", "0", "0", "2")
    assert emu2.state() == "RECOVERY"
    assert emu2.state() == "OPTIMAL"
    assert sorted(p["PdId"] for p in emu2.json("ls", "pd") if p["DgId"] == 0) == [1, 2]


def test_controller_fault(emu):
    emu.ok("apply", "license", "EMULATOR-KEY-0000-1111")
    emu.ok("emulator", "controller-state", "0", "OFFLINE")
    assert emu.json("ls", "cx")[0]["State"] == "OFFLINE"
    assert "not found" in emu.fail("emulator", "controller-state", "4", "ONLINE")


def test_dev_prefix(tmp_path):
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_DEV_PREFIX=str(tmp_path / "root"), GRAIDCTL_EMULATOR_INIT_STEPS="0")
    path = emu.json("ls", "nd")[0]["DevPath"]
    assert path == str(tmp_path / "root" / "dev" / "nvme0n1")
    emu.ok("create", "pd", path)
    emu.ok("create", "pd", "/dev/nvme1n1")
    emu.ok("create", "dg", "raid1", "0,1")
    emu.ok("create", "vd", "0")
    assert emu.json("ls", "vd")[0]["DevPath"] == str(tmp_path / "root" / "dev" / "gdg0n1")


def test_reset_and_version(emu):
    emu.ok("create", "pd", "/dev/nvme0n1")
    emu.ok("emulator", "reset", "--nvme", "6", "--licensed")
    assert len(emu.json("ls", "nd")) == 6 and emu.json("ls", "pd") == []
    assert emu.json("ls", "cx")[0]["State"] == "ONLINE"
    out = emu.ok("version").stdout
    assert out.split()[:3] == ["graidctl", "version:", "1.7.2"]
    assert "emulator" in out


def test_state_persists_between_calls(emu, tmp_path):
    emu.ok("create", "pd", "/dev/nvme0n1")
    with open(str(tmp_path / "state.json")) as f:
        assert json.load(f)["pds"][0]["PdId"] == 0


def test_config_file_gives_defaults(tmp_path):
    config = tmp_path / "emu.env"
    config.write_text("# comment\nGRAIDCTL_EMULATOR_NVME=2\nGRAIDCTL_EMULATOR_STATUS_LINE=1\nOTHER=x\n")
    emu = Emu(tmp_path, GRAIDCTL_EMULATOR_CONFIG=str(config))
    out = emu.ok("ls", "nd", "--format", "json").stdout
    assert out.startswith("\u2714 ")
    assert len(json.loads(out[out.index("{"):])["Result"]) == 2
    # the environment wins over the file
    assert emu.ok("ls", "nd", "--format", "json", env={"GRAIDCTL_EMULATOR_STATUS_LINE": "0"}).stdout.startswith("{")
