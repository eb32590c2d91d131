# cprof build.  One Makefile, predictable targets:
#   make            build build/cprof and build/libcprof.so
#   make test       unit tests, end-to-end tests, fuzz corpus replay, checks
#   make asan       ASan+UBSan build in build-asan/, then the same tests
#   make tsan       TSan build in build-tsan/, then the runtime-heavy tests
#   make fuzz       libFuzzer targets (clang) in build-fuzz/
#   make bench      benchmarks, side by side with their anchors
#   make install PREFIX=/usr/local
# Packagers: `make WERROR=` turns warnings back into warnings.

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= cc
CFLAGS   ?= -O2 -g
WERROR   ?= -Werror
SANITIZE ?=
VERSION  := 0.1.0
# `make V=1` shows full compiler command lines.
Q        := $(if $(V),,@)

CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wwrite-strings -Wvla -Wundef -Wpointer-arith -Wimplicit-fallthrough -fno-common
ifeq ($(SANITIZE),thread)
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

PKGS      := libdeflate libisal libdw libelf
# Deferred (=): pkg-config runs only after deps.sh had its chance to install.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread -ldl -lm
# The tool alone links libedit (the shell); capstone (-disasm) it loads on
# first use (its headers only at build time).  Never the runtime.
# `cprof load` links libhttp_parser (HTTP/1.1 responses), OpenSSL (https)
# and libnghttp2 (-h2).
TOOL_PKGS     := libedit capstone openssl libnghttp2
TOOL_CFLAGS    = $(shell pkg-config --cflags $(TOOL_PKGS))
TOOL_LIBS      = $(shell pkg-config --libs libedit openssl libnghttp2) -lhttp_parser
# protobuf-c is the reference the tests hold the hand-written codec to.
REF_LIBS   = $(shell pkg-config --libs libprotobuf-c)

GEN      := $(BUILD)/gen
INCS      = -Iinclude -Isrc -I$(GEN) -Itests/ref $(PKG_CFLAGS)
ALL_CFLAGS = $(CSTD) $(WARN) $(WERROR) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden \
             -DCPROF_VERSION='"$(VERSION)"' $(INCS) -MMD -MP
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

DEPS_STAMP := $(BUILD)/.deps-build

