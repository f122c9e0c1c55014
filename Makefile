# Two commands: `make run` and `make test`. Both are idempotent and work from a clean clone.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-noto-cjk \
                   postgresql-15 chromium
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup system venv db lint clean

# gunicorn (gunicorn.conf.py) and one background worker (certificate PDFs, the deadline sweep); Ctrl-C stops both.
run: setup
	@echo "演示账号: trainee1 / trainee2 / trainer1 / trainer2 / hr1 / admin1, 密码 $${EXAM_DEMO_PASSWORD:-demo-password}"
	@echo "Serving on http://$(HOST):$(PORT)"
	@$(BIN)/flask --app exam worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  EXAM_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py

test: setup
	$(BIN)/ruff check .
	@echo "== test suite on SQLite =="
	$(BIN)/pytest -q
	@echo "== test suite on PostgreSQL (throw-away server) =="
	scripts/with-postgres $(BIN)/pytest -q

setup: system venv db

# System libraries WeasyPrint needs (Pango, HarfBuzz subsetting), a CJK font, PostgreSQL for the
# second test pass and Chromium for the browser test. Installed when root; otherwise we say how.
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing system packages. Run this once, then again make:"; \
	    echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

db: venv
	$(BIN)/flask --app exam db upgrade
	$(BIN)/flask --app exam demo load

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance *.egg-info
