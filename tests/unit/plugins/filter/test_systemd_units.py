# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""systemd_units_to_change: only units certainly in the wanted state are left out."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.systemd_units import parse_show, systemd_units_to_change

# systemctl show --property=Id,LoadState,UnitFileState,ActiveState -- (systemd 252, Debian 12): an unknown
# unit is named as asked, with LoadState=not-found and an empty UnitFileState
SHOW = """Id=smbd.service
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled

Id=rpcbind.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=nfs-ganesha-lock.service
LoadState=not-found
ActiveState=inactive
UnitFileState=

Id=nfs-server.service
LoadState=loaded
ActiveState=inactive
UnitFileState=static
"""


def test_parse_show_keeps_the_blocks_in_order():
    blocks = parse_show(SHOW)
    assert [b["Id"] for b in blocks] == ["smbd.service", "rpcbind.service", "nfs-ganesha-lock.service",
                                         "nfs-server.service"]
    assert blocks[2]["UnitFileState"] == ""


def test_units_already_as_wanted_are_left_out():
    wanted = {"smbd.service": {"enabled": False}, "rpcbind.service": {"enabled": True, "state": "started"},
              "nfs-ganesha-lock.service": {"enabled": False}, "nfs-server.service": {"enabled": False}}
    # static is not certainly "disabled": the module decides
    assert systemd_units_to_change(SHOW, wanted) == ["nfs-server.service"]


@pytest.mark.parametrize("unit,want", [
    ("smbd.service", {"enabled": True}),
    ("smbd.service", {"state": "started"}),
    ("rpcbind.service", {"enabled": False}),
    ("rpcbind.service", {"state": "stopped"}),
    ("nfs-ganesha-lock.service", {"enabled": True}),
    ("nfs-ganesha-lock.service", {"state": "started"}),
])
def test_a_unit_that_differs_is_listed(unit, want):
    assert systemd_units_to_change(SHOW, {unit: want}) == [unit]


def test_a_missing_unit_that_must_be_off_is_left_out():
    assert systemd_units_to_change(SHOW, {"nfs-ganesha-lock.service": {"enabled": False, "state": "stopped"}}) == []


def test_an_alias_is_matched_by_position_and_an_unnamed_unit_is_listed():
    show = "Id=nfs-server.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
    # asked as its alias nfs-kernel-server.service: systemctl answers with the unit's own Id
    assert systemd_units_to_change(show, {"nfs-kernel-server.service": {"enabled": True}}) == []
    # output that does not name a unit (fewer blocks than units): the module decides
    assert systemd_units_to_change(show, {"a.service": {"enabled": True}, "b.service": {"enabled": True}}) == \
        ["a.service", "b.service"]


def test_a_templated_boolean_string_counts_as_that_boolean():
    # ansible-core without native types hands "False" to the filter
    assert systemd_units_to_change(SHOW, {"smbd.service": {"enabled": "False"}}) == []
    assert systemd_units_to_change(SHOW, {"smbd.service": {"enabled": "true"}}) == ["smbd.service"]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="enabled must be a boolean"):
        systemd_units_to_change(SHOW, {"smbd.service": {"enabled": "sometimes"}})
    with pytest.raises(AnsibleFilterError, match="state must be started or stopped"):
        systemd_units_to_change(SHOW, {"smbd.service": {"state": "restarted"}})
    with pytest.raises(AnsibleFilterError, match="wanted must be a dictionary"):
        systemd_units_to_change(SHOW, ["smbd.service"])