# Shared code: linked by both the runtime and the tool.
SHARED_SRC := $(wildcard src/base/*.c src/model/*.c src/sym/*.c)
RT_SRC     := $(wildcard src/rt/*.c src/rt/sig/*.c)
TOOL_SRC   := $(filter-out src/tool/main.c,$(wildcard src/tool/*.c src/tool/report/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)
BENCHLIB_SRC := $(wildcard src/bench/*.c)
PROTO_C    := $(GEN)/profile.pb-c.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
SHARED_OBJ := $(call obj,$(SHARED_SRC))
REF_OBJ    := $(BUILD)/obj/tests/ref/pbc_ref.o $(BUILD)/obj/gen/profile.pb-c.o
RT_OBJ     := $(call obj,$(RT_SRC))
TOOL_OBJ   := $(call obj,$(TOOL_SRC))
UNIT_OBJ   := $(call obj,$(UNIT_SRC))

CPROF   := $(BUILD)/cprof
LIBRT   := $(BUILD)/libcprof.so
# The benchmark harness (include/cprof/bench.h): a static archive, so its
# main() is taken only by programs that define none; it links libcprof.so.
BENCHLIB := $(BUILD)/libcprof-bench.a
UNIT    := $(BUILD)/cprof_unit
# One fuzz target per parser, fuzz/fuzz_NAME.c, with its corpus in
# fuzz/corpus/NAME/; `make test` replays each corpus through its target.
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_HELP_OBJ := $(call obj,$(filter-out fuzz/replay.c fuzz/fuzz_%.c,$(wildcard fuzz/*.c)))
REPLAYS := $(patsubst %,$(BUILD)/fuzz_replay_%,$(FUZZ_NAMES))
# Objects made through the pattern rules above are not intermediates to delete.
.SECONDARY: $(call obj,$(wildcard fuzz/*.c))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
# Benchmark examples: each built as NAME_old and NAME_new (-DELVIS_FAST).
BENCH_EXAMPLES := $(foreach n,$(patsubst examples/bench/%.c,%,$(wildcard examples/bench/*.c)),\
                    $(BUILD)/examples/bench/$(n)_old $(BUILD)/examples/bench/$(n)_new)

.PHONY: all demo bench-demo test unit e2e replay check asan tsan fuzz bench install uninstall clean \
        check-headers check-symbols check-deps check-sigsafe format check-format deps

all: $(CPROF) $(LIBRT) $(BENCHLIB) $(EXAMPLES) $(BENCH_EXAMPLES)

# The README's main job: build, profile the bundled CPU-bound example with
# the runtime preloaded, and show where its CPU time went: the run's top
# summary, then the hottest function's annotated source.  Then a small
# server under `cprof run -http`, loaded by `cprof load` while its CPU
# profile is fetched from /debug/pprof (about 4 s).
demo: all
	$(CPROF) run -hz 1000 -cpu $(BUILD)/demo.cpu.pb.gz -- $(BUILD)/examples/cpu_hot
	$(CPROF) -list=hot_loop $(BUILD)/demo.cpu.pb.gz
	sh examples/demo_load.sh $(BUILD)

deps:
	@sh scripts/deps.sh build test

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	@sh scripts/deps.sh build
	@touch $@

$(BUILD)/.deps-test: scripts/deps.sh
	@mkdir -p $(@D)
	@sh scripts/deps.sh test
	@touch $@

$(PROTO_C): src/model/profile.proto | $(DEPS_STAMP) $(BUILD)/.deps-test
	@mkdir -p $(@D)
	protoc-c --proto_path=src/model --c_out=$(GEN) src/model/profile.proto

$(BUILD)/obj/tests/ref/pbc_ref.o: $(PROTO_C)

# Generated code is not ours to lint: compile it without the strict set.
$(BUILD)/obj/gen/profile.pb-c.o: $(PROTO_C)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden $(INCS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Tool objects also see the tool-only libraries' headers.
$(BUILD)/obj/src/tool/%.o: src/tool/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(TOOL_CFLAGS) -c -o $@ $<

$(BUILD)/libshared.a: $(SHARED_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

# Runtime objects as an archive, for tests that call runtime internals: a
# test pulls in only the objects it references (never the interposers).
$(BUILD)/librt.a: $(RT_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BENCHLIB): $(call obj,$(BENCHLIB_SRC))
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/libtool.a: $(TOOL_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(LIBRT): $(RT_OBJ) $(BUILD)/libshared.a
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,--version-script=tools/rt.map -Wl,-u,cprof_strerror \
	    -o $@ $(RT_OBJ) \
	    $(BUILD)/libshared.a $(LDFLAGS_ALL) $(PKG_LIBS)

# `cprof attach` unwinds another process's stacks with the runtime's own
# CFI table builder and walker: the tool links those two objects (and
# includes only rt/sig/unwind.h; see check-deps), nothing else of rt.
UNW_OBJ := $(BUILD)/obj/src/rt/unwind_tables.o $(BUILD)/obj/src/rt/sig/unwind.o

$(CPROF): $(BUILD)/obj/src/tool/main.o $(BUILD)/libtool.a $(UNW_OBJ) $(BUILD)/libshared.a
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS) $(TOOL_LIBS)

$(UNIT): $(UNIT_OBJ) $(REF_OBJ) $(BUILD)/libtool.a $(BUILD)/librt.a $(BUILD)/libshared.a \
         $(call obj,src/bench/bench_fmt.c)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS) $(TOOL_LIBS) $(REF_LIBS)

# Fuzz targets link the tool's and the runtime's archives too (for their
# parsers, e.g. fetch.c, http_parse.c): an archive adds only what is used.
FUZZ_LIBS := $(BUILD)/libtool.a $(BUILD)/librt.a $(BUILD)/libshared.a

$(BUILD)/fuzz_replay_%: $(BUILD)/obj/fuzz/replay.o $(BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_HELP_OBJ) \
                        $(REF_OBJ) $(FUZZ_LIBS)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS) $(TOOL_LIBS) $(REF_LIBS)

# Example programs: built with frame pointers off, as users' code often is.
$(BUILD)/examples/%: examples/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(WERROR) -O2 -g $(SANFLAGS) -o $@ $< -lpthread -lm

BENCH_LINK = $(BENCHLIB) -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lcprof -lpthread -lm
$(BUILD)/examples/bench/%_old: examples/bench/%.c $(BENCHLIB) $(LIBRT)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(WERROR) -O2 -g $(SANFLAGS) -Iinclude -o $@ $< $(BENCH_LINK)
$(BUILD)/examples/bench/%_new: examples/bench/%.c $(BENCHLIB) $(LIBRT)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(WERROR) -O2 -g $(SANFLAGS) -Iinclude -DELVIS_FAST -o $@ $< $(BENCH_LINK)

# The benchmark loop of the README: both versions, -benchmem, benchstat.
bench-demo: all
	$(BUILD)/examples/bench/elvis_old -bench . -benchmem -count 6 -benchtime 0.2s > $(BUILD)/old.txt
	$(BUILD)/examples/bench/elvis_new -bench . -benchmem -count 6 -benchtime 0.2s > $(BUILD)/new.txt
	$(CPROF) benchstat $(BUILD)/old.txt $(BUILD)/new.txt

# ---- tests -----------------------------------------------------------------

test: all $(UNIT) $(REPLAYS) $(BUILD)/.deps-test check check-format
	@BUILD=$(BUILD) sh tests/run.sh

unit: $(UNIT)
	$(UNIT)

e2e: all $(BUILD)/.deps-test
	@BUILD=$(BUILD) sh tests/e2e/run.sh $(T)

replay: $(REPLAYS)
	@for n in $(FUZZ_NAMES); do $(BUILD)/fuzz_replay_$$n fuzz/corpus/$$n || exit 1; done

check: check-headers check-symbols check-deps check-sigsafe

check-headers: | $(DEPS_STAMP)
	@for h in include/*.h include/cprof/*.h src/*/*.h src/rt/sig/*.h src/tool/report/*.h; do \
	    echo "#include \"$${h#src/}\"" | sed 's|"include/|"|' | \
	    $(CC) $(CSTD) $(WARN) -Werror -Iinclude -Isrc -I$(GEN) -fsyntax-only -xc - || \
	    { echo "check-headers: $$h does not stand alone" >&2; exit 1; }; done

check-symbols: $(LIBRT)
	@nm -D --defined-only $(LIBRT) | awk '$$2 ~ /[TWDBVi]/ {print $$3}' | sed 's/@.*//' | \
	    sort -u > $(BUILD)/rt-exports.txt
	@diff -u tools/rt-exports.txt $(BUILD)/rt-exports.txt || \
	    { echo "check-symbols: libcprof.so exports changed; update tools/rt-exports.txt" >&2; exit 1; }

# The layers: base <- model <- sym <- {rt, tool}.  A layer includes only
# headers of the layers to its left (and its own).
# cprof attach shares the runtime's unwinder: the tool's one allowed rt/ include.
check-deps:
	@fail=0; \
	for rule in "base:model sym rt tool" "model:sym rt tool" "sym:rt tool" "rt:tool" \
	            "tool:rt"; do \
	    dir=$${rule%%:*}; \
	    for up in $${rule#*:}; do \
	        if grep -rn "#include \"$$up/" src/$$dir | \
	           grep -v '^src/tool/attach[a-z_]*\.c:[0-9]*:#include "rt/sig/unwind\.h"$$'; then \
	            echo "check-deps: src/$$dir includes $$up/ headers" >&2; fail=1; \
	        fi; \
	    done; \
	done; \
	exit $$fail

check-sigsafe: $(RT_OBJ)
	@sh tools/check-sigsafe.sh $(BUILD)/obj/src/rt/sig

# ---- variants --------------------------------------------------------------

asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 CFLAGS="-O1 -g" test

# The runtime's threads (samplers, writer, interposed pthread_create and
# dlopen) under ThreadSanitizer: the unit tests and the e2e tests that
# drive the runtime hardest (forks, execs, 400 short-lived threads at
# 4000 Hz under each mechanism, the API).  Tests of stack shapes do not
# apply: TSan runs asynchronous signal handlers late, at its next
# interception point, so samples land elsewhere.  tests/tsan.supp lists
# the reports that are not races (each with its reason).
TSAN_E2E := cpu_api cpu_robust cpu_fallback preload_noop
tsan:
	$(MAKE) BUILD=build-tsan SANITIZE=thread CFLAGS="-O1 -g" all build-tsan/cprof_unit
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp" \
	    build-tsan/cprof_unit
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp" \
	    BUILD=build-tsan sh tests/e2e/run.sh $(TSAN_E2E)

fuzz: | $(DEPS_STAMP)
	@sh scripts/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" \
	    SANITIZE=1 $(patsubst %,build-fuzz/fuzz_%,$(FUZZ_NAMES))

build-fuzz/fuzz_%: $(BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_HELP_OBJ) $(REF_OBJ) $(FUZZ_LIBS)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) $(TOOL_LIBS) $(REF_LIBS)

# Benchmark programs link the shared code only: nothing under bench/ goes
# into the runtime or the tool.
BENCH_GEN := $(BUILD)/bench/gen_profile

$(BENCH_GEN): $(BUILD)/obj/bench/gen_profile.o $(BUILD)/libshared.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS)

