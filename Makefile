# SPDX-License-Identifier: GPL-2.0
# tenet build. `make help` lists the targets.

PREFIX ?= /usr/local
DESTDIR ?=
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
MANPAGES := man/tenet.8 man/tenetd.8 man/tenetd.conf.5
MANDATE := $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
BUILD ?= build
V ?= 0

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)

# The release: `tenet --version`, `tenetd --version`, the man pages.
TENET_VERSION := 0.1.0

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
PKGS := libbpf libxdp jansson sqlite3 libsodium libmnl libsystemd libnftables uuid libcrypto \
	libnetfilter_conntrack libcurl libpcap
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Iheaders -Ilib $(PKG_CFLAGS) \
	-DTENET_BPF_DIR='"$(PREFIX)/lib/tenet"' -DTENET_VERSION='"$(TENET_VERSION)"' -MMD -MP
# Each part sees lib/ and its own folder; headers are named from there
# ("store/store.h", "recon/state.h"). Only the code that loads BPF objects
# sees the skeletons; tests see every part they test.
SKEL_INC := -I$(BUILD)/skel
$(BUILD)/agent/%.o: PART_CFLAGS := -Iagent $(SKEL_INC)
$(BUILD)/cli/%.o: PART_CFLAGS := -Icli
$(BUILD)/lib/datapath/%.o: PART_CFLAGS := $(SKEL_INC)
$(BUILD)/selftests/%.o: PART_CFLAGS := -Iagent -Icli $(SKEL_INC)
ALL_LDLIBS := $(PKG_LIBS) -lelf -lz $(LDLIBS)

# BPF: one object per hook entry file (bpf/*.bpf.c), a skeleton for each.
BPF_CFLAGS := -g -O2 -target bpf -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iheaders -I/usr/include/$(MULTIARCH)
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h headers/tenet/*.h)

# User space: lib/ is shared by agent, CLI and tests; each program's main
# lives in main.c so its other files can be linked into unit tests.
# Sources are found one folder deep (lib/store/sqlite.c, agent/recon/...).
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/*.c lib/*/*.c))
AGENT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out agent/main.c,$(wildcard agent/*.c agent/*/*.c)))
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out cli/main.c,$(wildcard cli/*.c cli/*/*.c)))
LIBTENET := $(BUILD)/libtenet.a
LIBAGENT := $(BUILD)/libtenetd.a
LIBCLI := $(BUILD)/libtenetcli.a
PROGS := $(if $(wildcard agent/main.c),$(BUILD)/tenetd) $(if $(wildcard cli/main.c),$(BUILD)/tenet)

