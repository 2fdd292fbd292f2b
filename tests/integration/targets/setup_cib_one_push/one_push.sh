#!/usr/bin/env bash
# Sourced by the design targets' runme.sh (aliases: needs/target/setup_cib_one_push):
#
#   source ../setup_cib_one_push/one_push.sh
#   [HSC_CIB_NODES="NODE..."] hsc_one_push_check TARGET WORK "HOST..." SECRETS_ERE ANSIBLE_PLAYBOOK_ARGS...
#
# Converges the target's converge.yml twice on the inventory hosts HOST...
# into an offline CIB file (WORK/cib.xml with the cluster's nodes: HSC_CIB_NODES
# when the cluster names its nodes otherwise than the inventory, else HOST...;
# pcs_cib refuses a location or fencing level on a node the CIB does not
# have) and checks what every design
# promises: the first run makes exactly the design's push (the pacemaker and
# drbd roles' own pushes skipped) and bumps the epoch by one; the second run
# pushes nothing, reports 0 changed on every node and leaves the epoch; no
# line of either run matches SECRETS_ERE; crm_verify finds no error.
# converge.yml prints "pushes: pacemaker=... drbd=... design=<changed>".
# Logs: WORK/converge1.log, WORK/converge2.log; the CIB stays in WORK/cib.xml.

hsc_cib_epoch() {
    python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("epoch"))' "$1"
}

hsc_one_push_check() {
    local target=$1 work=$2 hosts=$3 secrets=$4 run before after node host id=0
    shift 4
    cibadmin --empty > "$work/cib.xml"
    # every node of the cluster, as Pacemaker's controller lists them from corosync's nodelist
    for node in ${HSC_CIB_NODES:-$hosts}; do
        id=$((id + 1))
        CIB_file="$work/cib.xml" cibadmin -C -o nodes -X "<node id=\"$id\" uname=\"$node\"/>"
    done
    before=$(hsc_cib_epoch "$work/cib.xml")
    for run in 1 2; do
        ansible-playbook "$@" converge.yml -e "hsc_cib=$work/cib.xml" > "$work/converge$run.log" 2>&1 \
            || { cat "$work/converge$run.log"; exit 1; }
    done
    cat "$work/converge1.log"
    after=$(hsc_cib_epoch "$work/cib.xml")
    grep -q 'pushes: pacemaker=skipped drbd=skipped design=True' "$work/converge1.log" \
        || { echo "$target: the first run did not make exactly the design's push" >&2; exit 1; }
    [[ $after -eq $((before + 1)) ]] \
        || { echo "$target: epoch $before -> $after: one push bumps it by one" >&2; exit 1; }
    grep -q 'pushes: pacemaker=skipped drbd=skipped design=False' "$work/converge2.log" \
        || { cat "$work/converge2.log"; echo "$target: the second run changed the CIB" >&2; exit 1; }
    for host in $hosts; do
        if ! grep -Eq "$host +: ok=[0-9]+ +changed=0 " "$work/converge2.log"; then
            cat "$work/converge2.log"; echo "$target: the second run reported changes on $host" >&2; exit 1
        fi
    done
    [[ $(hsc_cib_epoch "$work/cib.xml") -eq $after ]] \
        || { echo "$target: the second run moved the epoch" >&2; exit 1; }
    if grep -Eq "$secrets" "$work/converge1.log" "$work/converge2.log"; then
        echo "$target: a secret is in the output" >&2; exit 1
    fi
    # offline the CIB has no quorum and no node state: crm_verify warns
    # about that; an error in the configuration fails
    crm_verify -V --xml-file "$work/cib.xml" > "$work/verify.txt" 2>&1 || true
    if grep -Ei '(^|\) )error' "$work/verify.txt"; then
        echo "$target: crm_verify found errors in the CIB" >&2; exit 1
    fi
    echo "$target: one push (epoch $before -> $after), second run unchanged at ${SECONDS} s"
}

# hsc_find_example NAME: print the path of inventories/examples/NAME in the
# collection (ansible-test runs a copy of the target's directory, so the
# collection is found through ANSIBLE_COLLECTIONS_PATH, or four levels up);
# fail when it is not there.
hsc_find_example() {
    local name=$1 root candidate roots
    IFS=: read -ra roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
    for root in "${roots[@]}" ../../../..; do
        for candidate in "$root/ansible_collections/hastorage/cluster/inventories/examples/$name" \
                         "$root/inventories/examples/$name"; do
            if [[ -d $candidate ]]; then echo "$candidate"; return 0; fi
        done
    done
    echo "inventories/examples/$name not found" >&2
    return 1
}

