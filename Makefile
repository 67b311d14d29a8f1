# Developer entry points. `make fuzz` is the long bounded fuzz run (≥1,000,000 executions
# over every target x twin, compiled twins from the bounds-checked debug build);
# `make fuzz-smoke` is the seconds-long CI smoke. See fuzz/README.md.
PYTHON ?= python
DEBUG_BUILD ?= build/debug
ASAN_BUILD ?= build/asan
FUZZ_RUNS ?= 200000
FUZZ_SECONDS ?= 240
LIBASAN := $(shell gcc -print-file-name=libasan.so 2>/dev/null)

.PHONY: test bench debug-build asan-build fuzz fuzz-smoke fuzz-asan fuzz-seeds

test:
	$(PYTHON) -m pytest tests

bench:
	cd bench && $(PYTHON) -m pytest

# Bounds/wraparound/initialized checks on; written to $(DEBUG_BUILD), never over the
# release .so files in src/tls12fast.
debug-build:
	TLS12FAST_CYTHON_DEBUG=1 $(PYTHON) tools/build_one.py --out $(DEBUG_BUILD)

asan-build:
	CFLAGS="-fsanitize=address -fno-omit-frame-pointer" LDFLAGS="-fsanitize=address" \
	TLS12FAST_CYTHON_DEBUG=1 $(PYTHON) tools/build_one.py --out $(ASAN_BUILD)

fuzz: debug-build
	$(PYTHON) fuzz/run.py --all --runs $(FUZZ_RUNS) --max-seconds $(FUZZ_SECONDS) --build $(DEBUG_BUILD)

fuzz-smoke:
	$(PYTHON) -m pytest -q tests/test_fuzz_smoke.py tests/test_fuzz_regressions.py

# The compiled parsers under AddressSanitizer (Python itself is not instrumented, so
# libasan is preloaded and leak checking is off).
fuzz-asan: asan-build
	LD_PRELOAD=$(LIBASAN) ASAN_OPTIONS=detect_leaks=0,allocator_may_return_null=1 PYTHONMALLOC=malloc \
	$(PYTHON) fuzz/run.py --all --targets record,codec,server,client --runs 50000 \
	--max-seconds 60 --build $(ASAN_BUILD)

fuzz-seeds:
	$(PYTHON) fuzz/run.py --make-seeds
