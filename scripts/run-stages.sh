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
# Every stage has a time budget (ci-budget.txt, scripts/ci-budget.sh): the
# summary shows each stage's time against it and the run's total against
# the `total` line; scripts/stage.sh fails a stage that has no budget or
# overruns it by more than HSC_BUDGET_MARGIN percent.
#
# A lab scenario (molecule-*) that fails is run once more from scratch
# (HSC_LAB_STAGE_RETRIES, default 1; 0 turns it off): it drives real
# clusters, fencing and failovers in containers on a shared 2-core host,
# where a timing fault of the host can fail one run. A retry is never
# hidden: the summary lists the failed attempt with why it failed, and the
# stage fails if its last attempt fails. Checks that run no lab (unit, lint,
# sanity, importer, integration) get no retry. A retry runs only when the
# stage's budget fits in the time left: `total` minus the time the run took
# so far (every stage in HSC_STAGE_LOG, .ci/run's bootstrap too) minus the
# budgets of the stages still to run.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/ci-budget.sh
. "$ROOT/scripts/ci-budget.sh"
budget_check
if ! total_budget=$(budget_of total); then
    echo "run-stages: $budget_file has no 'total SECONDS' line (the budget of the whole run)" >&2
    exit 2
fi
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

# Builds that only warm a cache (HSC_PREFETCH: make targets, e.g. the lab
# images) start at once in the background, one job each, so a cold build
# overlaps the checks that come first. Each still has its stage: when it
# comes, the same make target waits on the build's host lock (labctl and
# umlctl take one) and finds the cache warm, or builds it again if the
# background build failed. Their output: HSC_STAGE_LOG.d/prefetch-<target>.log.
prefetch_pids=()
for target in ${HSC_PREFETCH:-}; do
    mkdir -p "$HSC_STAGE_LOG.d"
    make --no-print-directory -C "$ROOT" "$target" > "$HSC_STAGE_LOG.d/prefetch-$target.log" 2>&1 &
    prefetch_pids+=("$!")
    echo "== $target started in the background: its stage will find it built"
done

# Seconds the run took so far: every stage recorded in HSC_STAGE_LOG.
elapsed() {
    awk -F'\t' '{ total += $2 } END { printf "%d", total + 0.5 }' "$HSC_STAGE_LOG"
}

# budgets_of STAGE...: the sum of their budgets (a stage without one counts 0:
# it fails without running).
budgets_of() {
    local stage sum=0 seconds
    for stage in "$@"; do
        if seconds=$(budget_of "$stage"); then
            sum=$((sum + seconds))
        fi
    done
    echo "$sum"
}

why() {
    if [[ -f $HSC_STAGE_LOG.d/$1.log ]]; then
        python3 "$ROOT/scripts/failure_digest.py" "$HSC_STAGE_LOG.d/$1.log" | sed 's/^/   /'
    fi
}

failed_stages=()
retried_stages=()
targets=("$@")
for ((index = 0; index < ${#targets[@]}; index++)); do
    target=${targets[index]}
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
        last_result=$(tail -n 1 "$HSC_STAGE_LOG" | cut -f4)
        if ((attempt < attempts)) && [[ $last_result == "FAILED (no budget"* || $last_result == "FAILED (over budget"* ]]; then
            # a budget failure, not a timing fault of the lab: no retry
            failed_stages+=("$name")
            break
        fi
        if ((attempt < attempts)); then
            budget=$(budget_of "$target")
            reserved=$(budgets_of "${targets[@]:index+1}")
            left=$((total_budget - $(elapsed) - reserved))
            if ((budget > left)); then
                echo "== stage $name failed; not run again: its budget ($budget s) does not fit in the $left s left" \
                    "(total $total_budget s, $(elapsed) s used, $reserved s for the stages still to run)"
                failed_stages+=("$name")
                break
            fi
            retried_stages+=("$name")
            echo "== stage $name failed; running it once more from scratch. Why it failed:"
            why "$name"
        else
            failed_stages+=("$name")
        fi
    done
done

# a prefetch whose stage was not in the list, or that still runs: wait for it
for pid in "${prefetch_pids[@]}"; do
    wait "$pid" || true
done

echo
echo "== summary"
echo "   stage                               time    budget  result (fails over budget +$budget_margin%)"
awk -F'\t' -v budget="$total_budget" '
    { total += $2; printf "   %-32s %8.1f s %6s s  %s\n", $1, $2, $3, $4 }
    END { printf "   %-32s %8.1f s %6s s  %s\n", "total", total, budget, (total > budget) ? "over the total budget" : "" }' "$HSC_STAGE_LOG"
for stage in "${retried_stages[@]}"; do
    echo "== $stage failed and was run again (see its line above); why the failed attempt failed:"
    why "$stage"
done
for stage in "${failed_stages[@]}"; do
    echo "== why $stage failed (the full output is above):"
    why "$stage"
done
total_limit=$(awk -v b="$total_budget" -v m="$budget_margin" 'BEGIN { printf "%g", b * (100 + m) / 100 }')
total_seconds=$(awk -F'\t' '{ total += $2 } END { printf "%.1f", total }' "$HSC_STAGE_LOG")
if awk -v s="$total_seconds" -v l="$total_limit" 'BEGIN { exit !(s > l) }'; then
    echo "== the run took $total_seconds s, over its total budget: $total_budget s +$budget_margin% = $total_limit s"
    failed_stages+=(total)
fi
if [[ ${#failed_stages[@]} -ne 0 ]]; then
    echo "== FAILED: ${failed_stages[*]}"
    exit 1
fi
exit 0
