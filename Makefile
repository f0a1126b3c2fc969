# The two commands: `make run` (the whole marketplace with demo data) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
PIP_FLAGS ?= -q --disable-pip-version-check --root-user-action=ignore
STACK_ENV := .stack/psm.env
PYTEST_ARGS ?= -n 3 --dist loadfile

.PHONY: run test install stack stack-down stack-status migrate bench clean

install:
	$(PYTHON) -m pip install $(PIP_FLAGS) -e '.[test]'

stack: install
	psm stack up

stack-down:
	psm stack down

stack-status:
	psm stack status

migrate: stack
	set -a; . $(STACK_ENV); set +a; psm migrate

run: stack
	@mkdir -p .stack
	@test -s .stack/operator-key || $(PYTHON) -c 'import secrets; print("op_" + secrets.token_urlsafe(24))' > .stack/operator-key
	@set -a; . $(STACK_ENV); set +a; \
	  export PSM_OPERATOR_KEY="$${PSM_OPERATOR_KEY:-$$(cat .stack/operator-key)}"; \
	  psm migrate && psm seed && \
	  echo "Operator key: $$PSM_OPERATOR_KEY (also in .stack/operator-key unless you set PSM_OPERATOR_KEY)" && \
	  echo "  try: curl -H 'Authorization: Bearer $$PSM_OPERATOR_KEY' http://127.0.0.1:$${PSM_HTTP_PORT:-8080}/v1/orgs" && \
	  exec psm serve

# The tests' data is thrown away: PostgreSQL runs without fsync (make run is durable).
test: install
	PSM_PG_DURABLE=false psm stack up
	psm stack browser  # Chromium, its driver and a Chinese font for the console's tests (installed once)
	lint-imports  # the architecture's import rules (.importlinter)
	set -a; . $(STACK_ENV); set +a; $(PYTHON) -m pytest $(PYTEST_ARGS)

# Every benchmark (python -m bench all), or one: make bench BENCH=outbox
bench: stack
	set -a; . $(STACK_ENV); set +a; $(PYTHON) -m bench $(or $(BENCH),all)

clean: stack-down
	rm -rf .stack
