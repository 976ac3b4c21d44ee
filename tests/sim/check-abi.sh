#!/bin/sh
# SPDX-License-Identifier: MIT
# The replacement Xen libraries must satisfy the real hvmemu binary:
#  1. every libxen* it loads comes from XENSIM_LIBDIR (not the system's);
#  2. with LD_BIND_NOW=1 every imported symbol and version node resolves
#     (a missing function or version fails at startup, not mid-test).
# Usage: check-abi.sh HVMEMU XENSIM_LIBDIR
set -eu
bin=$1
libdir=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LD_LIBRARY_PATH=$libdir LD_TRACE_LOADED_OBJECTS=1 "$bin" > "$tmp/ldd" 2>&1 || true
status=0
for lib in libxenctrl.so.4.17 libxendevicemodel.so.1 libxenforeignmemory.so.1 \
           libxenevtchn.so.1 libxentoolcore.so.1; do
    line=$(grep "$lib " "$tmp/ldd" || true)
    case $line in
        "") echo "note: $bin does not load $lib" ;;
        *"=> $libdir/$lib "*) echo "ok: $lib from $libdir" ;;
        *) echo "FAIL: $lib resolved elsewhere: $line"; status=1 ;;
    esac
done
if ! LD_BIND_NOW=1 LD_LIBRARY_PATH=$libdir "$bin" --help > /dev/null 2> "$tmp/err"; then
    echo "FAIL: $bin does not start against the replacements:"
    cat "$tmp/err"
    status=1
else
    echo "ok: all symbols bind (LD_BIND_NOW=1)"
fi
exit $status
