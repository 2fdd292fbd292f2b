# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' CIB builders as filters (docs in fence_devices.yml, nas_services_cib.yml,
nas_dual_controller_cib.yml, nas_dual_controller_services_groups.yml, nas_integrated_cib.yml,
nas_integrated_services_groups.yml, nas_integrated_lvm_filter.yml, nas_integrated_nfs_scope_dropin.yml, nas_gateway_check.yml, nas_gateway_luns.yml,
nas_gateway_services_groups.yml, nas_gateway_cib.yml, drbd_cib.yml, cib_merge.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.stack_to_cib import check_vip_networks
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_build, _cib_build_gateway
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import StackError


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except StackError as e:
        raise AnsibleFilterError(str(e))


def fence_devices(nodes, scsi_devices=None, mpath_devices=None, extra_devices=None, properties=None, sbd=None,
                  storage=None, order=None, levels=None):
    return _call(_cib_build.fence_devices, list(nodes or []), scsi_devices, mpath_devices, extra_devices, properties,
                 sbd, storage, order, levels)


def nas_services_cib(groups, nfs_server="ganesha", smb_enabled=True, kernel_layout="auto"):
    return _call(_cib_build.nas_services_objects, list(groups or []), nfs_server, smb_enabled, kernel_layout)


def nas_dual_controller_services_groups(groups):
    return _call(_cib_build.nas_dual_controller_services_groups, list(groups or []))


def _dual_controller(groups, services, management, location_score, stickiness, networks, tcp_tickle):
    groups = list(groups or [])
    if networks:
        stacks = _cib_build.nas_dual_controller_stacks(groups, services, location_score, stickiness, tcp_tickle)
        mgmt = _cib_build.nas_dual_controller_management_stack(management, location_score, stickiness)
        check_vip_networks(stacks + ([mgmt] if mgmt else []), networks)
    return _cib_build.nas_dual_controller_cib(groups, services, management, location_score, stickiness, tcp_tickle)


def nas_dual_controller_cib(groups, services, management=None, location_score=50, stickiness=100, networks=None,
                            tcp_tickle=False):
    return _call(_dual_controller, groups, services, management, location_score, stickiness, networks, tcp_tickle)


def nas_integrated_services_groups(groups):
    return _call(_cib_build.nas_integrated_services_groups, list(groups or []))


def nas_integrated_cib(config, services):
    return _call(_cib_build.nas_integrated_cib, config, services)


def nas_gateway_check(config):
    return _call(_cib_build_gateway.nas_gateway_check, config)


def nas_gateway_luns(groups):
    return _call(_cib_build_gateway.nas_gateway_luns, list(groups or []))


def nas_gateway_services_groups(groups):
    return _call(_cib_build_gateway.nas_gateway_services_groups, list(groups or []))


def nas_gateway_cib(config, services):
    return _call(_cib_build_gateway.nas_gateway_cib, config, services)


def nas_integrated_lvm_filter(udev_outputs, paths):
    return _call(_cib_build.lvm_global_filter, list(udev_outputs or []), list(paths or []))


def nas_integrated_nfs_scope_dropin(unit_text, scope):
    return _call(_cib_build.nfs_scope_dropin, unit_text, scope)


def drbd_cib(resources, hosts, monitor_promoted="29s", monitor_unpromoted="31s", timeouts=None):
    return _call(_cib_build.drbd_cib, list(resources or []), list(hosts or []), monitor_promoted,
                 monitor_unpromoted, timeouts)


def cib_merge(parts):
    return _call(_cib_build.merge, list(parts or []))


class FilterModule(object):
    def filters(self):
        return {
            "fence_devices": fence_devices,
            "nas_services_cib": nas_services_cib,
            "nas_dual_controller_services_groups": nas_dual_controller_services_groups,
            "nas_dual_controller_cib": nas_dual_controller_cib,
            "nas_integrated_services_groups": nas_integrated_services_groups,
            "nas_integrated_cib": nas_integrated_cib,
            "nas_integrated_lvm_filter": nas_integrated_lvm_filter,
            "nas_integrated_nfs_scope_dropin": nas_integrated_nfs_scope_dropin,
            "nas_gateway_check": nas_gateway_check,
            "nas_gateway_luns": nas_gateway_luns,
            "nas_gateway_services_groups": nas_gateway_services_groups,
            "nas_gateway_cib": nas_gateway_cib,
            "drbd_cib": drbd_cib,
            "cib_merge": cib_merge,
        }