bench: all $(BENCH_GEN)
	@sh scripts/deps.sh bench
	@BUILD=$(BUILD) sh bench/run.sh
	@BUILD=$(BUILD) sh bench/report.sh
	@BUILD=$(BUILD) sh bench/cpu.sh
	@BUILD=$(BUILD) sh bench/cpu_overhead.sh
	@BUILD=$(BUILD) sh bench/http.sh
	@BUILD=$(BUILD) bash bench/heap.sh
	@BUILD=$(BUILD) sh bench/load.sh

# ---- install ---------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(CPROF) $(DESTDIR)$(PREFIX)/bin/cprof
	install -m 755 $(LIBRT) $(DESTDIR)$(PREFIX)/lib/libcprof.so
	install -m 644 include/cprof.h $(DESTDIR)$(PREFIX)/include/cprof.h
	install -d $(DESTDIR)$(PREFIX)/include/cprof
	install -m 644 include/cprof/bench.h $(DESTDIR)$(PREFIX)/include/cprof/bench.h
	install -m 644 $(BENCHLIB) $(DESTDIR)$(PREFIX)/lib/libcprof-bench.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' tools/cprof.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cprof.pc
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' tools/cprof-bench.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cprof-bench.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/cprof $(DESTDIR)$(PREFIX)/lib/libcprof.so \
	    $(DESTDIR)$(PREFIX)/include/cprof.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/cprof.pc \
	    $(DESTDIR)$(PREFIX)/include/cprof/bench.h $(DESTDIR)$(PREFIX)/lib/libcprof-bench.a \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/cprof-bench.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# The tree is clang-format clean (.clang-format); make test keeps it so.
check-format: | $(BUILD)/.deps-test
	@clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h') || \
	    { echo "check-format: run make format" >&2; exit 1; }

clean:
	rm -rf build build-asan build-fuzz build-tsan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
