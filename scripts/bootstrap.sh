#!/usr/bin/env bash
# Installs everything hastorage.cluster needs on a Debian 12 machine, from a
# fresh clone: the apt packages in scripts/apt-packages.txt (and, without
# their recommends, scripts/apt-packages-browser.txt), a Python venv
# with the pinned toolchain, the collections needed at test time (taken from
# the pinned `ansible` wheel on PyPI, since Ansible Galaxy is not reachable
# in CI) and the offline get-pip stand-in that `ansible-test --requirements`
# needs. Idempotent; a warm run only checks a stamp and returns.
#
# Usage: scripts/bootstrap.sh
#
# Environment:
#   HSC_VENV        venv path             (default: <repo>/.venv)
#   HSC_CACHE_DIR   caches: pip wheels, the ansible wheel, collections
#                                         (default: <repo>/.cache)
#   HSC_PYTHON      interpreter for a new venv (default: Debian's
#                   /usr/bin/python3, 3.11 on Debian 12)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${HSC_VENV:-$ROOT/.venv}
CACHE=${HSC_CACHE_DIR:-$ROOT/.cache}
PYTHON=${HSC_PYTHON:-/usr/bin/python3}

# The pip that builds the venv, and the Ansible community package whose
# wheel carries the test-time collections (keep tests/requirements.yml in
# step: bootstrap fails when the versions differ).
PIP_PIN="pip==26.3"
ANSIBLE_BUNDLE_VERSION="12.3.0"
TEST_COLLECTIONS=(containers.podman ansible.posix community.general community.mysql)

for arg in "$@"; do
    case $arg in
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "bootstrap: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }

apt_lists=("$ROOT/scripts/apt-packages.txt")
# Installed without their recommended packages: the browser's would pull in a
# desktop (udev, upower, printing, a newer systemd).
apt_lists_no_recommends=("$ROOT/scripts/apt-packages-browser.txt")

# Package names from the lists (comments and blank lines dropped).
read_packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$@" | grep -v '^$' || true; }

