#!/usr/bin/env bash
# Runs one stage of the test pipeline and prints its wall time:
#   scripts/stage.sh NAME COMMAND [ARGS...]
#   == stage NAME: 12.3 s ok
# With HSC_STAGE_LOG set, also appends "NAME<TAB>SECONDS<TAB>RESULT" to that
# file and keeps the stage's output (stdout and stderr) in
# $HSC_STAGE_LOG.d/NAME.log: scripts/run-stages.sh reads both for the summary
# and the digest of why a stage failed. Exits with the command's status.
set -uo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 NAME COMMAND [ARGS...]" >&2
    exit 2
fi
name=$1
shift

echo "== stage $name: start $(date -u +%H:%M:%S)"
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
if [[ $rc -eq 0 ]]; then result=ok; else result="FAILED (exit $rc)"; fi
echo "== stage $name: $seconds s $result"
if [[ -n ${HSC_STAGE_LOG:-} ]]; then
    printf '%s\t%s\t%s\n' "$name" "$seconds" "$result" >>"$HSC_STAGE_LOG"
fi
exit "$rc"
