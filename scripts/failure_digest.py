# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Say in a few lines why a stage failed, from the stage's full output.

CI keeps only the start and the end of a long run's output, and the cause of
a failure sits thousands of lines above the summary. scripts/run-stages.sh
calls this for every failed stage and prints the result after the summary:

    python3 scripts/failure_digest.py LOG [--failures 3] [--width 1500] [--tail 12]

Ansible output: the last failures that were not ignored (a task failure
followed by "...ignoring" is part of a test that expects it), each as its
task name and the failure's text folded onto one line. Any other output
(pytest, ansible-test, ansible-lint): its error lines, or else its last lines.
"""

from __future__ import absolute_import, division, print_function

import argparse
import re
import sys

__metaclass__ = type  # pylint: disable=invalid-name

TASK_HEADER = re.compile(r"^(TASK|RUNNING HANDLER) \[(?P<name>[^\]]*)")  # molecule may wrap the name
BLOCK_END = re.compile(r"^(TASK \[|RUNNING HANDLER \[|PLAY |PLAY RECAP|NO MORE HOSTS|\.\.\.ignoring|\[ERROR\]|\[WARNING\]"
                       r"|(ok|changed|skipping|included|fatal|failed): \[|==> |== |INFO |ERROR |DETAILS|SCENARIO RECAP)")
FAILURE_START = re.compile(r"^(fatal|failed): \[(?P<host>[^\]]+?)( -> [^\]]+)?\]")
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+: ok=\d+ .*\bfailed=(?P<failed>\d+)")
ERROR_LINE = re.compile(
    r"^(FAILED |ERROR[: ]|E   |.*: error: |.*Error: |[^ ]+:\d+(:\d+)?: "
    # ansible-lint: "rule[tag]: message", then "path:line", then "Failed: N failure(s)"
    r"|[\w-]+\[[\w-]+\]: |[^\s:]+:\d+(:\d+)?$|Failed: \d+ failure)")
NOISE = re.compile(r"^(FAILED - RETRYING|\s*$)|Warning: |^make(\[\d+\])?: \*\*\*")
# colour codes, and the frame molecule draws around a playbook's output
DECORATION = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FRAME = re.compile(r"^\s*[\u2502\u250c\u2514\u251c]\s?")


def plain(line):
    """A line without colour codes, molecule's frame and the line end."""
    return FRAME.sub("", DECORATION.sub("", line.rstrip("\n")))


def _play_failures(segment, failed_hosts, found):
    """Each failed host's last failure in a recap's segment, not yet in ``found``."""
    out = []
    for host in failed_hosts:
        mine = [failure for failure in segment if failure[1] == host]
        if mine and mine[-1] not in found:
            out.append(mine[-1])
    return out


def ansible_failures(lines):
    """The failures that failed a play, oldest first: (task, host, text).

    A failure runs from its "fatal:"/"failed:" line to the next task, play,
    host result or tool message. A task's failures followed by "...ignoring"
    (ignore_errors) are left out. At a PLAY RECAP only each host's last
    failure counts, and only for a host the recap counts as failed: a
    failure a rescue block handled (a test that expects it) is left out.
    Output that ends without a recap keeps the failures it has.
    """
    found = []
    segment = []  # failures since the last recap: [task, host, [lines]]
    pending = []  # the current task's failures, until "...ignoring" or the next task
    task = ""
    current = None
    in_recap = False
    failed_hosts = []
    for raw in lines:
        line = plain(raw)
        if in_recap:
            recap = RECAP_LINE.match(line)
            if recap:
                if int(recap.group("failed")):
                    failed_hosts.append(recap.group("host"))
                continue
            in_recap = False
            found.extend(_play_failures(segment, failed_hosts, found))
            segment, failed_hosts = [], []
        if current is not None and BLOCK_END.match(line):
            current = None
        if line.startswith("...ignoring"):
            pending = []
            continue
        header = TASK_HEADER.match(line)
        if header or line.startswith("PLAY RECAP"):
            segment.extend(pending)
            pending = []
            task = header.group("name") if header else task
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        start = FAILURE_START.match(line)
        if start:
            current = [task, start.group("host"), [line.strip()]]
            pending.append(current)
        elif current is not None and line.strip():
            current[2].append(line.strip())
    if in_recap:
        found.extend(_play_failures(segment, failed_hosts, found))
    else:
        found.extend(segment + pending)
    return [(name, host, " ".join(text)) for name, host, text in found]


def other_errors(lines):
    """Error lines of non-Ansible tools (pytest, ansible-test, linters)."""
    cleaned = (plain(line) for line in lines)
    return [line for line in cleaned if ERROR_LINE.match(line) and not NOISE.search(line)]


def fold(text, width):
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[:width - 3] + "..."


def digest(lines, failures=3, width=1500, tail=12):
    """The lines to print for one failed stage's output."""
    found = ansible_failures(lines)
    if found:
        out = []
        for name, host, text in found[-failures:]:
            out.append("task: %s (%s)" % (name or "(no task name)", host))
            out.append("  " + fold(text, width))
        return out
    errors = other_errors(lines)
    if errors:
        return [fold(line, width) for line in errors[-tail:]]
    kept = [line for line in (plain(line) for line in lines) if line.strip()]
    return [fold(line, width) for line in kept[-tail:]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("log")
    parser.add_argument("--failures", type=int, default=3, help="at most this many Ansible failures (the last ones)")
    parser.add_argument("--width", type=int, default=1500, help="fold each failure into at most this many characters")
    parser.add_argument("--tail", type=int, default=12, help="at most this many lines of other output")
    args = parser.parse_args(argv)
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        lines = handle.readlines()
    for line in digest(lines, args.failures, args.width, args.tail):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