UNIT_TESTS := $(patsubst selftests/unit/%.c,$(BUILD)/selftests/unit/%,$(wildcard selftests/unit/test_*.c))
PKT_TEST := $(BUILD)/selftests/bpf/pkt_test
PKT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard selftests/bpf/*.c))
TOPO_OBJS := $(BUILD)/selftests/bpf/topo.o $(BUILD)/selftests/bpf/frame.o
PROG_BENCH := $(BUILD)/selftests/bench/prog_bench
CP_BENCH := $(BUILD)/selftests/bench/cp_bench
PKT_SEND := $(BUILD)/selftests/bench/pkt_send
BENCH_BPF := $(patsubst selftests/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard selftests/bench/*.bpf.c))
FILTER_BENCH := $(BUILD)/selftests/bench/filter_bench
RATE_BENCH := $(BUILD)/selftests/bench/rate_bench

.PHONY: all bpf deps demo demo-clean check check-unit check-bpf check-net check-vm check-fresh bench install uninstall clean help
.DEFAULT_GOAL := all

all: bpf $(PROGS)

bpf: $(BPF_OBJS) $(SKELS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf,,$*) > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(PART_CFLAGS) -c $< -o $@

$(LIBTENET): $(LIB_OBJS)
$(LIBAGENT): $(AGENT_OBJS)
$(LIBCLI): $(CLI_OBJS)
$(LIBTENET) $(LIBAGENT) $(LIBCLI):
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tenetd: $(BUILD)/agent/main.o $(LIBAGENT) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(BUILD)/tenet: $(BUILD)/cli/main.o $(LIBCLI) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(BUILD)/selftests/unit/%: $(BUILD)/selftests/unit/%.o $(LIBAGENT) $(LIBCLI) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%.bpf.o: selftests/bench/%.bpf.c $(BPF_HDRS)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(PROG_BENCH): $(BUILD)/selftests/bench/prog_bench.o $(TOPO_OBJS) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(CP_BENCH): $(BUILD)/selftests/bench/cp_bench.o $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(PKT_SEND): $(BUILD)/selftests/bench/pkt_send.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

$(FILTER_BENCH): $(BUILD)/selftests/bench/filter_bench.o $(LIBAGENT) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(RATE_BENCH): $(BUILD)/selftests/bench/rate_bench.o $(LIBAGENT) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

$(PKT_TEST): $(PKT_OBJS) $(LIBTENET)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(ALL_LDLIBS) -o $@

deps:
	$(Q)./scripts/deps.sh

# demo: the reference's simple setup plus a second tenant, in namespaces on
# this machine (scripts/demo.sh). Installs what is missing, builds (a
# recursive make, so a fresh machine's new packages are seen), runs, and
# tears down; demo-clean removes what an interrupted run left. STORE=etcd
# runs it on a 3-member etcd cluster.
demo:
	$(Q)./scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) STORE=$(STORE) ./scripts/demo.sh

demo-clean:
	$(Q)./scripts/demo.sh --clean

# Every suite runs even if an earlier one failed; the last line counts them.
check: all $(UNIT_TESTS) $(PKT_TEST) $(PROG_BENCH) $(CP_BENCH) $(FILTER_BENCH) $(RATE_BENCH) $(BENCH_BPF)
	$(Q)BUILD=$(BUILD) ./selftests/run_all.sh

check-unit: $(UNIT_TESTS)
	$(Q)BUILD=$(BUILD) ./selftests/run_all.sh unit
check-bpf: bpf $(PKT_TEST)
	$(Q)BUILD=$(BUILD) ./selftests/run_all.sh bpf
check-net: all
	$(Q)BUILD=$(BUILD) ./selftests/run_all.sh net
check-vm: all $(PKT_TEST)
	$(Q)BUILD=$(BUILD) ./selftests/run_all.sh vm
# The README's install on a fresh debootstrapped Debian 12, from git HEAD.
check-fresh:
	$(Q)BUILD=$(BUILD) ./selftests/fresh/check.sh

# Benchmarks print figures; they never fail on a number. `make check` runs
# a seconds-long smoke of them (suite bench) so they keep working.
bench: all $(PROG_BENCH) $(CP_BENCH) $(FILTER_BENCH) $(RATE_BENCH) $(PKT_SEND) $(BENCH_BPF)
	$(Q)BUILD=$(BUILD) ./selftests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/tenet
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/tenet/
	$(if $(wildcard $(BUILD)/tenetd),install -m 0755 $(BUILD)/tenetd $(DESTDIR)$(PREFIX)/sbin/)
	$(if $(wildcard $(BUILD)/tenet),install -m 0755 $(BUILD)/tenet $(DESTDIR)$(PREFIX)/bin/)
	$(if $(wildcard agent/tenetd.service),install -d $(DESTDIR)/lib/systemd/system && sed 's|@SBINDIR@|$(PREFIX)/sbin|' agent/tenetd.service > $(DESTDIR)/lib/systemd/system/tenetd.service)
	$(if $(wildcard agent/tenetd.conf),test -e $(DESTDIR)/etc/tenet/tenetd.conf || install -D -m 0644 agent/tenetd.conf $(DESTDIR)/etc/tenet/tenetd.conf)
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	for m in $(MANPAGES); do sed -e 's|@VERSION@|$(TENET_VERSION)|' -e 's|@DATE@|$(MANDATE)|' \
		$$m > $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done
	install -m 0644 completion/tenet.bash $(DESTDIR)$(BASHCOMPDIR)/tenet

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/tenetd $(DESTDIR)$(PREFIX)/bin/tenet
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,tenet.8 tenetd.8) $(DESTDIR)$(MANDIR)/man5/tenetd.conf.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/tenet
	rm -rf $(DESTDIR)$(PREFIX)/lib/tenet
	rm -f $(DESTDIR)/lib/systemd/system/tenetd.service

clean:
	rm -rf $(BUILD)

help:
	@echo 'tenet make targets:'
	@echo '  all (default)  BPF objects, skeletons, tenetd and tenet in $(BUILD)/'
	@echo '  bpf            only the BPF objects and their skeletons'
	@echo '  deps           install build and test dependencies (Debian, needs root)'
	@echo '  demo           install deps, build, run the simple-setup demo (needs root;'
	@echo '                 STORE=etcd: on a 3-member etcd cluster)'
	@echo '  demo-clean     remove what an interrupted demo left behind'
	@echo '  check          build and run every test suite (needs root)'
	@echo '  check-unit     cmocka unit tests'
	@echo '  check-bpf      BPF_PROG_TEST_RUN packet tests'
	@echo '  check-net      network-namespace scenario tests'
	@echo '  check-vm       tests that boot a stock Debian kernel under qemu'
	@echo '  check-fresh    the README install in a fresh debootstrapped Debian 12'
	@echo '                 (committed tree only; base cached in /var/cache/tenet)'
	@echo '  bench          benchmarks, one summary table: per-packet cost, table scale,'
	@echo '                 control plane, pps and TCP against kernel gretap (guest)'
	@echo '  install        install to $$(DESTDIR)$$(PREFIX) (PREFIX=$(PREFIX))'
	@echo '  clean          remove $(BUILD)/'
	@echo 'Variables: V=1 shows commands, BUILD=DIR build directory, CC, CLANG, BPFTOOL.'

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
