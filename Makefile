# hastorage.cluster: developer and CI entry points. See README.md.
#
#   make lab          bootstrap, start the lab, deploy site.yml, print status
#                     (DESIGN=dual_controller, the default, on the podman lab;
#                     DESIGN=integrated on User-mode Linux nodes)
#   make lab-down     remove everything the lab created (same DESIGN)
#   make test         every gate CI runs (unit, integration, sanity, lint,
#                     changelog-lint, importer, molecule $(MOLECULE_SCENARIOS))
#
# Every target that needs tools depends on the bootstrap stamp: the first run
# on a fresh machine installs apt packages, the venv and the test-time
# collections (scripts/bootstrap.sh); a warm run costs well under a second.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

ROOT := $(abspath .)
# Overridable from the environment (HSC_VENV, HSC_CACHE_DIR) so several
# clones can share one venv and cache (.ci/run does).
VENV ?= $(if $(HSC_VENV),$(HSC_VENV),$(ROOT)/.venv)
CACHE ?= $(if $(HSC_CACHE_DIR),$(HSC_CACHE_DIR),$(ROOT)/.cache)
PY := $(VENV)/bin/python
BUILD := $(ROOT)/build
PYTHON_VERSION := 3.11

# build/collections/ansible_collections/hastorage/cluster is a symlink to the
# working tree (unit tests, lint, molecule, the lab see edits at once);
# build/ansible_collections/hastorage/cluster is an rsync copy for
# ansible-test, which needs a real collection tree and writes tests/output.
COLL_ROOT := $(BUILD)/collections
COLL_DIR := $(COLL_ROOT)/ansible_collections/hastorage/cluster
TEST_ROOT ?= $(BUILD)/ansible_collections
TEST_COLL := $(TEST_ROOT)/hastorage/cluster
TEST_COLLECTIONS_ROOT := $(CACHE)/collections

# ansible-test integration targets to run (default: all of them), e.g.
#   make integration TARGETS="pcs_cib drbd_resource"
TARGETS ?=
# Molecule scenarios `make test` runs; each must exist under molecule/.
# MOLECULE_SCENARIOS run on the podman lab (after lab-image), UML_SCENARIOS
# on User-mode Linux nodes (after uml-image: the sid kernel root and the
# guest image, built once per run and shared by every UML scenario).
MOLECULE_SCENARIOS ?= default graid nas_dual_controller
UML_SCENARIOS ?= nas_integrated nas_gateway storage_fencing
SCENARIO ?= default

# Stages of `make test`, in order; each needs a line in ci-budget.txt. The
# lab's node image is a stage of its own (when a scenario runs), so its cold
# build is timed against its own budget, not the first scenario's.
TEST_STAGES := unit changelog-lint lint sanity importer integration \
	$(if $(strip $(MOLECULE_SCENARIOS)),lab-image) \
	$(addprefix molecule-,$(MOLECULE_SCENARIOS)) \
	$(if $(strip $(UML_SCENARIOS)),uml-image) \
	$(addprefix molecule-,$(UML_SCENARIOS))

export HSC_VENV := $(VENV)
export HSC_CACHE_DIR := $(CACHE)
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT):$(TEST_COLLECTIONS_ROOT)
ifdef CI
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
endif
# The lab's private containers.conf (runc, ulimits: see ../shared/LAB.md).
LAB_CONTAINERS_CONF := $(firstword $(wildcard $(ROOT)/lab/containers.conf $(ROOT)/lab/state/containers.conf))
ifneq ($(LAB_CONTAINERS_CONF),)
export CONTAINERS_CONF ?= $(LAB_CONTAINERS_CONF)
endif

BOOTSTRAP_STAMP := $(VENV)/.hsc-bootstrap-stamp
BOOTSTRAP_INPUTS := requirements-dev.txt scripts/constraints-dev.txt \
	scripts/apt-packages.txt scripts/apt-packages-browser.txt scripts/bootstrap.sh \
	tests/requirements.yml

RSYNC_EXCLUDES := --filter=':- .gitignore' --exclude=/.git --exclude=/.venv/ --exclude=/.cache/ \
	--exclude=/build/ --exclude=/lab/state/ --exclude=/tests/output/ \
	--exclude=/.pytest_cache/ --exclude=__pycache__/ --exclude='*.pyc' \
	--exclude=/.ansible/ --exclude='/*.tar.gz'

.PHONY: help bootstrap unit tree integration sanity lint changelog-lint build \
	importer lab-image uml-image molecule test test-stages lab lab-down constraints clean

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Single gates: make bootstrap | unit | integration [TARGETS=...] | sanity |"
	@echo "  lint | changelog-lint | build | importer | lab-image | molecule SCENARIO=name"

