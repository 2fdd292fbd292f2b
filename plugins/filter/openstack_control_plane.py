# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenStack control plane design's builders as filters (docs in openstack_control_plane_cib.yml,
openstack_control_plane_haproxy.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_build_openstack
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import StackError


def _call(function, *args):
    try:
        return function(*args)
    except StackError as e:
        raise AnsibleFilterError(str(e))


def openstack_control_plane_cib(config):
    return _call(_cib_build_openstack.openstack_control_plane_cib, config)


def openstack_control_plane_haproxy(config):
    return _call(_cib_build_openstack.openstack_control_plane_haproxy, config)


def openstack_control_plane_feedback(config):
    return _call(_cib_build_openstack.openstack_control_plane_feedback, config)


class FilterModule(object):
    def filters(self):
        return {
            "openstack_control_plane_cib": openstack_control_plane_cib,
            "openstack_control_plane_haproxy": openstack_control_plane_haproxy,
            "openstack_control_plane_feedback": openstack_control_plane_feedback,
        }
