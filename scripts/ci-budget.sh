# shellcheck shell=bash
# The CI time budget (ci-budget.txt beside the Makefile), sourced by
# scripts/stage.sh and scripts/run-stages.sh:
#   HSC_CI_BUDGET      the budget file (default: ROOT/ci-budget.txt)
#   HSC_BUDGET_MARGIN  percent a stage may run over its budget before it
#                      fails (default 50)
# Lines are `STAGE SECONDS`, `#` starts a comment.

budget_file=${HSC_CI_BUDGET:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/ci-budget.txt}
budget_margin=${HSC_BUDGET_MARGIN:-50}

# Fails (exit 2) on a margin that is not a whole number, a missing budget
# file, or a line whose seconds are not a whole number above 0.
budget_check() {
    if [[ ! $budget_margin =~ ^[0-9]+$ ]]; then
        echo "ci-budget: HSC_BUDGET_MARGIN must be a whole number of percent, not '$budget_margin'" >&2
        exit 2
    fi
    if [[ ! -f $budget_file ]]; then
        echo "ci-budget: no budget file $budget_file" >&2
        exit 2
    fi
    local bad
    bad=$(sed 's/#.*//' "$budget_file" | awk 'NF && (NF != 2 || $2 !~ /^[0-9]+$/ || $2 == 0) { print NR": "$0 }')
    if [[ -n $bad ]]; then
        echo "ci-budget: $budget_file: lines must be 'STAGE SECONDS' (seconds a whole number above 0):" >&2
        echo "$bad" >&2
        exit 2
    fi
}

# budget_of STAGE: prints STAGE's budget in seconds; fails when it has none.
# A retry's name (STAGE#2) has the budget of STAGE.
budget_of() {
    local seconds
    seconds=$(sed 's/#.*//' "$budget_file" | awk -v s="${1%%#*}" '$1 == s { print $2; exit }')
    [[ -n $seconds ]] && echo "$seconds"
}