# Packages of the given lists (default: all of them) that are not installed.
missing_packages() {
    local pkg status
    (($#)) || set -- "${apt_lists[@]}" "${apt_lists_no_recommends[@]}"
    for pkg in $(read_packages "$@"); do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || echo "$pkg"
    done
}

# Everything the stamp depends on: a change in any of these re-runs the
# slow steps.
stamp_key() {
    {
        cat "$ROOT/requirements-dev.txt" "$ROOT/scripts/constraints-dev.txt" \
            "$ROOT/scripts/bootstrap.sh" "$ROOT/tests/requirements.yml"
        echo "$VENV $CACHE"
    } | sha256sum | cut -d' ' -f1
}

get_pip_stand_in_path() {
    # ansible-test names the cached bootstrap script after the pip version it
    # pins (get_venv_packages(): pip='24.2' -> get_pip_24_2.py); read it from
    # the installed ansible-test rather than guessing.
    "$VENV/bin/python" - <<'EOF'
import os, re
import ansible_test
src = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
with open(src) as f:
    m = re.search(r"default_packages = dict\(\s*pip='([0-9.]+)'", f.read())
if not m:
    raise SystemExit('cannot find the pip version ansible-test pins in ' + src)
print(os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % m.group(1).replace('.', '_')))
EOF
}

STAMP="$VENV/.hsc-bootstrap-stamp"
COLLECTIONS_DIR="$CACHE/collections/ansible_collections"

warm() {
    [[ -f $STAMP && $(cat "$STAMP") == "$(stamp_key)" ]] || return 1
    [[ -x $VENV/bin/ansible-test ]] || return 1
    [[ -z $(missing_packages) ]] || return 1
    local c
    for c in "${TEST_COLLECTIONS[@]}"; do
        [[ -f $COLLECTIONS_DIR/${c/.//}/MANIFEST.json ]] || return 1
    done
    [[ -f $(get_pip_stand_in_path) ]] || return 1
}

install_apt_packages() {
    local missing
    missing=$(missing_packages)
    if [[ -z $missing ]]; then
        log "apt packages: all present"
        return
    fi
    # shellcheck disable=SC2086
    log "apt packages to install:" $missing
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "not root and no sudo: install these packages first: $missing"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    local apt_install=("${sudo[@]}" apt-get install -y -q -o Dpkg::Options::=--force-confdef
        -o Dpkg::Options::=--force-confold)
    missing=$(missing_packages "${apt_lists[@]}")
    # shellcheck disable=SC2086
    [[ -z $missing ]] || "${apt_install[@]}" $missing
    missing=$(missing_packages "${apt_lists_no_recommends[@]}")
    # shellcheck disable=SC2086
    [[ -z $missing ]] || "${apt_install[@]}" --no-install-recommends $missing
    missing=$(missing_packages)
    [[ -z $missing ]] || die "apt did not install: $missing"
}

install_venv() {
    if ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
        log "creating venv $VENV"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    local pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
    export PIP_CACHE_DIR="$CACHE/pip"
    log "installing pinned Python toolchain into $VENV"
    "${pip[@]}" install -q "$PIP_PIN"
    "${pip[@]}" install -q -r "$ROOT/requirements-dev.txt" -c "$ROOT/scripts/constraints-dev.txt"
    "${pip[@]}" check
}

install_test_collections() {
    local wheel="$CACHE/wheels/ansible-$ANSIBLE_BUNDLE_VERSION-py3-none-any.whl"
    if [[ ! -f $wheel ]]; then
        log "downloading the ansible $ANSIBLE_BUNDLE_VERSION wheel (test-time collections)"
        PIP_CACHE_DIR="$CACHE/pip" "$VENV/bin/python" -m pip --disable-pip-version-check \
            download -q --no-deps -d "$CACHE/wheels" "ansible==$ANSIBLE_BUNDLE_VERSION"
    fi
    log "extracting ${TEST_COLLECTIONS[*]} into $COLLECTIONS_DIR"
    "$VENV/bin/python" - "$wheel" "$COLLECTIONS_DIR" "$ROOT/tests/requirements.yml" \
        "${TEST_COLLECTIONS[@]}" <<'EOF'
import json, os, shutil, sys, zipfile
import yaml

wheel, dest, requirements, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(requirements) as f:
    pinned = {c['name']: str(c['version']) for c in yaml.safe_load(f)['collections']}
if sorted(pinned) != sorted(names):
    raise SystemExit('tests/requirements.yml lists %s, bootstrap installs %s' % (sorted(pinned), sorted(names)))
with zipfile.ZipFile(wheel) as z:
    for name in names:
        prefix = 'ansible_collections/%s/' % name.replace('.', '/')
        manifest = json.loads(z.read(prefix + 'MANIFEST.json'))
        version = manifest['collection_info']['version']
        if version != pinned[name]:
            raise SystemExit('%s: the ansible wheel has %s, tests/requirements.yml pins %s'
                             % (name, version, pinned[name]))
        target = os.path.join(dest, *name.split('.'))
        tmp = target + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        for member in z.infolist():
            if member.filename.startswith(prefix) and not member.is_dir():
                out = os.path.join(tmp, member.filename[len(prefix):])
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(member) as src, open(out, 'wb') as dst:
                    shutil.copyfileobj(src, dst)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
        print('bootstrap:   %s %s' % (name, version))
EOF
}

install_get_pip_stand_in() {
    local path
    path=$(get_pip_stand_in_path)
    mkdir -p "$(dirname "$path")"
    log "writing the offline get-pip stand-in $path"
    cat >"$path.tmp" <<'EOF'
"""Offline stand-in for get-pip.py, written by hastorage.cluster's scripts/bootstrap.sh.

ansible-test bootstraps pip into each new virtual environment by running a
cached get-pip script (it downloads one from ci-files.testing.ansible.com
when none is cached, which fails without that host). This stand-in gets pip
from the interpreter's own ensurepip, then lets that pip install the
packages ansible-test asked for (its pinned pip version).
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
if [a for a in args if not a.startswith('-')]:
    sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
EOF
    mv "$path.tmp" "$path"
}

main() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/bootstrap.lock"
    flock 9
    if warm; then
        log "up to date ($VENV)"
        return
    fi
    local started=$SECONDS
    install_apt_packages
    install_venv
    install_test_collections
    install_get_pip_stand_in
    stamp_key >"$STAMP"
    log "done in $((SECONDS - started)) s"
}

main
