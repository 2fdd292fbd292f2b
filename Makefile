# hastorage.cluster: developer and CI entry points. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
COLL_ROOT := $(ROOT)/build/collections
COLL_DIR := $(COLL_ROOT)/ansible_collections/hastorage/cluster
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)

.PHONY: help unit
help:
	@echo "make lab | lab-down | test | test-vm | unit"

$(COLL_DIR):
	@mkdir -p $(dir $(COLL_DIR))
	@ln -sfn $(ROOT) $(COLL_DIR)

unit: $(COLL_DIR)
	cd $(COLL_DIR) && PYTHONPATH=$(COLL_ROOT) $(PY) -m pytest -q tests/unit
