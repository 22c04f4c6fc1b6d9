# Waystation: `make demo` runs the whole system, `make test` runs the tests.
# Both create .venv and install the project with its dev extras the first time; `make test` runs
# ruff first, then the tests in TEST_WORKERS processes (TEST_WORKERS=0: in this one process).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# System programs the tests drive for real: a Mosquitto broker and its clients, headless Chromium, nginx
# (the documented front), and ffmpeg (the classroom's test videos, and ffprobe, which checks uploaded videos).
TEST_TOOLS := mosquitto mosquitto_pub chromium nginx ffmpeg ffprobe
TEST_PACKAGES := mosquitto mosquitto-clients chromium chromium-driver fonts-noto-cjk nginx ffmpeg

.PHONY: demo test bench system-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Waystation needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/waystation demo

# Test processes: pytest-xdist workers, each with its own brokers, databases and browser.
TEST_WORKERS ?= 2

test: $(STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/ingest.py --quick

# Installs the Debian packages the tests need when they are missing (as root), else says which.
system-deps:
	@missing=""; for t in $(TEST_TOOLS); do command -v $$t >/dev/null 2>&1 || PATH="$$PATH:/usr/sbin" command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (Debian packages: $(TEST_PACKAGES))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES) >/dev/null; \
	  else \
	    echo "The tests need$$missing. Install them with: sudo apt-get install $(TEST_PACKAGES)"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache
