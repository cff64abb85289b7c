# SPDX-License-Identifier: GPL-2.0
# Common paths for the iommu-scope scripts. Sourced, never executed.
#
# Owns: where the cache lives and where the reference kernel build is found.
# Must not: install anything or touch the system.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${IOMMU_SCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-scope}
LIBCLANG_DIR=$CACHE_DIR/libclang
BUSYBOX=$CACHE_DIR/busybox/bin/busybox
# The reference kernel build in use (a symlink made by scripts/build-kernel).
KBUILD_LINK=$REPO_ROOT/build/kernel

export PATH="$HOME/.cargo/bin:$PATH"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(basename "$0")] $*" >&2; }

# libclang from the PyPI wheel, for bindgen.
libclang_path() {
	local d
	d=$(ls -d "$LIBCLANG_DIR"/clang/native 2>/dev/null) || return 1
	echo "$d"
}
