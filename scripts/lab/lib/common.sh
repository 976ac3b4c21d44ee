# SPDX-License-Identifier: MIT
# Host-side helpers shared by scripts/lab/build-image and scripts/lab/run.
# Sourced, never executed.  Sets the lab's paths from the environment:
#
#   HVMEMU_BUILD      meson build dir whose `meson install` is tested (default: build)
#   HVMEMU_LAB_CACHE  cache of everything that does not depend on the project's
#                     code (default: /var/cache/hvmemu-lab)
#   HVMEMU_LAB_DIR    per-run work dir: payload image, serial log, logs
#                     (default: $HVMEMU_BUILD/lab)
#   HVMEMU_LAB_MIRROR Debian mirror for debootstrap (default: the one apt uses)

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
LAB_SCRIPTS=$LAB_SRC/scripts/lab
LAB_TESTS=$LAB_SRC/tests/lab
LAB_SUITE=bookworm
# The guest kernel's source: Debian's linux-source package of the series
# the dom0 kernel (linux-image-amd64) comes from.
LAB_KERNEL_SERIES=6.1
LAB_KERNEL_TARBALL=/usr/src/linux-source-$LAB_KERNEL_SERIES.tar.xz

# A relative HVMEMU_BUILD is taken relative to the current directory, like
# meson does, falling back to the source root (scripts/lab/run from anywhere).
lab_resolve_build() {
    local b=${HVMEMU_BUILD:-build}
    if [[ $b != /* ]]; then
        if [[ -d $b ]]; then
            b=$(cd "$b" && pwd)
        else
            b=$LAB_SRC/$b
        fi
    fi
    HVMEMU_BUILD=$b
    HVMEMU_LAB_DIR=${HVMEMU_LAB_DIR:-$HVMEMU_BUILD/lab}
    HVMEMU_LAB_CACHE=${HVMEMU_LAB_CACHE:-/var/cache/hvmemu-lab}
    export HVMEMU_BUILD HVMEMU_LAB_DIR HVMEMU_LAB_CACHE
}

lab_log() {
    printf '[lab %s] %s\n' "$(date +%T)" "$*"
}

lab_die() {
    printf '[lab %s] ERROR: %s\n' "$(date +%T)" "$*" >&2
    exit 1
}

# The lab cannot run at all here.  Loud, and a failure: a skipped lab must
# never look like a passed one in CI.
lab_skip() {
    printf '\nLAB SKIPPED: %s\n\n' "$*" >&2
    printf 'LAB SKIPPED: %s\n' "$*"
    exit 1
}

# Stage timing: lab_stage_begin NAME ... lab_stage_end NAME [note]
# Prints "[lab] stage NAME: 12.3 s" and appends to $LAB_TIMINGS if set.
declare -A LAB_STAGE_T0=()
lab_now() { date +%s.%N; }
lab_stage_begin() {
    LAB_STAGE_T0[$1]=$(lab_now)
    lab_log "stage $1 ..."
}
lab_stage_end() {
    local name=$1 note=${2:-} dt
    dt=$(awk -v a="${LAB_STAGE_T0[$name]}" -v b="$(lab_now)" \
        'BEGIN { printf "%.1f", b - a }')
    lab_log "stage $name: ${dt} s${note:+ ($note)}"
    if [[ -n ${LAB_TIMINGS:-} ]]; then
        printf '%-28s %8s s  %s\n' "$name" "$dt" "$note" >>"$LAB_TIMINGS"
    fi
}

lab_need_root() {
    [[ $(id -u) == 0 ]] || lab_skip "must run as root (debootstrap, chroot, mkfs)"
    [[ $(uname -m) == x86_64 ]] || lab_skip "needs an x86_64 host, this is $(uname -m)"
}

# Install host packages: lab_host_pkg PKG...
lab_host_pkg() {
    lab_log "installing host package(s) $*"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
        >/tmp/hvmemu-lab-apt.log 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q \
            >>/tmp/hvmemu-lab-apt.log 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
            >>/tmp/hvmemu-lab-apt.log 2>&1 ||
            lab_skip "cannot install $* (see /tmp/hvmemu-lab-apt.log)"
    fi
}

# Install host packages when their command is missing: lab_host_tool CMD PKG...
lab_host_tool() {
    local cmd=$1
    shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    lab_host_pkg "$@"
    command -v "$cmd" >/dev/null 2>&1 ||
        lab_skip "$cmd still missing after installing $*"
}

lab_host_tools() {
    lab_host_tool debootstrap debootstrap
    lab_host_tool qemu-system-x86_64 qemu-system-x86
    lab_host_tool mkfs.ext4 e2fsprogs
    lab_host_tool cpio cpio
    lab_host_tool zstd zstd
    lab_host_tool debugfs e2fsprogs
    lab_host_tool sfdisk fdisk                 # build-boot-media
    lab_host_tool grub-mkimage grub-pc-bin
    lab_host_tool xorriso xorriso
    lab_host_tool gcc gcc libc6-dev
    lab_host_tool meson meson
    lab_host_tool flock util-linux
    # build-guest-kernel: Debian's kernel source and what building it takes
    lab_host_tool bison bison
    lab_host_tool flex flex
    lab_host_tool bc bc
    lab_host_tool depmod kmod                  # modules_install's modules.dep
    [[ -f /usr/include/libelf.h ]] || lab_host_pkg libelf-dev   # objtool
    [[ -f $LAB_KERNEL_TARBALL ]] || lab_host_pkg linux-source-$LAB_KERNEL_SERIES
    [[ -f $LAB_KERNEL_TARBALL ]] || lab_skip "no $LAB_KERNEL_TARBALL after installing linux-source-$LAB_KERNEL_SERIES"
}

lab_mirror() {
    if [[ -n ${HVMEMU_LAB_MIRROR:-} ]]; then
        echo "$HVMEMU_LAB_MIRROR"
        return
    fi
    local m
    m=$(awk '/^URIs:/ { print $2; exit }' \
        /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    [[ -n $m ]] || m=$(awk '/^deb / && $2 ~ /^http/ { print $2; exit }' \
        /etc/apt/sources.list 2>/dev/null)
    echo "${m:-http://deb.debian.org/debian}"
}

# Cache key of the base: everything that decides its content.
lab_base_key() {
    {
        echo "suite=$LAB_SUITE arch=amd64"
        cat "$LAB_SCRIPTS/lib/build-base"
    } | sha256sum | cut -c1-16
}

# The version of the guest kernel's source package.
lab_kernel_source_version() {
    dpkg-query -W -f '${Version}' "linux-source-$LAB_KERNEL_SERIES"
}

# Cache key of the guest kernel: the build script, the configuration
# fragment and the source package's version.
lab_guest_kernel_key() {
    {
        cat "$LAB_SCRIPTS/lib/build-guest-kernel" "$LAB_TESTS/guest/kernel.config"
        lab_kernel_source_version
    } | sha256sum | cut -c1-16
}

# The guest kernel's source tree and objects, one per source package
# version, kept for incremental rebuilds (lib/build-guest-kernel).
lab_guest_kernel_tree() {
    echo "$HVMEMU_LAB_CACHE/guest-kernel/tree-$(lab_kernel_source_version)"
}
