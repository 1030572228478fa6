# Quick start: `make serve` (build kb.db from data/ and browse it) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8001
DATA := $(wildcard data/*.txt)

.PHONY: serve test test-fast bench bench-scale fuzz screenshots loadtest loadtest-hostile loadtest-replicas haproxy model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# CPU torch first (pinned, from local disk): an unpinned torch would pull a multi-GB CUDA build.
# OCR (rapidocr-onnxruntime, models in its wheel) is an extra that make installs; LibreOffice (for
# .doc/.wps) comes from the system's packages: installed when make runs as root, else reported.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,ocr]'
	$(BIN)/kb model
	@scripts/system-packages
	touch $(STAMP)

kb.db: $(STAMP) $(DATA)
	$(BIN)/kb build kb.db data/

# `kb serve`: Datasette configured by ingest/serve.py (metadata.yml, settings.json, plugins/,
# templates/), one server process per CPU, each loading the model in the background. Read-only:
# Datasette opens kb.db with mode=ro, so no request can write; a `kb build` run while serving
# commits file by file and readers see each declaration whole or not at all.
serve: kb.db
	@echo "Open http://127.0.0.1:$(PORT)/kb  (declarations, indicator library, policies, search)"
	$(BIN)/kb serve kb.db -h 127.0.0.1 -p $(PORT)

# HAProxy (Debian's package) for the replicas: installed when missing and we are root, else say so
# (tests/test_replicas.py skips without it)
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >/dev/null 2>&1 \
	      || echo "haproxy 安装失败：副本测试将跳过（apt-get install haproxy）"; \
	  else echo "缺少 haproxy：请运行 sudo apt-get install haproxy（副本测试将跳过）"; fi; }

# the whole suite; `make test-fast` leaves out the tests marked slow (real model, large corpora)
test: $(STAMP) haproxy
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	@scripts/system-packages bench
	$(BIN)/python -m bench

# the largest corpus this machine holds, 1,000,000 declarations if it fits (hours on 2 cores)
bench-scale: $(STAMP)
	$(BIN)/python -m bench --scale

# the README's screenshots, taken by the browser tests
screenshots: $(STAMP)
	KB_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_browser.py

fuzz: $(STAMP)
	$(BIN)/pytest -q tests/test_fuzz.py --fuzz

# 8 clients for 60 s against a real server on loopback; fails on any error.
# `make loadtest-hostile`: the same with 3 more clients sending abusive SQL the whole time.
loadtest: kb.db
	$(BIN)/python -m bench.loadtest kb.db --clients 8 --duration 60

loadtest-hostile: kb.db
	$(BIN)/python -m bench.loadtest kb.db --clients 8 --duration 60 --hostile 3

# two replicas behind HAProxy on loopback, 8 clients for 60 s; a second build (the seeds and the
# real forms) published a third of the way in; fails on any error or if the new build is not served
kb-next.db: $(STAMP) $(DATA)
	$(BIN)/kb build kb-next.db data/ tests/data/realworld --silent

loadtest-replicas: kb.db kb-next.db haproxy
	$(BIN)/python -m bench.replicas kb.db kb-next.db --replicas 2 --clients 8 --duration 60

clean:
	rm -rf kb.db kb.db-wal kb.db-shm kb-next.db .pytest_cache
