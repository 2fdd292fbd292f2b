# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/run-stages.sh and stage.sh on a stand-in Makefile: summary, why, lab retries, time budget."""

from __future__ import absolute_import, division, print_function

import os
import re
import shutil
import subprocess

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPTS = os.path.join(ROOT, "scripts")

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
molecule-slow:
\t@echo run >> slow.runs; sleep 1.2
molecule-new:
\t@touch new.ran
image-cold:
\t@if [ -f image.built ]; then echo warm; else sleep 1; touch image.built; echo built >> image.builds; fi
"""

# The stand-in budget: every target above but molecule-new; generous total.
BUDGET = """\
# stage budget
unit-ok          10   # a comment
unit-broken      10
molecule-flaky   10
molecule-broken  10
molecule-slow    1
image-cold       10
total            100
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "scripts").mkdir()
    for name in ("run-stages.sh", "stage.sh", "ci-budget.sh", "failure_digest.py"):
        shutil.copy(os.path.join(SCRIPTS, name), str(tmp_path / "scripts" / name))
    (tmp_path / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    (tmp_path / "ci-budget.txt").write_text(BUDGET, encoding="utf-8")
    return tmp_path


def run(project, *targets, **env):
    environ = dict(os.environ, **env)
    for name in ("HSC_STAGE_LOG", "HSC_CI_BUDGET", "HSC_BUDGET_MARGIN", "HSC_LAB_STAGE_RETRIES", "HSC_PREFETCH"):
        if name not in env:
            environ.pop(name, None)
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


def summary_row(stdout, stage):
    """(seconds, budget, result) of STAGE's row in the summary table."""
    match = re.search(r"^   %s +([0-9.]+) s +(\S+) s  (.*)$" % re.escape(stage), summary(stdout), re.M)
    assert match, summary(stdout)
    return float(match.group(1)), match.group(2), match.group(3)


def test_the_summary_shows_each_stage_and_the_total_against_its_budget(project):
    result = run(project, "unit-ok", "unit-broken")
    assert result.returncode == 1
    assert summary_row(result.stdout, "unit-ok")[1:] == ("10", "ok")
    assert summary_row(result.stdout, "unit-broken")[1:] == ("10", "FAILED (exit 2)")
    assert summary_row(result.stdout, "total")[1] == "100"
    assert "fails over budget +50%" in summary(result.stdout)


def test_a_stage_without_a_budget_fails_without_running(project):
    result = run(project, "molecule-new", "unit-ok")
    assert result.returncode == 1
    assert not (project / "molecule-new.ran").exists()
    assert "add a line 'molecule-new SECONDS'" in summary_row(result.stdout, "molecule-new")[2]
    assert "molecule-new#2" not in result.stdout
    end = summary(result.stdout)
    assert "ERROR: stage molecule-new has no budget" in end
    assert end.rstrip().splitlines()[-1] == "== FAILED: molecule-new"


def test_a_stage_over_its_budget_plus_the_margin_fails_and_is_not_retried(project):
    # molecule-slow passes in about 1.2 s; its budget is 1 s
    result = run(project, "molecule-slow", "unit-ok", HSC_BUDGET_MARGIN="0")
    assert result.returncode == 1
    seconds, budget, verdict = summary_row(result.stdout, "molecule-slow")
    assert seconds > 1 and budget == "1"
    assert verdict.startswith("FAILED (over budget: ") and "> 1 s +0% = 1 s" in verdict
    assert (project / "slow.runs").read_text(encoding="utf-8").count("run") == 1
    end = summary(result.stdout)
    assert "ERROR: stage molecule-slow over budget" in end
    assert end.rstrip().splitlines()[-1] == "== FAILED: molecule-slow"


def test_an_overrun_within_the_margin_passes(project):
    result = run(project, "molecule-slow", HSC_BUDGET_MARGIN="100")
    assert result.returncode == 0, result.stdout
    assert summary_row(result.stdout, "molecule-slow")[2] == "ok"


def test_no_retry_when_the_budget_does_not_fit_in_the_time_left(project):
    # total 100 s; unit-ok still to run keeps 10 s, so 90 s are left at most
    (project / "ci-budget.txt").write_text(BUDGET.replace("molecule-flaky   10", "molecule-flaky   91"),
                                           encoding="utf-8")
    result = run(project, "molecule-flaky", "unit-ok")
    assert result.returncode == 1
    assert "molecule-flaky#2" not in result.stdout
    assert "== stage molecule-flaky failed; not run again: its budget (91 s) does not fit in the" in result.stdout
    assert "10 s for the stages still to run" in result.stdout
    assert summary(result.stdout).rstrip().splitlines()[-1] == "== FAILED: molecule-flaky"


def test_a_retry_that_fits_the_time_left_runs(project):
    (project / "ci-budget.txt").write_text(BUDGET.replace("molecule-flaky   10", "molecule-flaky   89"),
                                           encoding="utf-8")
    result = run(project, "molecule-flaky", "unit-ok")
    assert result.returncode == 0, result.stdout
    assert summary_row(result.stdout, "molecule-flaky#2")[1:] == ("89", "ok")


def test_the_run_fails_when_its_total_overruns_the_total_budget(project):
    # molecule-slow (about 1.2 s, more on a loaded host) within its own 30 s,
    # not within the total 1 s
    budget = BUDGET.replace("total            100", "total            1")
    (project / "ci-budget.txt").write_text(budget.replace("molecule-slow    1", "molecule-slow    30"),
                                           encoding="utf-8")
    result = run(project, "molecule-slow", HSC_BUDGET_MARGIN="0")
    assert result.returncode == 1
    assert summary_row(result.stdout, "molecule-slow")[2] == "ok"
    assert summary_row(result.stdout, "total")[1:] == ("1", "over the total budget")
    assert "over its total budget: 1 s +0% = 1 s" in result.stdout
    assert summary(result.stdout).rstrip().splitlines()[-1] == "== FAILED: total"


@pytest.mark.parametrize("budget, env, message", [
    (BUDGET + "lint ten\n", {}, "lines must be 'STAGE SECONDS'"),
    (BUDGET + "lint 0\n", {}, "lines must be 'STAGE SECONDS'"),
    (BUDGET, {"HSC_BUDGET_MARGIN": "half"}, "HSC_BUDGET_MARGIN must be a whole number"),
    (BUDGET.replace("total            100", ""), {}, "has no 'total SECONDS' line"),
])
def test_a_broken_budget_is_refused_before_any_stage(project, budget, env, message):
    (project / "ci-budget.txt").write_text(budget, encoding="utf-8")
    result = run(project, "unit-ok", **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "== stage" not in result.stdout


def test_the_budget_file_can_be_elsewhere(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("budget") / "budget.txt"
    other.write_text("unit-ok 7\ntotal 50\n", encoding="utf-8")
    result = run(project, "unit-ok", HSC_CI_BUDGET=str(other))
    assert result.returncode == 0, result.stderr
    assert summary_row(result.stdout, "unit-ok")[1:] == ("7", "ok")
    assert summary_row(result.stdout, "total")[1] == "50"


def test_stage_sh_alone_times_a_stage_against_its_budget(project):
    # .ci/run runs the bootstrap this way, before make test
    script = str(project / "scripts" / "stage.sh")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HSC_")}
    ok = subprocess.run(["bash", script, "unit-ok", "true"], cwd=str(project), env=environ,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and re.search(r"== stage unit-ok: [0-9.]+ s of 10 s ok", ok.stdout), ok.stdout
    slow = subprocess.run(["bash", script, "molecule-slow", "sleep", "1.2"], cwd=str(project),
                          env=dict(environ, HSC_BUDGET_MARGIN="10"), capture_output=True, text=True, check=False)
    assert slow.returncode == 1 and "FAILED (over budget: " in slow.stdout
    missing = subprocess.run(["bash", script, "bootstrap", "touch", "ran"], cwd=str(project), env=environ,
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 3 and not (project / "ran").exists()


def test_the_committed_budget_covers_every_stage_and_fits_the_hour():
    """ci-budget.txt: a line for the bootstrap and every stage of make test; at most 60 min."""
    budget = {}
    with open(os.path.join(ROOT, "ci-budget.txt"), encoding="utf-8") as handle:
        for line in handle:
            fields = line.split("#", 1)[0].split()
            if fields:
                stage, seconds = fields
                assert stage not in budget, "%s twice" % stage
                budget[stage] = int(seconds)
    stages = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "test-stages"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert "lab-image" in stages and "molecule-default" in stages
    missing = [stage for stage in ["bootstrap"] + stages if stage not in budget]
    assert not missing, "stages of make test without a line in ci-budget.txt: %s" % missing
    assert budget["total"] <= 3600
    assert sum(budget[stage] for stage in ["bootstrap"] + stages) <= budget["total"]


def test_a_prefetched_build_runs_in_the_background_and_its_stage_finds_it_built(project):
    # molecule-slow stands for the checks before the image: the build (1 s) runs beside it
    result = run(project, "molecule-slow", "image-cold", HSC_PREFETCH="image-cold", HSC_BUDGET_MARGIN="100")
    assert result.returncode == 0, result.stdout
    assert "== image-cold started in the background" in result.stdout
    # built once, in the background; its own stage found it warm (the stand-in has no lock: the
    # 1.2 s stage before it gives the 1 s build time to finish)
    assert (project / "image.builds").read_text(encoding="utf-8").count("built") == 1
    assert float(summary_row(result.stdout, "image-cold")[0]) < 1


def test_no_prefetch_unless_asked(project):
    result = run(project, "image-cold")
    assert result.returncode == 0 and "background" not in result.stdout
    assert (project / "image.builds").read_text(encoding="utf-8").count("built") == 1