bootstrap: $(BOOTSTRAP_STAMP)

$(BOOTSTRAP_STAMP): $(BOOTSTRAP_INPUTS)
	$(ROOT)/scripts/bootstrap.sh
	touch $@

$(COLL_DIR):
	@mkdir -p $(dir $(COLL_DIR))
	@ln -sfn $(ROOT) $(COLL_DIR)

unit: $(BOOTSTRAP_STAMP) | $(COLL_DIR)
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/graidctl_emulator

# The copied collection tree ansible-test runs on. The test-time collections
# sit beside it because ansible-test sets ANSIBLE_COLLECTIONS_PATH to this
# root only.
tree: $(BOOTSTRAP_STAMP)
	@mkdir -p $(TEST_COLL)
	rsync -a --delete $(RSYNC_EXCLUDES) $(ROOT)/ $(TEST_COLL)/
	@# ansible-test lists content with git from the nearest .git upwards; the
	@# working tree's would list nothing under build/ (ignored), so the copy
	@# gets an empty repository of its own: every copied file is "untracked".
	@test -d $(TEST_COLL)/.git || git init -q $(TEST_COLL)
	@echo /tests/output/ > $(TEST_COLL)/.git/info/exclude
	@for ns in $(TEST_COLLECTIONS_ROOT)/ansible_collections/*/*; do \
		rel=$${ns#$(TEST_COLLECTIONS_ROOT)/ansible_collections/}; \
		mkdir -p $(TEST_ROOT)/$${rel%/*}; ln -sfn $$ns $(TEST_ROOT)/$$rel; \
	done

integration: tree
	@if [ -z "$(TARGETS)" ] && ! ls -d $(ROOT)/tests/integration/targets/*/ >/dev/null 2>&1; then \
		echo "integration: no targets under tests/integration/targets/" >&2; exit 1; fi
	cd $(TEST_COLL) && ansible-test integration --local --python $(PYTHON_VERSION) \
		--color no $(TARGETS) 2>&1 | tee $(BUILD)/integration.log
	@# ansible-test leaves out targets marked destructive, disabled, unstable,
	@# unsupported or needing a cloud config with only a warning: fail instead.
	@if grep -E 'WARNING: Excluding' $(BUILD)/integration.log; then \
		echo "integration: the targets above were not run" >&2; exit 1; fi

# Every sanity test must run: a test ansible-test skips for a missing tool
# (shellcheck, pwsh, a Python) fails the target instead of passing quietly.
sanity: tree
	cd $(TEST_COLL) && ansible-test sanity --python $(PYTHON_VERSION) --requirements \
		--color no 2>&1 | tee $(BUILD)/sanity.log
	@if grep -E 'Skipping sanity test|Unable to find' $(BUILD)/sanity.log; then \
		echo "sanity: the tests above were skipped" >&2; exit 1; fi

lint: $(BOOTSTRAP_STAMP) | $(COLL_DIR)
	ansible-lint --profile production

changelog-lint: $(BOOTSTRAP_STAMP)
	antsibull-changelog lint -v

