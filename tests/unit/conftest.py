# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

import importlib.util

import pytest

__metaclass__ = type


def _load_file_module(name, path):
    """Import a script that is not on the Python path (a role's files/, scripts/)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_file_module():
    """``load_file_module(name, path)`` imports the script at ``path`` as ``name``."""
    return _load_file_module
