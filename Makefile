# MDA++ — `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
export MDA_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test lint format vendor browser bench bench-docs soak messages clean screenshots image image-test lock

RUN_STAMP := $(VENV)/.installed-run-stamp

# `make run` needs only what the application itself needs
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

# `make test` (and lint, bench, ...) add the test extras
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP) $(RUN_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## run: install, migrate the SQLite database in instance/, load demo data when empty, serve :5000
run: $(RUN_STAMP)
	$(BIN)/flask --app mda migrate
	$(BIN)/flask --app mda demo-data-if-empty
	MDA_INSECURE_DEMO_SKIP_2FA=$${MDA_INSECURE_DEMO_SKIP_2FA:-1} \
	MDA_INSECURE_DEMO_SKIP_SCAN=$${MDA_INSECURE_DEMO_SKIP_SCAN:-1} $(BIN)/python -m mda

## browser: Debian's Chromium for the browser tests (never `playwright install`)
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	  else echo "Chromium ontbreekt: sudo apt-get install -y chromium"; exit 1; fi; }

## test: install everything and run the whole suite (SQLite; PostgreSQL/Redis via MDA_TEST_*)
test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format mda tests bench

## vendor: copy the NL Design System CSS, the socket.io client and yjs (bundled) from node_modules into static/vendor
vendor: $(NODE_STAMP)
	cp node_modules/@utrecht/component-library-css/dist/index.css static/vendor/utrecht/component-library.css
	cp node_modules/@utrecht/component-library-css/LICENSE.md static/vendor/utrecht/LICENSE-component-library-css.md
	cp node_modules/@utrecht/design-tokens/dist/theme.css static/vendor/utrecht/design-tokens-theme.css
	cp node_modules/@utrecht/design-tokens/LICENSE.md static/vendor/utrecht/LICENSE-design-tokens.md
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io/socket.io.min.js
	cp node_modules/socket.io-client/LICENSE static/vendor/socket.io/LICENSE
	# yjs ships ES modules with bare imports (lib0): bundled into one classic script with the global `Y` (CSP: no import map)
	mkdir -p static/vendor/yjs
	echo 'export * from "yjs";' | node_modules/.bin/esbuild --bundle --minify --format=iife --global-name=Y --outfile=static/vendor/yjs/yjs.min.js
	cp node_modules/yjs/LICENSE static/vendor/yjs/LICENSE-yjs
	cp node_modules/lib0/LICENSE static/vendor/yjs/LICENSE-lib0

## messages: extract the interface texts for a translation catalogue (translations/messages.pot)
messages: $(STAMP)
	mkdir -p translations
	$(BIN)/pybabel extract -F babel.cfg -o translations/messages.pot .

## bench: every benchmark (HTTP pages on SQLite, or PostgreSQL with MDA_BENCH_DATABASE_URL; Word export,
## "mijn acties", escalations, calendar feed, live fan-out); reports in build/bench/, nothing tracked changes.
## BENCH_ARGS=--quick: short runs, labelled quick. Each uses temporary folders of its own, not instance/.
bench: $(STAMP)
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench $(BENCH_ARGS)
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.plan_export $(filter --quick,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.my_actions $(filter --quick,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.escalations $(filter --quick,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.feed $(filter --quick,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.live $(filter --quick,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.live_coedit $(filter --quick --write-docs,$(BENCH_ARGS))
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.documents $(filter --quick --write-docs,$(BENCH_ARGS))

## bench-docs: the full bench, and its HTTP figures written into docs/benchmarks.md (on purpose, never --quick)
bench-docs:
	$(MAKE) bench BENCH_ARGS=--write-docs

## soak: fault runs on PostgreSQL + Redis (process killed, database down, Redis down, 20 users), the live soak
## (50 clients, 60 s, random disconnects; writes docs/benchmarks.md), the co-editing soak (50 typists in 5 pieces,
## 60 s, 2 seeded drops each with unsent edits; writes docs/benchmarks.md) and the full hostile-input walk (every
## value on every route as every caller; make test walks a third of the values per caller)
soak: $(STAMP)
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.faults $(SOAK_ARGS)
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.live_soak --clients 50 --seconds 60 --write
	env -u MDA_INSTANCE_PATH $(BIN)/python -m bench.coedit_soak --clients 50 --pieces 5 --seconds 60 --write
	MDA_ROBUSTNESS_FULL=1 $(BIN)/pytest -q tests/core/test_robustness.py

## image: the container image with podman (installs podman when root); BASE_IMAGE=... for another base
## (default: Debian bookworm + python3 made with mmdebstrap, cached in build/image). See docs/deployment.md.
image: $(RUN_STAMP)
	PYTHON=$(BIN)/python deploy/image.sh

## image-test: build the image and run two read-only, non-root replicas against PostgreSQL + Redis
## (MDA_TEST_DATABASE_URL, MDA_TEST_REDIS_URL; .ci/run sets them)
image-test: $(STAMP)
	MDA_TEST_IMAGE=1 $(BIN)/pytest -q tests/deploy/test_image.py

## lock: resolve pyproject.toml's dependencies into deploy/requirements.lock (what the image installs)
lock: $(RUN_STAMP)
	$(BIN)/python deploy/lock.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache

## screenshots: refresh docs/screenshots/*.png (shown in the README) from the demo data in a real browser
screenshots: $(STAMP) $(NODE_STAMP) browser
	mkdir -p docs/screenshots
	MDA_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -m browser \
	  tests/browser/test_daily_journeys.py tests/browser/test_meetings_accessibility.py
