#!/usr/bin/env bash
# Runs make targets one after the other as timed stages (scripts/stage.sh),
# keeps going after a failure so one run shows every broken gate, then prints
# a summary table, then for each failed stage a few lines that say why
# (scripts/failure_digest.py over the stage's output: CI shows only the end
# of a long log), and fails if any stage failed:
#   scripts/run-stages.sh TARGET [TARGET...]
# Appends to HSC_STAGE_LOG when the caller set it (.ci/run does, to add the
# bootstrap stage to the same summary).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${HSC_STAGE_LOG:-} ]]; then
    HSC_STAGE_LOG=$(mktemp)
    trap 'rm -rf "$HSC_STAGE_LOG" "$HSC_STAGE_LOG.d"' EXIT
fi
export HSC_STAGE_LOG

failed=0
for target in "$@"; do
    "$ROOT/scripts/stage.sh" "$target" make --no-print-directory -C "$ROOT" "$target" || failed=1
done

echo
echo "== summary"
awk -F'\t' '{ total += $2; printf "   %-28s %8.1f s  %s\n", $1, $2, $3 }
            END { printf "   %-28s %8.1f s\n", "total", total }' "$HSC_STAGE_LOG"
if [[ $failed -ne 0 ]]; then
    failed_stages=$(awk -F'\t' '$3 != "ok" { printf "%s ", $1 }' "$HSC_STAGE_LOG")
    for stage in $failed_stages; do
        if [[ -f $HSC_STAGE_LOG.d/$stage.log ]]; then
            echo "== why $stage failed (the full output is above):"
            python3 "$ROOT/scripts/failure_digest.py" "$HSC_STAGE_LOG.d/$stage.log" | sed 's/^/   /'
        fi
    done
    echo "== FAILED: $failed_stages"
fi
exit $failed