COLLECTION_VERSION = $(shell $(PY) -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
TARBALL = $(BUILD)/hastorage-cluster-$(COLLECTION_VERSION).tar.gz

# Built from its own copy of the tree (same filters as `tree`, and no
# tests/output), so nothing git ignores, such as lab or VM state, reaches
# the tarball.
RELEASE_DIR := $(BUILD)/release/hastorage/cluster

build: $(BOOTSTRAP_STAMP)
	@mkdir -p $(RELEASE_DIR)
	rsync -a --delete --delete-excluded $(RSYNC_EXCLUDES) $(ROOT)/ $(RELEASE_DIR)/
	rm -f $(BUILD)/hastorage-cluster-*.tar.gz
	ansible-galaxy collection build --force --output-path $(BUILD) $(RELEASE_DIR)

# galaxy-importer as Galaxy runs it, minus the container-based ansible-test
# (scripts/galaxy-importer.cfg). It exits 0 on many findings, so any WARNING
# or ERROR line it prints fails the target.
importer: build
	cd $(BUILD) && GALAXY_IMPORTER_CONFIG=$(ROOT)/scripts/galaxy-importer.cfg \
		$(PY) -m galaxy_importer.main $(TARBALL) 2>&1 | tee $(BUILD)/importer.log
	@if grep -E '^(WARNING|ERROR|CRITICAL)' $(BUILD)/importer.log; then \
		echo "importer: galaxy-importer reported the problems above" >&2; exit 1; fi

# The lab's node image: built with debootstrap on a cold machine (minutes),
# loaded from .cache/lab-image or already present on a warm one.
lab-image: $(BOOTSTRAP_STAMP)
	$(ROOT)/lab/labctl image

# The UML lab's kernel root (debootstrap sid + user-mode-linux) and guest
# image (the lab's Debian 12 packages plus lab/uml/guest-packages.txt), and
# the image layers the UML scenarios name (lab_layer in their molecule.yml,
# e.g. openstack: lab/uml/guest-packages-openstack.txt): built on a cold
# machine, found in .cache/uml-image on a warm one.
UML_IMAGE_LAYERS = $(sort $(foreach s,$(UML_SCENARIOS),$(shell sed -n 's/^ *lab_layer: *//p' $(ROOT)/molecule/$(s)/molecule.yml)))
uml-image: $(BOOTSTRAP_STAMP)
	$(ROOT)/lab/umlctl image
	$(foreach layer,$(UML_IMAGE_LAYERS),$(ROOT)/lab/umlctl image --layer $(layer) &&) true

molecule: $(BOOTSTRAP_STAMP) | $(COLL_DIR)
	@test -f $(ROOT)/molecule/$(SCENARIO)/molecule.yml || \
		{ echo "molecule: no scenario molecule/$(SCENARIO)/molecule.yml" >&2; exit 1; }
	molecule test -s $(SCENARIO)

molecule-%:
	@$(MAKE) --no-print-directory molecule SCENARIO=$*

# The lab images of the run are built in the background from the start
# (cold: about 4 min each), while the checks before them run.
test: $(BOOTSTRAP_STAMP)
	@HSC_PREFETCH="$(filter lab-image uml-image,$(TEST_STAGES))" $(ROOT)/scripts/run-stages.sh $(TEST_STAGES)

# The stages `make test` runs (a unit test checks each has a budget).
test-stages:
	@echo $(TEST_STAGES)

# DESIGN picks the lab and the design `make lab` deploys:
#   dual_controller  podman lab hsc-lab (3 controllers), inventories/lab
#   integrated       UML lab hsc-lab-int (2 nodes, 2 disks each, AD DC dc1),
#                    inventories/lab_integrated (the nas_integrated scenario's design)
#   gateway          UML lab hsc-lab-gw (2 heads, the iSCSI SAN target san1 with
#                    3 LUNs on two SAN networks, AD DC dc1),
#                    inventories/lab_gateway (the nas_gateway scenario's design)
DESIGN ?= dual_controller
LAB_DESIGNS := dual_controller integrated gateway
LAB_INVENTORY := $(ROOT)/inventories/$(if $(filter integrated gateway,$(DESIGN)),lab_$(DESIGN),lab)
UML_LAB_NAME := $(if $(filter gateway,$(DESIGN)),hsc-lab-gw,hsc-lab-int)
UML_LAB_ARGS := $(if $(filter gateway,$(DESIGN)),--nodes 2 --data-disks 0 --dc --san 3 --san-lun-size 320,--nodes 2 --data-disks 2 --dc)
UML_LAB_UP := $(ROOT)/lab/umlctl --name $(UML_LAB_NAME) up $(UML_LAB_ARGS)

lab: $(BOOTSTRAP_STAMP) | $(COLL_DIR)
	@case " $(LAB_DESIGNS) " in *" $(DESIGN) "*) ;; \
		*) echo "DESIGN=$(DESIGN): one of $(LAB_DESIGNS)" >&2; exit 2 ;; esac
	$(if $(filter integrated gateway,$(DESIGN)),$(UML_LAB_UP),$(ROOT)/lab/labctl up)
	ansible-playbook -i $(LAB_INVENTORY) $(ROOT)/playbooks/site.yml
	ansible-playbook -i $(LAB_INVENTORY) $(ROOT)/playbooks/status.yml

lab-down:
	$(if $(filter integrated gateway,$(DESIGN)),$(ROOT)/lab/umlctl --name $(UML_LAB_NAME) down,$(ROOT)/lab/labctl down)

# Re-pin every package of the venv after changing requirements-dev.txt.
constraints: $(BOOTSTRAP_STAMP)
	{ sed -n '1,3p' scripts/constraints-dev.txt; $(PY) -m pip freeze --exclude-editable; } \
		> scripts/constraints-dev.txt.new
	mv scripts/constraints-dev.txt.new scripts/constraints-dev.txt

clean:
	rm -rf $(BUILD)
