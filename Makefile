# SPDX-License-Identifier: GPL-2.0
#
# iommu-scope. `make` builds iommu_scope.ko against KDIR (default: the
# reference kernel built by scripts/build-kernel, linked at build/kernel).
# For a stock Debian arm64 kernel (module + .deb): make distro [KVER=...]
#
#   make demo    set up, build the reference kernel, the module and the CLI,
#                boot QEMU
#   make cli     the iommu-scope CLI as a static aarch64 program (cross-built
#                in the Debian chroot, out/cli/aarch64-unknown-linux-gnu/)
#   make check   set up and run every test; ends with "N passed, N failed"
#   make bench   the module's cost next to the in-tree C on a non-debug kernel

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KDIR ?= $(REPO)/build/kernel
ifeq ($(shell uname -m),aarch64)
CROSS_COMPILE ?=
else
CROSS_COMPILE ?= aarch64-linux-gnu-
endif
CACHE := $(or $(IOMMU_SCOPE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/iommu-scope)
LIBCLANG_PATH ?= $(CACHE)/libclang/clang/native
export LIBCLANG_PATH
export PATH := $(HOME)/.cargo/bin:$(PATH)

KMAKE = $(MAKE) -C $(KDIR) M=$(REPO) ARCH=arm64 CROSS_COMPILE=$(CROSS_COMPILE) LLVM=

.PHONY: cli all modules clean clippy fmt fmt-check checkpatch setup kernel demo check test-host distro bench

all: modules

modules:
	@test -f $(KDIR)/Module.symvers || { \
	  echo "error: no kernel build at KDIR=$(KDIR) (Module.symvers missing)." >&2; \
	  echo "       Run scripts/setup-deps && scripts/build-kernel, or pass KDIR=." >&2; \
	  exit 1; }
	$(KMAKE) modules

clean:
	-$(KMAKE) clean
	rm -f rust/sys/ffi_generated.rs rust/sys/ffi_kunit_generated.rs

# Rust lints through the kernel's own clippy integration.
clippy:
	$(KMAKE) CLIPPY=1 modules

RUST_SRC = $(shell find rust -name '*.rs' ! -name '*_generated.rs')
fmt:
	rustfmt --edition 2021 --config-path $(KDIR)/source/.rustfmt.toml $(RUST_SRC)
fmt-check:
	rustfmt --check --edition 2021 --config-path $(KDIR)/source/.rustfmt.toml $(RUST_SRC)

checkpatch:
	$$(cat $(KDIR)/.iommu-scope-src)/scripts/checkpatch.pl --no-tree --terse -f \
	  c/*.c include/*.h include/trace/*.h tests-kunit/kunit-module/test_helpers.c

setup:
	scripts/setup-deps

kernel: setup
	scripts/build-kernel >/dev/null

cli:
	scripts/build-cli

demo: kernel
	$(MAKE) modules
	scripts/demo

check:
	scripts/check

# Not part of make check: builds the bench kernel variant, boots it twice.
bench: setup
	scripts/bench $(BENCH_ARGS)

# iommu_scope.ko and iommu-scope-modules-KVER_*.deb for a Debian arm64
# kernel (default: the newest in trixie/trixie-backports), in out/distro/.
distro:
	scripts/distro $(KVER)
