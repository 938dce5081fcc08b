# `make run` and `make test` do all the set-up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LISTEN ?= 127.0.0.1:8065
DATA ?= ./data

.PHONY: run test bench proto clean two-nodes bundle

$(INSTALLED): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# On a terminal the log is plain lines, else JSON (LOG_FORMAT=json|plain to choose; LogSettings in config.json).
LOG_FORMAT ?= auto
run: $(INSTALLED)
	$(PY) -m server_stub serve --listen $(LISTEN) --data-dir $(DATA) --log-format $(LOG_FORMAT)

# The whole suite, as CI runs it: scripts/test-suite installs with apt what is missing (Go and go-plugin for
# tests/interop, chromium, postgresql), starts a throwaway PostgreSQL unless OAUTH_TEST_POSTGRES_DSN is set, runs
# pytest and exits with its status. make test PYTEST_ARGS='-k consent -x' passes arguments to pytest.
test: $(INSTALLED)
	PY=$(PY) scripts/test-suite $(PYTEST_ARGS)

# Two nodes behind a round-robin load balancer on $(LISTEN), over one throwaway PostgreSQL (apt installs it when
# missing); data in ./data-nodes. See README, "Several nodes over PostgreSQL".
two-nodes: $(INSTALLED)
	$(PY) scripts/two-nodes --listen $(LISTEN) --dir ./data-nodes

bench: $(INSTALLED)
	$(PY) bench/run.py

# dist/oauth-provider-<version>.tar.gz: a Mattermost plugin bundle with everything the plugin needs to run on a machine
# with Python 3.11 and no network (docs/operations.md, "Plugin bundles").
bundle: $(INSTALLED)
	$(PY) scripts/bundle --out dist

proto: $(INSTALLED)
	$(PY) proto/generate.py

clean:
	rm -rf $(VENV) $(DATA) ./data-nodes .pytest_cache dist
