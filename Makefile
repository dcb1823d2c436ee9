# make run: install, then start both local servers and all six services (Ctrl-C stops all).
# make test: install, then run every test (what CI runs). The tiers on their own:
#   make test-fast         the unit tier: pure code, no servers (seconds)
#   make test-integration  each service and the plumbing on real MongoDB- and Kafka-protocol servers
#   make test-system       the running system: e2e flows, security sweep and fuzzing, chaos
# make fuzz: a longer schemathesis run over every service.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Test tools, project-local (npm packages): helm and the KEDA and Strimzi schema validators for tests/deploy,
# the official AsyncAPI parser for tests/integration/test_catalogue.py.
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp
SERVICES := lead-intake customer pool notify reporting automation

export CRM_ENV ?= dev
export CRM_VAR_DIR ?= $(CURDIR)/var
export CRM_BIND ?= 127.0.0.1
export CRM_MONGO_PORT ?= 27217
export CRM_KAFKA_PORT ?= 19092

# Local servers only for what the environment does not already point at. The local broker is a
# single one: its topics get one replica (a cluster's default is three).
LOCAL_SERVERS := $(if $(MONGO_URI),,mongo) $(if $(KAFKA_BOOTSTRAP_SERVERS),,kafka)
PROCESSES := $(LOCAL_SERVERS) $(foreach s,$(SERVICES),$(s) $(s)-worker)
RUN_ENV := MONGO_URI="$${MONGO_URI:-mongodb://127.0.0.1:$(CRM_MONGO_PORT)/?directConnection=true}" \
	KAFKA_BOOTSTRAP_SERVERS="$${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$(CRM_KAFKA_PORT)}" \
	$(if $(KAFKA_BOOTSTRAP_SERVERS),,KAFKA_REPLICATION_FACTOR=1) \
	PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: install run test test-fast test-integration test-system fuzz bench chaos clean topics

install: $(STAMP) $(TOOLS_STAMP)

$(STAMP): pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml) packages/crm-events/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[local,test]' $(foreach s,$(SERVICES),-e services/$(s)) -e packages/crm-events
	touch $(STAMP)

$(TOOLS_STAMP): tests/deploy/tools/package.json tests/deploy/tools/package-lock.json
	mkdir -p $(TOOLS)
	cp tests/deploy/tools/package.json tests/deploy/tools/package-lock.json $(TOOLS)/
	cd $(TOOLS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(TOOLS_STAMP)

# The chart's copy of the topic list (crm_common/topics.py); tests/deploy checks they agree.
topics: $(STAMP)
	$(BIN)/python -m crm_common.topics > deploy/helm/crm/topics.yaml

run: $(STAMP)
	@mkdir -p $(CRM_VAR_DIR)/metrics
	@rm -rf $(CRM_VAR_DIR)/metrics/*
	$(RUN_ENV) $(BIN)/honcho -f deploy/Procfile -d . start $(PROCESSES)

# Two workers: most of a test's time is waiting on servers and consumers, not the CPU.
test: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

UNIT := tests/unit
SYSTEM := tests/e2e tests/security tests/chaos

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(UNIT)

test-integration: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/python -m pytest -q tests $(foreach t,$(UNIT) $(SYSTEM),--ignore=$(t))

test-system: $(STAMP)
	$(BIN)/python -m pytest -q $(SYSTEM)

# A longer schemathesis run than make test's (CRM_FUZZ_EXAMPLES requests per operation and mode).
fuzz: $(STAMP)
	CRM_FUZZ_EXAMPLES=$${CRM_FUZZ_EXAMPLES:-100} $(BIN)/python -m pytest -q -s tests/security/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python -m bench.lead_intake
	$(BIN)/python -m bench.customer
	$(BIN)/python -m bench.pool
	$(BIN)/python -m bench.notify
	$(BIN)/python -m bench.reporting
	$(BIN)/python -m bench.consumer
	$(BIN)/python -m bench.automation

chaos: $(STAMP)
	$(BIN)/python -m crm_common.testing.chaos --leads 1500

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache
