# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The environment the lab benchmarks run their tools in (molecule,
ansible-playbook): what the Makefile exports, so a benchmark started with
the venv's python finds the same tools and collections as ``make``."""

from __future__ import absolute_import, division, print_function

import os


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
