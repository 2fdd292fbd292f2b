# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/failure_digest.py: which failure made a stage fail."""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

SCRIPT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "failure_digest.py"))


@pytest.fixture(scope="module")
def digest_module(load_file_module):
    return load_file_module("failure_digest", SCRIPT)


IGNORED_THEN_FATAL = """\
TASK [graid_drive_group : Delete while it is held open is refused] *************
[ERROR]: Task failed: Module failed: refusing to delete drive group 0
fatal: [testhost]: FAILED! => {"changed": false, "msg": "refusing to delete drive group 0"}
...ignoring

TASK [Read back every acknowledged record] *************************************
ok: [node1 -> localhost]

TASK [Fail if data was lost or a group did not come back] **********************
fatal: [node1]: FAILED! =>
  assertion: drill_summary.rpo_records_lost | int == 0
  changed: false
  evaluated_to: false
  msg: 'Drill failed: 1 acknowledged records were not readable'

NO MORE HOSTS LEFT *************************************************************

PLAY RECAP *********************************************************************
node1                      : ok=40   changed=9    unreachable=0    failed=1    skipped=3    rescued=0    ignored=1
node2                      : ok=3    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0

ERROR    Molecule executed 1 scenario (1 failed)
"""


def test_the_play_failure_not_the_ignored_one(digest_module):
    found = digest_module.ansible_failures(IGNORED_THEN_FATAL.splitlines(True))
    assert [(task, host) for task, host, _text in found] == [
        ("Fail if data was lost or a group did not come back", "node1")]
    assert "Drill failed: 1 acknowledged records" in found[0][2]
    # the YAML block is folded onto one line, the next play's noise is not in it
    assert "NO MORE HOSTS" not in found[0][2]
    assert "\n" not in found[0][2]


RESCUED_THEN_RECAP_OK = """\
TASK [nas_services : Check NFS exports (ids, pseudo paths, clients)] ***********
fatal: [testhost]: FAILED! => {"assertion": "ids unique", "msg": "NFS exports: export ids must be unique"}

TASK [Check the refusal] *******************************************************
ok: [testhost]

PLAY RECAP *********************************************************************
testhost                   : ok=12   changed=0    unreachable=0    failed=0    skipped=0    rescued=1    ignored=0

"""


def test_a_rescued_failure_is_not_a_cause(digest_module):
    assert digest_module.ansible_failures(RESCUED_THEN_RECAP_OK.splitlines(True)) == []


LOOP_ITEMS_IGNORED = """\
TASK [Try each bad input] ******************************************************
failed: [testhost] (item=a) => {"msg": "bad a"}
failed: [testhost] (item=b) => {"msg": "bad b"}
...ignoring

TASK [Converge] ****************************************************************
failed: [node2 -> node1] (item=g2) => {"msg": "timeout on g2"}
ok: [node2] (item=g3)

PLAY RECAP *********************************************************************
node2                      : ok=2    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=1
"""


def test_ignored_loop_items_and_delegated_hosts(digest_module):
    found = digest_module.ansible_failures(LOOP_ITEMS_IGNORED.splitlines(True))
    assert found == [("Converge", "node2", 'failed: [node2 -> node1] (item=g2) => {"msg": "timeout on g2"}')]


def test_only_each_failed_host_s_last_failure_counts(digest_module):
    log = """\
TASK [first] ***
fatal: [a]: FAILED! => {"msg": "rescued one"}

TASK [second] ***
fatal: [a]: FAILED! => {"msg": "the one"}
fatal: [b]: FAILED! => {"msg": "b's"}

PLAY RECAP ***
a                          : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=1    ignored=0
b                          : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
"""
    found = digest_module.ansible_failures(log.splitlines(True))
    assert [(task, host) for task, host, _text in found] == [("second", "a"), ("second", "b")]


def test_output_cut_before_the_recap_keeps_its_failures(digest_module):
    log = "TASK [wait] ***\nfatal: [n1]: FAILED! => {\"msg\": \"timed out\"}\n"
    assert digest_module.ansible_failures(log.splitlines(True)) == [("wait", "n1", 'fatal: [n1]: FAILED! => {"msg": "timed out"}')]


def test_molecule_frame_and_colour_are_stripped(digest_module):
    log = ("  \x1b[2m\u2502\x1b[0m TASK [hastorage.cluster.nas_dual_controller : Wait] ***\n"
           "  \x1b[2m\u2502\x1b[0m \x1b[31mfatal: [node1]: FAILED! => {\"rc\": 124}\x1b[0m\n"
           "  \x1b[2m\u2502\x1b[0m PLAY RECAP ***\n"
           "  \x1b[2m\u2502\x1b[0m node1                      : ok=3    changed=0    unreachable=0    failed=1    skipped=0\n")
    found = digest_module.ansible_failures(log.splitlines(True))
    assert found == [("hastorage.cluster.nas_dual_controller : Wait", "node1", 'fatal: [node1]: FAILED! => {"rc": 124}')]


def test_digest_folds_and_limits(digest_module):
    lines = digest_module.digest(IGNORED_THEN_FATAL.splitlines(True), width=60)
    assert lines[0] == "task: Fail if data was lost or a group did not come back (node1)"
    assert len(lines[1]) <= 62 and lines[1].endswith("...")


def test_other_tools_give_their_error_lines(digest_module):
    log = """\
============================= test session starts ==============================
tests/unit/test_x.py ..F.
FAILED tests/unit/test_x.py::test_three - AssertionError: 1 != 2
========================= 1 failed, 3 passed in 0.50s ==========================
"""
    assert digest_module.digest(log.splitlines(True)) == ["FAILED tests/unit/test_x.py::test_three - AssertionError: 1 != 2"]


ANSIBLE_LINT = """\
ansible-lint --profile production
WARNING  Skipped installing collection dependencies due to running in offline mode.
/venv/lib/python3.11/site-packages/ansible/_internal/_yaml/_constructor.py:78: AnsibleWarning: Found duplicate mapping key 'x'.
  display.warning(msg=msg, obj=key, help_text='Using last defined value only.')
WARNING  Listing 1 violation(s) that are fatal
yaml[key-duplicates]: Duplication of key "callbacks_enabled" in mapping
molecule/pacemaker_stack/molecule.yml:48

Read documentation for instructions on how to ignore specific rule violations.

  1 yaml profile:basic tags:formatting,yaml

Failed: 1 failure(s), 0 warning(s) in 221 files processed of 389 encountered.
make[1]: *** [Makefile:127: lint] Error 2
"""


def test_ansible_lint_gives_the_rule_the_place_and_the_count(digest_module):
    assert digest_module.digest(ANSIBLE_LINT.splitlines(True)) == [
        'yaml[key-duplicates]: Duplication of key "callbacks_enabled" in mapping',
        "molecule/pacemaker_stack/molecule.yml:48",
        "Failed: 1 failure(s), 0 warning(s) in 221 files processed of 389 encountered."]


def test_without_error_lines_the_end_of_the_output(digest_module):
    log = "".join("line %d\n\n" % number for number in range(30))
    assert digest_module.digest(log.splitlines(True), tail=3) == ["line 27", "line 28", "line 29"]


def test_command_line(tmp_path):
    log = tmp_path / "stage.log"
    log.write_text(IGNORED_THEN_FATAL, encoding="utf-8")
    out = subprocess.run([sys.executable, SCRIPT, str(log), "--width", "80"], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    assert out[0] == "task: Fail if data was lost or a group did not come back (node1)"
    assert out[1].startswith("  fatal: [node1]: FAILED! => assertion: drill_summary.rpo_records_lost")
