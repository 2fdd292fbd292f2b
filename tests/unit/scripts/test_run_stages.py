# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/run-stages.sh on a stand-in Makefile: summary, why, lab retries."""

from __future__ import absolute_import, division, print_function

import os
import shutil
import subprocess

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

SCRIPTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))

# molecule-flaky fails on its first run only; molecule-broken and unit-broken
# always fail, with an Ansible failure and a pytest failure line.
MAKEFILE = """\
unit-ok:
\t@echo all good
unit-broken:
\t@echo "FAILED tests/unit/test_x.py::test_y - assert 1 == 2"; exit 1
molecule-flaky:
\t@if [ -f flaky.ran ]; then echo second run passes; else touch flaky.ran; \\
\t  printf 'TASK [wait] ***\\nfatal: [node1]: FAILED! => {"msg": "timed out"}\\n'; exit 2; fi
molecule-broken:
\t@echo run >> broken.runs
\t@printf 'TASK [drill] ***\\nfatal: [node1]: FAILED! => {"msg": "1 record lost"}\\n'; exit 2
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "scripts").mkdir()
    for name in ("run-stages.sh", "stage.sh", "failure_digest.py"):
        shutil.copy(os.path.join(SCRIPTS, name), str(tmp_path / "scripts" / name))
    (tmp_path / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    return tmp_path


def run(project, *targets, **env):
    environ = dict(os.environ, **env)
    environ.pop("HSC_STAGE_LOG", None)
    return subprocess.run(["bash", str(project / "scripts" / "run-stages.sh")] + list(targets),
                          cwd=str(project), env=environ, capture_output=True, text=True, check=False)


def summary(stdout):
    return stdout[stdout.index("== summary"):]


def test_all_green(project):
    result = run(project, "unit-ok")
    assert result.returncode == 0
    assert "unit-ok" in summary(result.stdout) and "FAILED" not in result.stdout


def test_no_retry_when_turned_off(project):
    result = run(project, "unit-ok", "molecule-flaky", HSC_LAB_STAGE_RETRIES="0")
    assert result.returncode == 1
    assert "molecule-flaky#2" not in result.stdout
    assert summary(result.stdout).rstrip().splitlines()[-1] == "== FAILED: molecule-flaky"


def test_a_lab_stage_that_fails_once_is_retried_and_the_failure_stays_visible(project):
    result = run(project, "unit-ok", "molecule-flaky")
    assert result.returncode == 0, result.stdout + result.stderr
    end = summary(result.stdout)
    assert "molecule-flaky " in end and "FAILED (exit 2)" in end
    assert "molecule-flaky#2" in end
    assert "== molecule-flaky failed and was run again" in end
    assert 'fatal: [node1]: FAILED! => {"msg": "timed out"}' in end
    assert "== FAILED" not in end


def test_a_lab_stage_that_fails_every_time_fails_with_its_reason_last(project):
    result = run(project, "molecule-broken", "unit-ok")
    assert result.returncode == 1
    assert (project / "broken.runs").read_text(encoding="utf-8").count("run") == 2
    end = summary(result.stdout)
    assert end.rstrip().splitlines()[-1] == "== FAILED: molecule-broken#2"
    assert "== why molecule-broken#2 failed" in end
    assert "task: drill (node1)" in end and "1 record lost" in end


def test_other_stages_are_not_retried(project):
    result = run(project, "unit-broken", "unit-ok")
    assert result.returncode == 1
    end = summary(result.stdout)
    assert "unit-broken#2" not in result.stdout
    assert "FAILED tests/unit/test_x.py::test_y - assert 1 == 2" in end
    assert end.rstrip().splitlines()[-1] == "== FAILED: unit-broken"


def test_the_retry_count_is_checked(project):
    result = run(project, "unit-ok", HSC_LAB_STAGE_RETRIES="once")
    assert result.returncode == 2
    assert "HSC_LAB_STAGE_RETRIES must be a whole number" in result.stderr
