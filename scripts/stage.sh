#!/usr/bin/env bash
# Runs one stage of the test pipeline and prints its wall time against its
# budget (ci-budget.txt, see scripts/ci-budget.sh):
#   scripts/stage.sh NAME COMMAND [ARGS...]
#   == stage NAME: 12.3 s of 45 s ok
# A stage with no budget line is not run and fails; a stage that takes more
# than its budget plus HSC_BUDGET_MARGIN percent (default 50) fails even when
# its command succeeded, so an overrun shows on a developer's machine before
# it breaks CI's limit. NAME#N (a retry) has the budget of NAME.
# With HSC_STAGE_LOG set, also appends "NAME<TAB>SECONDS<TAB>BUDGET<TAB>RESULT"
# to that file and keeps the stage's output (stdout and stderr) in
# $HSC_STAGE_LOG.d/NAME.log: scripts/run-stages.sh reads both for the summary
# and the digest of why a stage failed. Exits with the command's status, or
# 1 when only the budget failed it, or 3 when the stage has no budget.
set -uo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 NAME COMMAND [ARGS...]" >&2
    exit 2
fi
name=$1
shift
# shellcheck source=scripts/ci-budget.sh
. "$(dirname "${BASH_SOURCE[0]}")/ci-budget.sh"
budget_check

record() {
    if [[ -n ${HSC_STAGE_LOG:-} ]]; then
        printf '%s\t%s\t%s\t%s\n' "$name" "$1" "$2" "$3" >>"$HSC_STAGE_LOG"
    fi
}

if ! budget=$(budget_of "$name"); then
    result="FAILED (no budget: add a line '${name%%#*} SECONDS' to $budget_file)"
    echo "== stage $name: not run, $result"
    if [[ -n ${HSC_STAGE_LOG:-} ]]; then
        mkdir -p "$HSC_STAGE_LOG.d"
        echo "ERROR: stage ${name%%#*} has no budget in $budget_file" >"$HSC_STAGE_LOG.d/$name.log"
    fi
    record 0.0 - "$result"
    exit 3
fi

echo "== stage $name: start $(date -u +%H:%M:%S), budget $budget s"
start=$(date +%s.%N)
if [[ -n ${HSC_STAGE_LOG:-} ]]; then
    mkdir -p "$HSC_STAGE_LOG.d"
    "$@" 2>&1 | tee "$HSC_STAGE_LOG.d/$name.log"
    rc=${PIPESTATUS[0]}
else
    "$@"
    rc=$?
fi
end=$(date +%s.%N)
seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
limit=$(awk -v b="$budget" -v m="$budget_margin" 'BEGIN { printf "%g", b * (100 + m) / 100 }')
over=$(awk -v s="$seconds" -v l="$limit" 'BEGIN { print (s > l) ? 1 : 0 }')
overrun="over budget: $seconds s > $budget s +$budget_margin% = $limit s"
if [[ $rc -eq 0 && $over -eq 0 ]]; then
    result=ok
elif [[ $rc -eq 0 ]]; then
    result="FAILED ($overrun)"
    rc=1
elif [[ $over -eq 1 ]]; then
    result="FAILED (exit $rc, $overrun)"
else
    result="FAILED (exit $rc)"
fi
if [[ $over -eq 1 && -n ${HSC_STAGE_LOG:-} ]]; then
    echo "ERROR: stage $name $overrun (HSC_BUDGET_MARGIN; budgets in $budget_file)" >>"$HSC_STAGE_LOG.d/$name.log"
fi
echo "== stage $name: $seconds s of $budget s $result"
record "$seconds" "$budget" "$result"
exit "$rc"
