# aud: a toolkit of small Unix tools that rank the customers to target for each product.
# Users drive it with the usual variables: CFLAGS, LDFLAGS, PREFIX, DESTDIR, V=1.
# Developer switches: SAN=1 builds with ASan+UBSan, WERROR=1 turns warnings into errors.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
CC       ?= cc
CFLAGS   ?= -O2 -g
PKG_CONFIG ?= pkg-config

BUILD    := build
ifeq ($(SAN),1)
  BUILD  := build-san
  SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# STATIC=1 links every tool statically, for the container image.
ifeq ($(STATIC),1)
  BUILD  := build-static
endif
TOOLS    := aud-prepare aud-cat aud-cf-check aud-explore aud-features aud-rank aud-query aud-lift aud-serve
MAN1     := $(filter-out man/aud-serve.1,$(TOOLS:%=man/%.1))
MAN5     := man/aud-stream.5
MAN8     := man/aud-serve.8

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

# Flags every build needs; kept apart so a user's CFLAGS cannot drop them.
AUD_CPPFLAGS := -D_GNU_SOURCE -DAUD_VERSION='"$(VERSION)"' -Icommon \
                $(shell $(PKG_CONFIG) --cflags msgpack libxxhash 2>/dev/null)
AUD_CFLAGS   := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
                -Wformat=2 -Wno-format-nonliteral -MMD -MP -pthread
AUD_CFLAGS   += $(SAN_FLAGS)
AUD_LDFLAGS  := $(SAN_FLAGS) $(if $(filter 1,$(STATIC)),-static)
AUD_LDLIBS   := $(shell $(PKG_CONFIG) --libs msgpack libxxhash 2>/dev/null || echo -lmsgpackc -lxxhash) -lcsv -lm -pthread

ifeq ($(WERROR),1)
  AUD_CFLAGS += -Werror
endif

ifeq ($(V),1)
  Q :=
  say = @:
else
  Q := @
  say = @printf '  %-6s %s\n'
endif

BINS := $(TOOLS:%=$(BUILD)/%) $(BUILD)/gen-lookalike $(BUILD)/bench-model

.PHONY: all bootstrap demo check units bench loadtest data analysis fuzz valgrind image install uninstall clean lint FORCE
.SECONDARY:
all: $(BINS)

$(BUILD)/%.o: %.c
	$(say) CC $<
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(AUD_CPPFLAGS) $(CPPFLAGS) $(AUD_CFLAGS) $(CFLAGS) -c -o $@ $<

