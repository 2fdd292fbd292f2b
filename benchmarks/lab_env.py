# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab benchmarks share: the environment they run their tools in
(molecule, ansible-playbook; what the Makefile exports, so a benchmark
started with the venv's python finds the same tools and collections as
``make``), their common options (--runs, --keep, --no-converge) and their
molecule calls."""

from __future__ import absolute_import, division, print_function

import argparse
import os
import subprocess


def tool_environment(root, collections=None, **extra):
    """os.environ plus EXTRA, the venv's bin first on PATH (HSC_VENV, default
    ROOT/.venv) and ANSIBLE_COLLECTIONS_PATH: COLLECTIONS (default
    ROOT/build/collections, the working tree), then the test-time
    collections of the cache (HSC_CACHE_DIR, default ROOT/.cache)."""
    env = dict(os.environ, **extra)
    venv = env.get("HSC_VENV") or os.path.join(root, ".venv")
    cache = env.get("HSC_CACHE_DIR") or os.path.join(root, ".cache")
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
        [collections or os.path.join(root, "build", "collections"), os.path.join(cache, "collections")])
    return env


def lab_argument_parser(description, scenario, runs_help="how many runs (default 5)"):
    """An ArgumentParser with the options every lab benchmark has: --runs N
    (default 5), --keep (leave the lab up), --no-converge (reuse a lab of
    SCENARIO molecule already converged). Parse with parse_lab_args."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5, help=runs_help)
    parser.add_argument("--keep", action="store_true", help="leave the lab up at the end")
    parser.add_argument("--no-converge", action="store_true",
                        help="reuse a lab molecule already converged (molecule converge -s %s)" % scenario)
    return parser


def parse_lab_args(parser, argv):
    """PARSER's arguments from ARGV; --runs below 1 is refused."""
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def molecule(root, scenario, action, env):
    """``molecule ACTION -s SCENARIO`` from ROOT in ENV; raises when it fails."""
    subprocess.run(["molecule", action, "-s", scenario], cwd=root, env=env, check=True)
