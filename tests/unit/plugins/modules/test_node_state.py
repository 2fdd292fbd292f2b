# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""node_state: packages, units, files and a password hash read in one run, with exact commands."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _node_state
from ansible_collections.hastorage.cluster.plugins.modules import node_state
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

DPKG = ["dpkg-query", "-W", "-f=" + _node_state.DPKG_FORMAT]
SHOW = ["systemctl", "show", "--property=Id,LoadState,UnitFileState,ActiveState", "--"]
# dpkg-query 1.21 (Debian 12): pcs installed, corosync removed with its configuration kept; nosuch unknown
DPKG_OUT = "pcs\tinstalled\t0.11.5-1+deb12u1\ncorosync\tconfig-files\t3.1.7-1\n"
SHOW_OUT = ("Id=pcsd.service\nLoadState=loaded\nUnitFileState=enabled\nActiveState=active\n\n"
            "Id=corosync.service\nLoadState=not-found\nUnitFileState=\nActiveState=inactive\n")
SHADOW = "root:*:19700:0:99999:7:::\nhacluster:$6$rounds=656000$salt$hash:19700::::::\n"


def test_dpkg_query_status_and_unknown_names():
    assert _node_state.parse_dpkg_query(DPKG_OUT, ["pcs", "corosync", "nosuch"]) == {
        "pcs": {"installed": True, "status": "installed", "version": "0.11.5-1+deb12u1"},
        "corosync": {"installed": False, "status": "config-files", "version": None},
        "nosuch": {"installed": False, "status": None, "version": None}}


def test_systemctl_show_by_unit_and_a_short_answer_refused():
    units = _node_state.parse_systemctl_show(SHOW_OUT, ["pcsd.service", "corosync.service"])
    assert units["corosync.service"]["LoadState"] == "not-found"
    assert units["pcsd.service"]["UnitFileState"] == "enabled"
    with pytest.raises(ValueError, match="1 blocks for 2 units"):
        _node_state.parse_systemctl_show(SHOW_OUT.split("\n\n", maxsplit=1)[0], ["pcsd.service", "corosync.service"])


def test_shadow_hash():
    assert _node_state.shadow_hash(SHADOW, "hacluster") == "$6$rounds=656000$salt$hash"
    assert _node_state.shadow_hash(SHADOW, "hacl") is None


def test_everything_in_one_run(monkeypatch, tmp_path):
    key = tmp_path / "authkey"
    key.write_bytes(b"k" * 256)
    os.chmod(str(key), 0o400)
    (tmp_path / "watchdog.d").mkdir()
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW)
    monkeypatch.setattr(node_state, "SHADOW", str(shadow))
    args = {"packages": ["pcs", "corosync", "nosuch"], "units": ["pcsd.service", "corosync.service"],
            "paths": [{"path": str(key), "checksum": True}, {"path": str(tmp_path / "watchdog.d")},
                      {"path": str(tmp_path / "corosync.conf")}],
            "shadow": {"user": "hacluster", "hash": "$6$rounds=656000$salt$hash"}}
    result = run_module(node_state.main, args, commands=[
        {"command": DPKG + ["pcs", "corosync", "nosuch"], "rc": 1, "out": DPKG_OUT,
         "err": "dpkg-query: no packages found matching nosuch\n"},
        {"command": SHOW + ["pcsd.service", "corosync.service"], "out": SHOW_OUT}], monkeypatch=monkeypatch)
    assert not result.get("failed") and result["changed"] is False
    assert result["dpkg"] and result["packages"]["pcs"]["installed"] and not result["packages"]["nosuch"]["installed"]
    assert result["units"]["pcsd.service"]["ActiveState"] == "active" and result["units_show"] == SHOW_OUT
    facts = result["paths"][str(key)]
    assert facts["exists"] and facts["isreg"] and facts["mode"] == "0400" and facts["size"] == 256
    assert facts["checksum"] == hashlib.sha256(b"k" * 256).hexdigest()
    assert result["paths"][str(tmp_path / "watchdog.d")]["isdir"]
    assert "checksum" not in result["paths"][str(tmp_path / "watchdog.d")]
    assert result["paths"][str(tmp_path / "corosync.conf")] == {"exists": False}
    assert result["password_matches"] is True
    assert "$6$" not in repr(dict((k, v) for k, v in result.items() if k != "invocation"))


