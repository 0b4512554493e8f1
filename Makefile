# The two entry points: `make up` and `make test`. Each installs what it needs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test lint etcd install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Real etcd for the etcd backend's tests: the Debian package etcd-server.
etcd:
	@command -v etcd >/dev/null 2>&1 || { \
	  echo "installing etcd-server (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq etcd-server >/dev/null; }
	@etcd --version | head -1

up: install
	$(BIN)/myriad up --nodes 100

test: install etcd
	$(BIN)/ruff check src tests tools
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests tools

clean:
	rm -rf $(VENV) .myriad
