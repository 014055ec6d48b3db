# SPDX-License-Identifier: GPL-2.0
#
# meta: a BPF-programmable paired network device, as an out-of-tree module.
#
#   make [KVER=...|KDIR=...]   build build/$(KVER)/meta.ko (default: newest
#                              kernel whose headers are installed)
#   make install               install meta.ko for $(KVER) and run depmod
#   make iproute2              build/iproute2/link_meta.so: the meta kind as
#                              a plugin of Debian's own `ip`
#   make deb                   Debian packages into build/deb (meta-dkms,
#                              meta-tools, meta-cni, meta-iproute2)
#   make bpf                   BPF programs, libmeta and metactl (build/bpf)
#   make cni                   the CNI plugin (build/cni/meta; cni/README.md)
#   make demo                  boot a VM and show a meta pair at work
#   make check                 every selftest on every supported kernel and
#                              the install test (KERNELS="6.12" to pick some)
#   make check-install         only the install test: make deb's packages
#                              installed with apt into booted Debian systems
#   make stress                SMP stress on the debug kernel, 4 vCPUs:
#                              STRESS_SECONDS (600) of concurrent pair,
#                              program, netns and traffic churn with
#                              module unloads, then make fuzz as long
#                              (KERNELS= to pick others)
#   make fuzz                  nl_fuzz, the netlink fuzzer, on the debug kernel
#                              for FUZZ_SECONDS (600) with FUZZ_SEED (random,
#                              printed) and FUZZ_ARGS (more nl_fuzz options;
#                              KERNELS= to pick others)
#   make checkpatch            checkpatch.pl over the driver sources
#   make bench                 meta vs veth/netkit/host under QEMU icount, then
#                              CNI pod ADD/DEL latency, meta vs ptp (bench/cni.sh)
#                              (BENCH_KERNELS="6.12" to pick; bench/README.md)

SRC	:= $(CURDIR)
KVER	?= $(shell ls -1 /lib/modules 2>/dev/null | \
		while read v; do [ -e /lib/modules/$$v/build/Makefile ] && echo $$v; done | \
		sort -V | tail -n1)
KDIR	?= /lib/modules/$(KVER)/build
BUILD	?= $(SRC)/build
OUT	:= $(BUILD)/$(KVER)
KMAKE_ARGS ?=

# Kbuild writes its objects next to the sources, so each kernel gets its
# own copy of the tree: builds for several kernels never mix objects.
MODULE_SRCS := Kbuild Kconfig $(shell find driver include -type f -name '*.[ch]' -o \
		-type f -name Kbuild -o -type f -name '*.sh' 2>/dev/null)

.PHONY: all module install iproute2 deb selftests bpf cni demo check check-install \
	stress fuzz bench checkpatch clean deps

all: module

module: $(OUT)/meta.ko

$(OUT)/meta.ko: $(MODULE_SRCS)
	@test -e "$(KDIR)/Makefile" || { echo "no kernel headers at $(KDIR) (set KVER= or KDIR=)" >&2; exit 1; }
	@rm -rf $(OUT)/src && mkdir -p $(OUT)/src
	@cp -a $(addprefix $(SRC)/,Kbuild Kconfig driver include) $(OUT)/src/
	$(MAKE) -C $(KDIR) M=$(OUT)/src $(KMAKE_ARGS) modules
	@cp $(OUT)/src/driver/meta.ko $@
	@echo "built $@ for $(KVER)"

install: module
	install -D -m 0644 $(OUT)/meta.ko $(DESTDIR)/lib/modules/$(KVER)/updates/meta.ko
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)

deps:
	$(SRC)/scripts/install-deps.sh

iproute2:
	$(SRC)/iproute2-patch/build.sh $(BUILD)/iproute2

deb:
	$(SRC)/scripts/make-deb.sh $(BUILD)/deb

# Host-built test helpers (meta_nl, tcp_xfer) go into the VM image.
selftests:
	$(MAKE) -C $(SRC)/selftests

# BPF programs, libmeta and metactl, into $(BUILD)/bpf.
bpf:
	$(MAKE) -C $(SRC)/bpf BUILD=$(BUILD)

# The CNI plugin, linked with libmeta, into $(BUILD)/cni.
cni: bpf
	$(MAKE) -C $(SRC)/cni BUILD=$(BUILD)

demo: deps
	$(MAKE) selftests
	$(SRC)/selftests/vm/run.sh --demo

check: deps
	$(MAKE) selftests
	$(SRC)/selftests/vm/run.sh

check-install: deps
	$(SRC)/selftests/vm/run.sh --install

stress: deps
	$(MAKE) selftests
	$(SRC)/selftests/vm/run.sh --stress
	$(MAKE) fuzz FUZZ_SECONDS=$${STRESS_SECONDS:-600}

# selftests/meta/17-fuzz.sh passes its arguments to nl_fuzz.
FUZZ_SECONDS ?= 600
fuzz: deps
	$(MAKE) selftests
	$(SRC)/selftests/vm/run.sh --kernels "$(or $(KERNELS),6.12-debug)" \
		--entry /meta/selftests/meta/17-fuzz.sh --timeout $$(($(FUZZ_SECONDS) + 600)) \
		--tests "--requests 0 --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(FUZZ_ARGS)"

checkpatch:
	$(SRC)/scripts/checkpatch.sh

bench: deps
	$(SRC)/bench/run.sh
	$(SRC)/bench/cni.sh

clean:
	rm -rf $(BUILD)
	$(MAKE) -C $(SRC)/selftests clean
