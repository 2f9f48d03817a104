# Two commands do everything on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3.11
VENV   := .venv
STAMP  := $(VENV)/.installed
RUN    := $(VENV)/bin

.PHONY: demo test install benchmark clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh
	PYTHON=$(PYTHON) bash scripts/setup.sh $(VENV)
	touch $(STAMP)

demo: $(STAMP)
	$(RUN)/robustsim run examples/demo.yaml -o results/demo
	$(RUN)/robustsim report results/demo -o results/demo/report.html

test: $(STAMP)
	$(RUN)/python -m pytest

benchmark: $(STAMP)
	$(RUN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) results
