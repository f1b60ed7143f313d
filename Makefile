# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    - the station (off a Pi: a demo with a simulated trainee and virtual pins)
#   make test   - the whole test suite (lint, audit, unit, integration, browser)
# Every Python package comes from a lock in requirements/ (exact versions, each file's sha256:
# pip refuses anything else); `make lock` refreshes them (requirements/README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# CI also builds the int8 landmark model, so its venv takes the quantize lock: dev's pins plus
# the quantizer (a build-time extra the station never needs).
LOCK   := $(if $(CI),requirements/quantize.txt,requirements/dev.txt)
# One stamp per lock: switching between them (CI set or not) makes the venv anew.
STAMP  := $(VENV)/.installed-$(notdir $(LOCK))
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# --no-deps: the lock already lists every package (pip would otherwise resolve again, unhashed).
PIP_LOCKED := $(PIP) install --quiet --require-hashes --no-deps

.PHONY: render-env render-corpus run test test-setup lock-check install models layers int8-model mediapipe-env ci-packages pi-packages pi-check lint clean axe \
	lock audit

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version)'
	@# A new venv whenever the lock changes: pip has no "sync", and a package the lock dropped
	@# must not linger.
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r $(LOCK)
	@# The station itself, built by the locked setuptools (no isolated build that would fetch an
	@# unpinned one). setuptools' informational "Editable installation" notice is hidden.
	PYTHONWARNINGS="ignore:Editable installation" $(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $@

install: $(STAMP)

# Refresh the locks (uv pip compile for every target in tools/lock.py) and print what changed.
# Run it after changing dependencies in pyproject.toml, and monthly for security fixes
# (`make lock ARGS=--upgrade`); then `make test`, and rebuild the int8 model (see README).
lock: $(STAMP)
	$(BIN)/python tools/lock.py $(ARGS)

# Fails while a lock lacks what pyproject.toml asks for (changes nothing).
lock-check: $(STAMP)
	$(BIN)/python tools/lock.py --check

# Known vulnerabilities in every lock (pip-audit; tools/audit.py says which advisory source).
audit: $(STAMP)
	$(BIN)/python tools/audit.py

models: $(STAMP)
	$(BIN)/station models fetch

# The int8 landmark model (pose_model = full_int8) is built from the float one, not fetched. CI
# builds it, since its tests need it (about a minute; the quantizer is in CI's venv, from
# requirements/quantize.txt): the locked versions build the recorded bytes; other bytes must pass
# the agreement gate. Elsewhere its tests skip with a reason until it is built (README).
INT8_MISSING := 'import sys; from station.config.paths import models_dir; from station.pose.models import check_int8; sys.exit(check_int8(models_dir()) is None)'
int8-model: models
	@if [ -n "$$CI" ] && $(BIN)/python -c $(INT8_MISSING); then \
		echo "CI: building the int8 landmark model"; \
		$(BIN)/station models quantize; \
	fi

# MediaPipe 0.10.14 in an environment of its own, for benchmarks/mediapipe_compare.py's smoke run
# (the station never needs it): CI makes it (about 35 s); elsewhere that test skips with a reason.
MP_ENV ?= .cache/mpenv
mediapipe-env:
	@if [ -n "$$CI" ] && [ ! -x $(MP_ENV)/bin/python ]; then \
		echo "CI: making the MediaPipe environment in $(MP_ENV)"; \
		bash benchmarks/setup_mediapipe_env.sh $(MP_ENV); \
	fi

# Debian packages the tests use: Chromium (browser tests), npm (axe-core for them), shellcheck,
# systemd-analyze, debootstrap and systemd-nspawn (deploy tests: a real install, then a boot under
# systemd), mosquitto and prometheus with promtool (fleet tests). Installed only in CI, each unless
# its command is already there (a machine whose Node.js came from elsewhere has npm, and Debian's
# npm package would conflict with it); elsewhere those tests skip with a reason.
CI_PACKAGES := chromium npm shellcheck systemd debootstrap systemd-container util-linux mosquitto prometheus
ci-packages:
	@if [ -n "$$CI" ]; then \
		missing=""; for p in $(CI_PACKAGES); do \
			command -v $$p >/dev/null 2>&1 || \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			echo "CI: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
	fi

# axe-core (the browser tests' accessibility checks) from the npm registry, at the version in
# tests/package-lock.json. Without npm the checks skip with a reason, except in CI.
AXE := tests/node_modules/axe-core/axe.min.js
$(AXE): tests/package.json tests/package-lock.json | ci-packages
	@if command -v npm >/dev/null 2>&1; then \
		cd tests && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/axe-core/axe.min.js; \
	elif [ -n "$$CI" ]; then echo "npm is needed for the accessibility tests (CI is set)"; exit 1; \
	else echo "npm not found: the accessibility tests will skip"; fi

axe: $(AXE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy station
	$(BIN)/python tools/layers.py --check

# The station's import graph by package and by module, and the layer check (tools/layers.py).
layers: $(STAMP)
	$(BIN)/python tools/layers.py

# Arguments for `station run`, e.g. make run ARGS="--port 8080 --data /tmp/demo --host 0.0.0.0"
ARGS ?=
run: models
	$(BIN)/station run $(ARGS)

# The suite's set-up steps are independent of each other: make runs them side by side, then
# pytest runs the tests on TEST_WORKERS processes (pytest-xdist; most tests wait on servers,
# browsers and subprocesses, so more workers than the 2 cores pay).
TEST_WORKERS ?= 3
test-setup: models int8-model mediapipe-env ci-packages axe lint audit lock-check
test: $(STAMP)
	@$(MAKE) --no-print-directory -j4 --output-sync=target test-setup
	MEDIAPIPE_PYTHON=$${MEDIAPIPE_PYTHON:-$(abspath $(MP_ENV))/bin/python} $(BIN)/python -m pytest -n $(TEST_WORKERS)

# The station on arm64 Debian Bookworm and Trixie under qemu and systemd (slow: not in `make test`;
# as root). The last line printed is one JSON object; see deploy/README.md, "The arm64 rig".
# The second line: what pi-gen's build.sh checks for (its `depends` file), for its dry run.
PI_PACKAGES := debootstrap systemd-container qemu-user-static util-linux git \
	quilt parted zerofree dosfstools libarchive-tools rsync xz-utils curl xxd file kmod bc gpg pigz arch-test libcap2-bin e2fsprogs
pi-packages:
	@missing=""; for p in $(PI_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "pi-check: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

pi-check: models pi-packages
	$(BIN)/python deploy/rig/pi_check.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info tests/node_modules

# The rendered drill corpus (tools/render; not part of `make test`, about 2-4 min a clip on 2 cores):
# Blender (bpy, requirements/render.txt) in an environment of its own on CPython 3.11 renders each
# clip's frames, then the station's venv makes them a noisy MP4, records it with `station record`
# (the float model, one thread) and writes labels.json for `station evaluate`. MakeHuman's assets
# first: `python -m tools.render assets CLONE` (see tools/render/assets.py). CLIPS=... for some.
RENDER_PYTHON ?= python3.11
RENDER_ENV ?= .cache/renderenv
RENDERED ?= .cache/rendered
RENDER_STREAMS ?= $(RENDERED)/streams
MAKEHUMAN ?= .cache/makehuman
CLIPS ?= $(shell $(BIN)/python -m tools.render list --names)
render-env:
	@if [ ! -x $(RENDER_ENV)/bin/python ] || ! $(RENDER_ENV)/bin/python -c 'import bpy' 2>/dev/null; then \
		$(RENDER_PYTHON) -m venv $(RENDER_ENV) && \
		$(RENDER_ENV)/bin/python -m pip --disable-pip-version-check install --quiet --require-hashes --no-deps \
			-r requirements/render.txt; \
	fi

render-corpus: $(STAMP) render-env
	@test -f $(MAKEHUMAN)/3dobjs/base.obj || { echo "no MakeHuman assets in $(MAKEHUMAN): python -m tools.render assets CLONE" >&2; exit 2; }
	mkdir -p $(RENDER_STREAMS)
	nice $(RENDER_ENV)/bin/python -m tools.render frames $(CLIPS) --out $(RENDERED) --assets $(MAKEHUMAN)
	for c in $(CLIPS); do \
		$(BIN)/python -m tools.render video $$c --out $(RENDERED) && \
		nice $(BIN)/station record $(RENDERED)/$$c.mp4 --model full --threads 1 -o $(RENDER_STREAMS)/$$c.jsonl || exit 1; \
	done
	$(BIN)/python -m tools.render label $(RENDER_STREAMS) --truth $(RENDERED)
	$(BIN)/station evaluate $(RENDER_STREAMS)
