# SPDX-License-Identifier: MIT
"""What the benchmark scripts share: building the simulated Xen and the
daemon in a build dir, and the environment tests/sim's harness wants
(the same variables meson's sim suite sets: tests/sim/meson.build)."""
import os
import re
import signal
import subprocess
import sys
import time

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


def parse(line):
    """xensim-bench's "key=value ..." line as a dict."""
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", line)}


def wait_serving(bench, sock, timeout=10.0):
    """Retry a tiny guest loop until hvmemu answers (it is then serving)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run([bench, "guest", "--served", "--socket", sock,
                            "-n", "100"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            return True
        time.sleep(0.05)
    return False


def cpu_ns(pid):
    """Time @pid has run on a CPU so far (/proc/PID/schedstat, ns)."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def serve(b, sock, extra, guest_args):
    """Start hvmemu (testdev at 0x2000, @extra arguments) under the xensim
    on @sock, wait until it serves, run xensim-bench guest with
    @guest_args, stop hvmemu. Returns the guest's figures, plus
    dm_cpu_ns (hvmemu's CPU time during the measured guest run) and
    dm_out (hvmemu's output, its exit summary included)."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(b, "tools/xensim/lib")
    env["XENSIM_SOCKET"] = sock
    dm = subprocess.Popen([os.path.join(b, "tools/hvmemu/hvmemu"),
                           "--domid", "1", "--device", "testdev,port=0x2000"]
                          + extra, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    bench = os.path.join(b, "tools/xensim/xensim-bench")
    try:
        if not wait_serving(bench, sock):
            sys.exit("%s: hvmemu did not start serving" % sys.argv[0])
        before = cpu_ns(dm.pid)
        out = subprocess.run([bench, "guest", "--socket", sock] + guest_args,
                             check=True, capture_output=True,
                             text=True).stdout
        r = parse(out)
        r["dm_cpu_ns"] = cpu_ns(dm.pid) - before
    finally:
        dm.send_signal(signal.SIGTERM)
        try:
            r_out, _ = dm.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            dm.kill()
            r_out, _ = dm.communicate()
    r["dm_out"] = r_out
    return r