def test_check_mode_reads_the_same_and_a_differing_hash(monkeypatch, tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text(SHADOW)
    monkeypatch.setattr(node_state, "SHADOW", str(shadow))
    result = run_module(node_state.main, {"shadow": {"user": "hacluster", "hash": "$6$other"}}, check_mode=True,
                        commands=[], monkeypatch=monkeypatch)
    assert result["password_matches"] is False and result["_commands"] == []
    result = run_module(node_state.main, {"shadow": {"user": "nobody-here", "hash": "$6$other"}},
                        commands=[], monkeypatch=monkeypatch)
    assert result["password_matches"] is None


def test_without_dpkg_no_package_is_read(monkeypatch):
    result = run_module(node_state.main, {"packages": ["pcs"]}, commands=[], missing_binaries=["dpkg-query"],
                        monkeypatch=monkeypatch)
    assert not result.get("failed") and result["dpkg"] is False and result["packages"] == {}


def test_a_failing_systemctl_is_reported(monkeypatch):
    result = run_module(node_state.main, {"units": ["pcsd.service"]}, commands=[
        {"command": SHOW + ["pcsd.service"], "rc": 1, "out": "", "err": "Failed to connect to bus"}],
        monkeypatch=monkeypatch)
    assert result["failed"] and "systemctl show failed" in result["msg"]


def test_content_of_small_files_and_link_targets(monkeypatch, tmp_path):
    conf = tmp_path / "watchdog.conf"
    conf.write_bytes(b"interval = 2\nrealtime = no\n\xff\n")
    big = tmp_path / "big"
    big.write_bytes(b"x" * (node_state.CONTENT_LIMIT + 1))
    link = tmp_path / "fence_scsi_check"
    os.symlink("/usr/share/cluster/fence_scsi_check", str(link))
    args = {"paths": [{"path": str(conf), "content": True}, {"path": str(big), "content": True},
                      {"path": str(link), "content": True}, {"path": str(tmp_path), "content": True}]}
    result = run_module(node_state.main, args, commands=[], monkeypatch=monkeypatch)
    assert not result.get("failed")
    paths = result["paths"]
    assert paths[str(conf)]["content"] == u"interval = 2\nrealtime = no\n\ufffd\n"
    assert paths[str(conf)]["lnk_target"] is None
    # too large, a link (never followed) and a directory: no content, said with null
    assert paths[str(big)]["content"] is None and paths[str(big)]["size"] == node_state.CONTENT_LIMIT + 1
    assert paths[str(link)]["islnk"] and paths[str(link)]["content"] is None
    assert paths[str(link)]["lnk_target"] == "/usr/share/cluster/fence_scsi_check"
    assert paths[str(tmp_path)]["content"] is None


def test_follow_describes_what_a_link_points_to(monkeypatch, tmp_path):
    target = tmp_path / "dm-3"
    target.write_text(u"x")
    link = tmp_path / "prsbd"
    os.symlink(str(target), str(link))
    os.symlink(str(tmp_path / "gone"), str(tmp_path / "dangling"))
    args = {"paths": [{"path": str(link), "follow": True}, {"path": str(tmp_path / "dangling"), "follow": True},
                      {"path": "/dev/null", "follow": True}]}
    result = run_module(node_state.main, args, commands=[], monkeypatch=monkeypatch)
    followed = result["paths"][str(link)]
    assert followed["isreg"] and not followed["islnk"] and followed["lnk_target"] is None and not followed["isblk"]
    assert result["paths"][str(tmp_path / "dangling")] == {"exists": False}
    assert result["paths"]["/dev/null"]["ischr"] and not result["paths"]["/dev/null"]["isblk"]
    # not followed: the link itself
    args = {"paths": [{"path": str(link)}]}
    itself = run_module(node_state.main, args, commands=[], monkeypatch=monkeypatch)["paths"][str(link)]
    assert itself["islnk"] and itself["lnk_target"] == str(target) and not itself["isreg"]
