# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters over the published cluster report (docs in cluster_report_html.yml,
cluster_report_text.yml, cluster_stack.yml and cluster_readers.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.module_utils._report import (
    choose_readers,
    find_stack,
    report_html,
    report_lines,
)


def _reports(value):
    reports = [value] if isinstance(value, Mapping) else list(value or [])
    for report in reports:
        if not isinstance(report, Mapping) or "stacks" not in report or "fencing" not in report:
            raise AnsibleFilterError("cluster report expected (the report of hastorage.cluster.pacemaker_info), got %r"
                                     % (report,))
    return reports


def cluster_report_html(value, title=None, generated=None):
    """One self-contained HTML page for one report or a list of reports."""
    return report_html(_reports(value), title=title, generated=generated)


def cluster_report_text(value):
    """The report(s) as lines of text (a blank line between clusters)."""
    lines = []
    for report in _reports(value):
        if lines:
            lines.append("")
        lines.extend(report_lines(report))
    return lines


def cluster_stack(value, name):
    """The stack of a report called ``name`` (id, group id, or group name without g_), or {}."""
    report = _reports(value)
    if len(report) != 1:
        raise AnsibleFilterError("cluster_stack: one cluster report expected, got %d" % len(report))
    return find_stack(report[0], name) or {} if name else {}


def _answered(result):
    return isinstance(result, Mapping) and not result.get("unreachable") and not result.get("skipped") \
        and not result.get("failed")


def cluster_readers(hosts, hostvars, ping_var, info_var=None, cluster_var="pacemaker_cluster_name"):
    """{cluster: the host to read it from} (see _report.choose_readers)."""
    entries = []
    for host in hosts:
        facts = hostvars.get(host) if isinstance(hostvars, Mapping) else None
        if facts is None:
            raise AnsibleFilterError("cluster_readers: no hostvars for %s" % host)
        info = facts.get(info_var) if info_var else None
        entries.append({
            "host": host,
            "cluster": facts.get(cluster_var) or "",
            "reachable": _answered(facts.get(ping_var)),
            "running": bool(info.get("running")) if _answered(info) else None,
            "quorum": bool(info.get("quorum")) if _answered(info) else None,
        })
    return choose_readers(entries)


class FilterModule(object):
    def filters(self):
        return {
            "cluster_report_html": cluster_report_html,
            "cluster_report_text": cluster_report_text,
            "cluster_readers": cluster_readers,
            "cluster_stack": cluster_stack,
        }
