# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""config_files on a temporary tree: plan, write, check mode, diff, validation, refusals."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.hastorage.cluster.plugins.modules import config_files
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

SECRET = "password = s3cr3t-value\n"


def run(monkeypatch, args, **kwargs):
    return run_module(config_files.main, args, monkeypatch=monkeypatch, **kwargs)


def tree(tmp_path):
    return {"directories": [{"path": str(tmp_path / "conf.d"), "mode": "0750"}],
            "files": [{"path": str(tmp_path / "conf.d" / "a.conf"), "content": "a = 1\n"},
                      {"path": str(tmp_path / "agent"), "content": "#!/bin/sh\n", "mode": "0755"}]}


def test_writes_what_is_missing_then_nothing(monkeypatch, tmp_path):
    result = run(monkeypatch, tree(tmp_path))
    assert result["changed"] and not result.get("failed")
    assert result["changed_paths"] == [str(tmp_path / "conf.d"), str(tmp_path / "conf.d" / "a.conf"),
                                       str(tmp_path / "agent")]
    assert (tmp_path / "conf.d" / "a.conf").read_text() == "a = 1\n"
    assert oct(os.stat(str(tmp_path / "conf.d")).st_mode & 0o7777) == "0o750"
    assert oct(os.stat(str(tmp_path / "agent")).st_mode & 0o7777) == "0o755"
    assert oct(os.stat(str(tmp_path / "conf.d" / "a.conf")).st_mode & 0o7777) == "0o644"
    # no temporary file left beside them
    assert sorted(os.listdir(str(tmp_path / "conf.d"))) == ["a.conf"]
    again = run(monkeypatch, tree(tmp_path))
    assert not again["changed"] and again["changed_paths"] == [] and again["actions"] == {}


def test_check_mode_plans_and_writes_nothing(monkeypatch, tmp_path):
    result = run(monkeypatch, tree(tmp_path), check_mode=True, diff=True)
    assert result["changed"] and len(result["changed_paths"]) == 3
    assert result["actions"][str(tmp_path / "conf.d")] == ["mkdir"]
    assert not (tmp_path / "conf.d").exists() and not (tmp_path / "agent").exists()
    assert [d["after"] for d in result["diff"]] == ["a = 1\n", "#!/bin/sh\n"]


def test_a_changed_content_is_replaced_and_shown(monkeypatch, tmp_path):
    run(monkeypatch, tree(tmp_path))
    args = tree(tmp_path)
    args["files"][0]["content"] = "a = 2\n"
    result = run(monkeypatch, args, diff=True)
    assert result["changed_paths"] == [str(tmp_path / "conf.d" / "a.conf")]
    assert result["diff"] == [{"before_header": str(tmp_path / "conf.d" / "a.conf"),
                               "after_header": str(tmp_path / "conf.d" / "a.conf"),
                               "before": "a = 1\n", "after": "a = 2\n"}]
    assert (tmp_path / "conf.d" / "a.conf").read_text() == "a = 2\n"


def test_mode_and_owner_alone_are_set_without_rewriting(monkeypatch, tmp_path):
    run(monkeypatch, tree(tmp_path))
    path = tmp_path / "conf.d" / "a.conf"
    os.chmod(str(path), 0o600)
    os.chown(str(path), 1, 1)
    inode = os.stat(str(path)).st_ino
    result = run(monkeypatch, tree(tmp_path), diff=True)
    assert result["actions"] == {str(path): ["chmod", "chown"]} and result["diff"] == []
    st = os.stat(str(path))
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid, st.st_ino) == (0o644, 0, 0, inode)


