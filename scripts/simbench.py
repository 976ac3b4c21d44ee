# SPDX-License-Identifier: MIT
"""What the benchmark scripts share: building the simulated Xen and the
daemon in a build dir, and the environment tests/sim's harness wants
(the same variables meson's sim suite sets: tests/sim/meson.build)."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = ("libxenctrl.so.4.17.0", "libxendevicemodel.so.1.4",
        "libxenforeignmemory.so.1.4", "libxenevtchn.so.1.2",
        "libxentoolcore.so.1.0")
TOOLS = ("tools/xensim/xensim", "tools/xensim/xensim-store",
         "tools/hvmemu/hvmemu")


def build(b, *targets):
    """meson setup (if needed) and ninja of the simulator, its libraries,
    hvmemu and @targets (paths relative to the build dir)."""
    if not os.path.exists(os.path.join(b, "build.ninja")):
        subprocess.run(["meson", "setup", b, ROOT], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", b, *TOOLS, *targets]
                   + [os.path.join("tools/xensim/lib", l) for l in LIBS],
                   check=True, stdout=subprocess.DEVNULL)


def sim_env(b):
    env = dict(os.environ)
    env.update(XENSIM_BIN=os.path.join(b, "tools/xensim/xensim"),
               XENSIM_STORE_BIN=os.path.join(b, "tools/xensim/xensim-store"),
               XENSIM_LIBDIR=os.path.join(b, "tools/xensim/lib"),
               HVMEMU_BIN=os.path.join(b, "tools/hvmemu/hvmemu"))
    return env
