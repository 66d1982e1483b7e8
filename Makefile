# Two entry points: `make run` (demo server) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export DATABASE_URL ?= sqlite:///var/victim_support.db

.PHONY: run test install install-test browser serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/victim-support db upgrade
	$(BIN)/victim-support demo
	$(BIN)/victim-support serve --host 127.0.0.1 --port 8000

serve: install
	$(BIN)/victim-support serve --host 127.0.0.1 --port 8000

# Debian's Chromium for the browser tests (Playwright drives it; it cannot download its own),
# Japanese fonts for its screenshots and poppler's pdftotext for the PDF tests.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftotext ]; then \
		echo "installing Debian chromium and poppler-utils for the browser and PDF tests"; \
		( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-noto-cjk poppler-utils >/dev/null ) \
		|| { if [ "$$REQUIRE_BROWSER" = "1" ]; then echo "error: chromium could not be installed"; exit 1; else echo "warning: chromium not installed; browser tests will be skipped"; fi; }; \
	fi

test: install-test browser
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) var
