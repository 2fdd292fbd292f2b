#!/usr/bin/env bash
# Runs make targets one after the other as timed stages (scripts/stage.sh),
# keeps going after a failure so one run shows every broken gate, then prints
# a summary table, then for each failed stage a few lines that say why
# (scripts/failure_digest.py over the stage's output: CI shows only the end
# of a long log), and fails if any stage failed:
#   scripts/run-stages.sh TARGET [TARGET...]
# Appends to HSC_STAGE_LOG when the caller set it (.ci/run does, to add the
# bootstrap stage to the same summary).
#
# A lab scenario (molecule-*) that fails is run once more from scratch
# (HSC_LAB_STAGE_RETRIES, default 1; 0 turns it off): it drives real
# clusters, fencing and failovers in containers on a shared 2-core host,
# where a timing fault of the host can fail one run. A retry is never
# hidden: the summary lists the failed attempt with why it failed, and the
# stage fails if its last attempt fails. Checks that run no lab (unit, lint,
# sanity, importer, integration) get no retry.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${HSC_STAGE_LOG:-} ]]; then
    HSC_STAGE_LOG=$(mktemp)
    trap 'rm -rf "$HSC_STAGE_LOG" "$HSC_STAGE_LOG.d"' EXIT
fi
export HSC_STAGE_LOG
lab_retries=${HSC_LAB_STAGE_RETRIES:-1}
if [[ ! $lab_retries =~ ^[0-9]+$ ]]; then
    echo "run-stages: HSC_LAB_STAGE_RETRIES must be a whole number, not '$lab_retries'" >&2
    exit 2
fi

why() {
    if [[ -f $HSC_STAGE_LOG.d/$1.log ]]; then
        python3 "$ROOT/scripts/failure_digest.py" "$HSC_STAGE_LOG.d/$1.log" | sed 's/^/   /'
    fi
}

failed_stages=()
retried_stages=()
for target in "$@"; do
    attempts=1
    if [[ $target == molecule-* ]]; then
        attempts=$((lab_retries + 1))
    fi
    for ((attempt = 1; attempt <= attempts; attempt++)); do
        name=$target
        if ((attempt > 1)); then
            name="$target#$attempt"
        fi
        if "$ROOT/scripts/stage.sh" "$name" make --no-print-directory -C "$ROOT" "$target"; then
            break
        fi
        if ((attempt < attempts)); then
            retried_stages+=("$name")
            echo "== stage $name failed; running it once more from scratch. Why it failed:"
            why "$name"
        else
            failed_stages+=("$name")
        fi
    done
done

echo
echo "== summary"
awk -F'\t' '{ total += $2; printf "   %-32s %8.1f s  %s\n", $1, $2, $3 }
            END { printf "   %-32s %8.1f s\n", "total", total }' "$HSC_STAGE_LOG"
for stage in "${retried_stages[@]}"; do
    echo "== $stage failed and was run again (see its line above); why the failed attempt failed:"
    why "$stage"
done
for stage in "${failed_stages[@]}"; do
    echo "== why $stage failed (the full output is above):"
    why "$stage"
done
if [[ ${#failed_stages[@]} -ne 0 ]]; then
    echo "== FAILED: ${failed_stages[*]}"
    exit 1
fi
exit 0
