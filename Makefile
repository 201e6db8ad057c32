# mxhost — build, test, run.
#
#   make            build build/mxhost (gcc by default; CC=clang works too)
#   make deps       install missing Debian packages (apt-get)
#   make run        the demo mail host on loopback (examples/mxhost.conf)
#   make test       deps, then the format check and every test: unit, end to
#                   end, the same again under ASan+UBSan (clang), and a short
#                   run of every fuzzer
#   make bench      benchmarks against the peers (bench/*.sh)
#   make format     clang-format every C file in place
#
# Sources are found by wildcard: a new .c file under src/ is built into the
# binary, a new tests/unit/test_*.c becomes a test program, a new
# fuzz/fuzz_*.c becomes a fuzzer. Nothing here needs editing to add one.

CC       ?= cc
BUILD    ?= build
SAN      ?=
OPT      ?= -O2
PKGS      = libevent libevent_pthreads libevent_openssl openssl inih
CPPFLAGS += -Isrc -D_GNU_SOURCE
CFLAGS   += -std=c11 $(OPT) -g -Wall -Wextra -Wstrict-prototypes -Werror $(SAN)
LDFLAGS  += $(SAN)
LDLIBS    = $$(pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt -lpthread
PYTEST    = /usr/bin/python3 -m pytest
FUZZ_SECONDS ?= 20

SRC      := $(shell find src -name '*.c' ! -path src/cli/main.c | sort)
OBJ      := $(SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

.PHONY: all deps run test unit e2e asan fuzz fuzz-build bench format format-check clean

all: $(BUILD)/mxhost

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmxhost.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/mxhost: $(BUILD)/src/cli/main.o $(BUILD)/libmxhost.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libmxhost.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -Wno-unused-parameter -o $@ $< \
		$(BUILD)/libmxhost.a $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; \
		(cd tests/unit && ../../$$t); done

# End-to-end tests drive the real binary named by MXHOST.
e2e: $(BUILD)/mxhost
	MXHOST=$(CURDIR)/$(BUILD)/mxhost $(PYTEST) -q -x tests/e2e $(PYTEST_ARGS)

# The whole suite again, built by clang with AddressSanitizer and UBSan.
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(MAKE) CC=clang BUILD=build-asan OPT=-O1 SAN="$(ASAN_FLAGS)" unit e2e

# libFuzzer harnesses, each run briefly over its seed corpus (fuzz/corpus/NAME).
FUZZ_CFLAGS = -std=c11 -g -O1 -Isrc -D_GNU_SOURCE -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz-build: $(BUILD)/fuzz-lib/libmxhost.a
	@mkdir -p $(BUILD)/fuzz
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
		echo "clang $$f"; \
		clang $(FUZZ_CFLAGS) -o $(BUILD)/fuzz/$$n $$f $(BUILD)/fuzz-lib/libmxhost.a $(LDLIBS); \
	done
$(BUILD)/fuzz-lib/libmxhost.a: $(SRC)
	$(MAKE) CC=clang BUILD=$(BUILD)/fuzz-lib OPT=-O1 \
		SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
		$(BUILD)/fuzz-lib/libmxhost.a
fuzz: fuzz-build
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); c=fuzz/corpus/$${n#fuzz_}; \
		mkdir -p $$c $(BUILD)/fuzz/work-$$n; echo "== fuzz $$n ($(FUZZ_SECONDS)s)"; \
		if ! $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix=fuzz/ $(BUILD)/fuzz/work-$$n $$c \
			> $(BUILD)/fuzz/$$n.log 2>&1; then \
			tail -n 40 $(BUILD)/fuzz/$$n.log; exit 1; fi; \
		tail -n 1 $(BUILD)/fuzz/$$n.log; \
	done

test: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) e2e
	$(MAKE) asan
	$(MAKE) fuzz

run: deps all
	@mkdir -p var
	exec ./$(BUILD)/mxhost serve -c examples/mxhost.conf

bench: deps all
	@set -e; for b in bench/*.sh; do echo "== $$b"; sh $$b; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

-include $(OBJ:.o=.d) $(BUILD)/src/cli/main.d
