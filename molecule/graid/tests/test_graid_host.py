# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host state the graid role leaves on the lab node (graidctl EMULATOR):
the package installed, graid.service enabled and active, the fstab entry
ordered after it. Run before verify.yml fails drives."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

FSTAB_LINE = "/dev/gdg0n1 /srv/graid0 xfs noatime,x-systemd.requires=graid.service,nofail 0 0"


def test_the_graid_package_is_installed(host, stat):
    assert host.check_output("dpkg-query -W -f '${db:Status-Status} ${Version}' graid-sr-emulator") == "installed 1.7.2"
    assert stat("/usr/local/bin/graidctl")["/usr/local/bin/graidctl"].mode == 0o755


def test_graid_service_is_enabled_and_active(units):
    graid = units("graid")["graid"]
    assert graid.enabled and graid.active


def test_the_volume_is_in_fstab_after_graid_service(host):
    assert FSTAB_LINE in host.check_output("cat /etc/fstab").splitlines()