# hsc_refuse WORK PLAYBOOK NAME EXPECTED-TEXT ANSIBLE_PLAYBOOK_ARGS...: run
# PLAYBOOK (a target's validation playbook, which prints "accepted: ..." when
# it passes) and fail unless it is refused with EXPECTED-TEXT in its output
# and nothing after the refusal was accepted. Log: WORK/refusal.log.
hsc_refuse() {
    local work=$1 playbook=$2 name=$3 expect=$4 rc=0
    shift 4
    ansible-playbook "$@" "$playbook" > "$work/refusal.log" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]]; then
        cat "$work/refusal.log"; echo "refusal '$name': the validation accepted it" >&2; exit 1
    fi
    if ! grep -qF -- "$expect" "$work/refusal.log"; then
        cat "$work/refusal.log"; echo "refusal '$name': the message does not say: $expect" >&2; exit 1
    fi
    if grep -q 'accepted: ' "$work/refusal.log"; then
        echo "refusal '$name': the checks went on after the refusal" >&2; exit 1
    fi
    echo "refused: $name"
}

# hsc_stops_every_host WORK ROLE HOSTS BAD-HOST NEXT-TASK EXPECTED-TEXT ANSIBLE_PLAYBOOK_ARGS...:
# run ROLE's whole deploy (run_role.yml, check mode) on the inventory group
# HOSTS with ANSIBLE_PLAYBOOK_ARGS giving BAD-HOST alone a bad input, and
# fail unless it is refused with EXPECTED-TEXT for BAD-HOST, every other
# host stops with it (no host reaches NEXT-TASK, the role's first task after
# its checks) and no host changed anything. Log: WORK/stop.log.
hsc_stops_every_host() {
    local work=$1 role=$2 hosts=$3 bad=$4 next=$5 expect=$6 rc=0
    shift 6
    ansible-playbook --check "$@" -e "hsc_role=$role" -e "hsc_hosts=$hosts" \
        "$(dirname "${BASH_SOURCE[0]}")/run_role.yml" > "$work/stop.log" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]]; then
        cat "$work/stop.log"; echo "$role: the deploy went through with $bad's bad input" >&2; exit 1
    fi
    grep -qF -- "$expect" "$work/stop.log" \
        || { cat "$work/stop.log"; echo "$role: the refusal does not say: $expect" >&2; exit 1; }
    # a loop's refusal is "failed: [host] (item=...)", any other "fatal: [host]"
    grep -Eq "^(fatal: \[$bad\]|failed: \[$bad\] \(item=)" "$work/stop.log" \
        || { cat "$work/stop.log"; echo "$role: $bad was not the host refused" >&2; exit 1; }
    if grep -qF -- "$next" "$work/stop.log"; then
        cat "$work/stop.log"; echo "$role: hosts went on to '$next' after $bad was refused" >&2; exit 1
    fi
    if grep -Eq ': ok=[0-9]+ +changed=[1-9]' "$work/stop.log"; then
        cat "$work/stop.log"; echo "$role: a host reported a change before the play stopped" >&2; exit 1
    fi
    echo "stopped every host: $role, $bad refused"
}

# hsc_argument_spec_check WORK ACCEPTED-TEXT BAD-EXTRA-VARS REFUSAL-TEXT ANSIBLE_PLAYBOOK_ARGS...:
# run ANSIBLE_PLAYBOOK_ARGS (site.yml on an example inventory, with a tag
# nothing carries, so only the argument validation runs) and fail unless it
# passes printing ACCEPTED-TEXT, and, with BAD-EXTRA-VARS added, fails
# printing REFUSAL-TEXT. Log: WORK/spec.log.
hsc_argument_spec_check() {
    local work=$1 accepted=$2 bad=$3 refusal=$4 rc=0
    shift 4
    ansible-playbook "$@" > "$work/spec.log" 2>&1 || { cat "$work/spec.log"; exit 1; }
    grep -qF -- "$accepted" "$work/spec.log" || { cat "$work/spec.log"; exit 1; }
    ansible-playbook "$@" -e "$bad" > "$work/spec.log" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]] || ! grep -qF -- "$refusal" "$work/spec.log"; then
        cat "$work/spec.log"; echo "the argument spec accepted $bad" >&2; exit 1
    fi
}