def test_a_secret_never_shows(monkeypatch, tmp_path):
    args = {"files": [{"path": str(tmp_path / "s.conf"), "content": SECRET, "mode": "0600", "sensitive": True},
                      {"path": str(tmp_path / "plain.conf"), "content": "plain = 1\n"}]}
    seen = {}
    real = config_files.run_module

    def spy(module):
        seen["module"] = module
        return real(module)

    monkeypatch.setattr(config_files, "run_module", spy)
    result = run(monkeypatch, args, diff=True)
    assert "s3cr3t" not in json.dumps(result)
    assert result["diff"][0]["after"] == "(content not shown, changed)\n"
    # what AnsibleModule masks in all it prints (its arguments too): the secret, not the plain file
    assert SECRET in seen["module"].no_log_values and "plain = 1\n" not in seen["module"].no_log_values
    assert result["diff"][1]["after"] == "plain = 1\n"
    assert (tmp_path / "s.conf").read_text() == SECRET


def test_validation_runs_on_the_new_file_and_a_failure_keeps_the_old(monkeypatch, tmp_path):
    path = tmp_path / "smb.conf"
    path.write_text("old\n")
    args = {"files": [{"path": str(path), "content": "new\n", "validate": ["testparm", "-s", "%s"]}]}
    seen = []

    # the temporary file's name is not known in advance: accept any argv of that shape
    from ansible_collections.hastorage.cluster.tests.unit import fake_runner

    def fake(self, argv, **kwargs):
        seen.append(list(argv))
        assert argv[:2] == ["testparm", "-s"] and os.path.dirname(argv[2]) == str(tmp_path)
        assert open(argv[2]).read() == "new\n"
        assert kwargs.get("environ_update", {}).get("LC_ALL") == "C"
        return (1, "", "bad line 1") if len(seen) == 1 else (0, "", "")

    monkeypatch.setattr(fake_runner.basic.AnsibleModule, "run_command", fake, raising=True)
    monkeypatch.setattr(fake_runner.FakeRunner, "run_command", lambda self, module, argv, **kw: fake(module, argv, **kw))
    result = run(monkeypatch, args)
    assert result["failed"] and "failed validation" in result["msg"] and "bad line 1" in result["msg"]
    assert path.read_text() == "old\n" and os.listdir(str(tmp_path)) == ["smb.conf"]
    result = run(monkeypatch, args)
    assert not result.get("failed") and path.read_text() == "new\n"


def test_refusals_come_before_anything_is_written(monkeypatch, tmp_path):
    os.symlink("/etc/hostname", str(tmp_path / "link"))
    first = {"path": str(tmp_path / "first.conf"), "content": "x\n"}
    cases = [
        ({"path": str(tmp_path / "link"), "content": "x\n"}, "is a link here"),
        ({"path": str(tmp_path / "nodir" / "x.conf"), "content": "x\n"}, "does not exist (list it under directories)"),
        ({"path": "relative.conf", "content": "x\n"}, "must be an absolute file name"),
        ({"path": str(tmp_path / "m.conf"), "content": "x\n", "mode": "rw-r--r--"}, "is not an octal number"),
        ({"path": str(tmp_path / "o.conf"), "content": "x\n", "owner": "no-such-user-hsc"}, "is not a user"),
        ({"path": str(tmp_path / "v.conf"), "content": "x\n", "validate": ["testparm"]}, "must have an argument %s"),
        (dict(first), "listed twice"),
        ({"path": str(tmp_path) + "//first.conf", "content": "y\n"}, "listed twice"),
        ({"path": str(tmp_path / "t.conf"), "template": "t.j2"}, "read by the action plugin"),
    ]
    for item, message in cases:
        result = run(monkeypatch, {"files": [first, item]})
        assert result["failed"] and message in result["msg"], (item, result["msg"])
        assert not (tmp_path / "first.conf").exists(), item
    os.mkdir(str(tmp_path / "d.conf"))
    result = run(monkeypatch, {"files": [first, {"path": str(tmp_path / "d.conf"), "content": "x\n"}]})
    assert "is a dir here, not a regular file" in result["msg"] and not (tmp_path / "first.conf").exists()
    (tmp_path / "plain").write_text("")
    result = run(monkeypatch, {"directories": [{"path": str(tmp_path / "plain")}], "files": [first]})
    assert "is a file here, not a directory" in result["msg"]
    assert os.path.realpath(str(tmp_path / "link")) == "/etc/hostname"
