# SPDX-License-Identifier: MIT
# compare-hvmemu-release: compare-hvmemu with an optimised build of hvmemu
# (meson buildtype=release, no sanitizers; scripts/lab/build-image builds
# it into /lab/release), as an admin would run it. QEMU's figures come
# from Debian's release build, so this is the like-for-like comparison;
# compare-hvmemu runs the build under test (in CI: ASan+UBSan at -O0).
# scripts/lab/run prints all three side by side.
. /lab/scenarios/compare-hvmemu.sh
LAB_ORDER=62
LAB_HVMEMU_BIN=/lab/release/hvmemu
HVMEMU_ENV='LD_LIBRARY_PATH=/lab/release'
