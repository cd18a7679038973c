# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create .venv if it is missing and (re)install only when pyproject.toml or setup.py changed.
# Without make (Windows, macOS), README.md gives the same set-up as plain commands.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The CPU build of PyTorch. A GPU user runs `make TORCH=torch run` (or installs the CUDA
# build of their choice into .venv first); any torch>=2.4 satisfies the project.
TORCH  ?= torch==2.13.0
PRESET ?= xor_mlp
# Test processes (pytest-xdist): each test file runs whole in one of them, so a module's shared
# fixture (the 3-seed false-alarm runs of every preset) is built once. 2 = the 2-core CI machine.
TEST_JOBS ?= 2

.PHONY: run test train bench clean setup wheel-smoke

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q --disable-pip-version-check "$(TORCH)"
	@$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m widgets.launch $(PRESET)

train: $(STAMP)
	@$(PY) -m playground train $(PRESET)

test: $(STAMP)
	@$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile

# The built wheel, installed into a fresh venv outside the checkout, used from another folder.
wheel-smoke:
	@TORCH="$(TORCH)" PYTHON="$(PYTHON)" .ci/wheel_smoke

bench: $(STAMP)
	@$(PY) benchmarks/trainer_overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