# The shared modules as an archive: each program links only the modules it
# uses (aud-serve, started once a connection under inetd, then runs no
# start-up code of modules it never calls, such as ALS's CPU detection).
$(BUILD)/libaud.a: $(COMMON_OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/aud-%: $(BUILD)/cmd/aud-%.o $(BUILD)/libaud.a
	$(say) LD $@
	$(Q)$(CC) $(AUD_CFLAGS) $(CFLAGS) $(AUD_LDFLAGS) $(LDFLAGS) -o $@ $^ $(AUD_LDLIBS) $(LDLIBS)

# aud-serve starts once a connection under inetd; linked statically it
# starts in well under half the time, with no dynamic loader to run.
# SERVE_STATIC= links it like the other tools (sanitizer builds always do).
SERVE_STATIC ?= -static
ifeq ($(SAN),1)
  SERVE_STATIC :=
endif
$(BUILD)/aud-serve: AUD_LDFLAGS += $(SERVE_STATIC)

$(BUILD)/gen-lookalike $(BUILD)/bench-model: $(BUILD)/%: $(BUILD)/scripts/%.o $(BUILD)/libaud.a
	$(say) LD $@
	$(Q)$(CC) $(AUD_CFLAGS) $(CFLAGS) $(AUD_LDFLAGS) $(LDFLAGS) -o $@ $^ $(AUD_LDLIBS) $(LDLIBS)

$(BUILD)/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libaud.a
	$(say) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(AUD_CFLAGS) $(CFLAGS) $(AUD_LDFLAGS) $(LDFLAGS) -o $@ $^ $(AUD_LDLIBS) $(LDLIBS)


# Installs only the Debian packages that are missing; a no-op on a ready machine.
bootstrap:
	@scripts/bootstrap

demo: bootstrap
	@$(MAKE) --no-print-directory all
	@scripts/demo $(BUILD)

check: bootstrap
	@$(MAKE) --no-print-directory all units
	@AUD_BUILD=$(BUILD) scripts/run-tests

units: $(UNIT_BIN)

# Benchmarks are measurements, never tests: median wall time and peak memory.
bench: bootstrap
	@$(MAKE) --no-print-directory all
	@scripts/bench $(BUILD)

# A load test of aud-serve on loopback with wrk; a measurement, not a test.
loadtest: bootstrap
	@$(MAKE) --no-print-directory all
	@scripts/loadtest $(BUILD)

# The large look-alike files are generated on demand, never committed.
data: $(BUILD)/gen-lookalike
	@mkdir -p $(BUILD)/data
	$(BUILD)/gen-lookalike --rows 500000 --seed 1 -o $(BUILD)/data/lookalike-500k.csv
	$(BUILD)/gen-lookalike --rows 5000000 --seed 1 -o $(BUILD)/data/lookalike-5m.csv

# The reproducible analysis of DATA (a CSV; PREPARE_FLAGS name its columns):
# statistics, the collaborative-filtering check and charts in analysis/results
# for the sample, analysis/results/NAME for another DATA (NAME.csv), so that
# the results README shows are never overwritten by another data set's.
# Nothing is redone unless the data, its options or the tools changed.
DATA          ?= data/sample.csv
PREPARE_FLAGS ?=
DATA_NAME     := $(basename $(notdir $(DATA)))
ifeq ($(DATA),data/sample.csv)
  RESULTS     ?= analysis/results
else
  RESULTS     ?= analysis/results/$(DATA_NAME)
endif
ANALYSIS_DIR  := $(BUILD)/analysis/$(DATA_NAME)
RESULT_FILES  := $(addprefix $(RESULTS)/,data_statistics.json cf_metrics.json \
                 daily_activity.png interactions_per_user.png retention_split.png)

analysis: bootstrap
	@$(MAKE) --no-print-directory -s $(RESULT_FILES)

# Records which data and options the results are of; rewritten only on a change.
$(ANALYSIS_DIR)/source: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATA) $(PREPARE_FLAGS)' | cmp -s - $@ || echo '$(DATA) $(PREPARE_FLAGS)' > $@

$(ANALYSIS_DIR)/interactions.aud: $(DATA) $(ANALYSIS_DIR)/source $(BUILD)/aud-prepare
	$(BUILD)/aud-prepare -q $(PREPARE_FLAGS) -o $@ $(DATA)

$(RESULT_FILES) &: $(ANALYSIS_DIR)/interactions.aud $(BUILD)/aud-explore $(BUILD)/aud-cf-check \
                   scripts/analysis analysis/charts.gp
	scripts/analysis $(BUILD) $< $(RESULTS)

# libFuzzer harnesses of the parsers of untrusted bytes (CSV, record
# streams and models, HTTP heads), built by clang with ASan and UBSan into
# build-fuzz/; each runs FUZZ_SECONDS from the seeds in tests/fuzz/corpus.
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/%.o: %.c
	$(say) CC $<
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(AUD_CPPFLAGS) -std=c11 -Wall -pthread -MMD -MP $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(COMMON_SRC:%.c=$(FUZZ_BUILD)/%.o)
	$(say) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(AUD_LDLIBS)

fuzz: bootstrap
	@$(MAKE) --no-print-directory $(FUZZERS)
	@scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every tool once over the sample under valgrind's leak checker. Valgrind
# cannot follow malloc in a static program, so aud-serve is checked as a
# dynamically linked copy.
valgrind: bootstrap
	@$(MAKE) --no-print-directory all $(BUILD)/aud-serve-dynamic
	@scripts/valgrind $(BUILD)

$(BUILD)/aud-serve-dynamic: $(BUILD)/cmd/aud-serve.o $(BUILD)/libaud.a
	$(say) LD $@
	$(Q)$(CC) $(AUD_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(AUD_LDLIBS) $(LDLIBS)

# The container images aud-serve and aud (Containerfile): every tool linked
# statically into build-static/, then built FROM scratch by CONTAINER.
CONTAINER ?= podman
image: bootstrap
	@$(MAKE) --no-print-directory -s STATIC=1 SAN= $(TOOLS:%=build-static/%)
	@CONTAINER=$(CONTAINER) scripts/image build-static $(VERSION)

lint:
	@scripts/lint-man $(MAN1) $(MAN5) $(MAN8)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(TOOLS:%=$(BUILD)/%) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) \
	      $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%)

clean:
	rm -rf build build-san build-fuzz build-static

# Header dependencies of every build, read last: all the build directories
# are defined by then (the fuzz build's were not, and its objects went stale).
-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
