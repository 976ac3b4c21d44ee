/* SPDX-License-Identifier: MIT */
/*
 * simh: start xensim and the real hvmemu for an integration test, hand out
 * guest vCPU handles, tear everything down and report how hvmemu exited.
 * Reused by every device's simulated-Xen tests (testdev, IDE, e1000).
 *
 * Binaries come from the environment meson sets for suite "sim":
 *   XENSIM_BIN     the simulator
 *   XENSIM_LIBDIR  the replacement Xen libraries (LD_LIBRARY_PATH for hvmemu)
 *   XENSIM_STORE_BIN  the simulated xenstored (real libxenstore talks to it)
 *   HVMEMU_BIN     the daemon under test
 *   SIMH_VERBOSE=1 traces the simulator and runs hvmemu with -v
 *
 *   simh *h = simh_new(&(simh_opts){ .vcpus = 2 });
 *   simh_start_hvmemu(h, (const char *[]){ "--device",
 *                     "testdev,port=0x2000", NULL }, 1);
 *   xs_guest *g = simh_guest(h, 0);
 *   ... xs_guest_in(g, 0x2000, 4, &v) ...
 *   g_assert_cmpint(simh_stop_hvmemu(h, SIGTERM, 5000), ==, 0);
 *   simh_free(h);
 */
#ifndef SIMH_HARNESS_H
#define SIMH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "xensim-guest.h"

typedef struct simh simh;

typedef struct simh_opts {
    uint32_t domid;          /* default 1 */
    unsigned vcpus;          /* default 1 */
    const char *ram;         /* default "64M" */
    const char *const *sim_args;   /* extra xensim options, NULL-ended */
} simh_opts;

/* Start xensim in a fresh temporary directory and wait for READY; sets
 * XENSIM_SOCKET in this process's environment so libraries and guests in
 * the test itself find it. Aborts the test on failure. */
simh *simh_new(const simh_opts *o);

/* Start hvmemu --domid N ARGS... against the simulator, then wait until
 * @want_servers ioreq servers are enabled with ranges (0: don't wait).
 * Returns false (with a message) if it exits or times out first. */
bool simh_start_hvmemu(simh *h, const char *const *args,
                       unsigned want_servers);

/* A guest vCPU connection (owned by the harness, closed by simh_free). */
xs_guest *simh_guest(simh *h, unsigned vcpu);
/* A control connection: info, waits, faults. */
xs_guest *simh_control(simh *h);

const char *simh_socket(const simh *h);
/* The harness's scratch directory (removed by simh_free). */
const char *simh_dir(const simh *h);
/* The simulated xenstore (xensim-store), started with the simulator and
 * named by XENSTORED_PATH in this process and in hvmemu's environment. */
const char *simh_xenstore_path(const simh *h);
/* hvmemu's control socket in the harness's directory (passed as
 * --control unless the test gives its own); g_free the result. */
char *simh_control_path(const simh *h);
pid_t simh_hvmemu_pid(const simh *h);
/* Run hvmemu-ctl (HVMEMU_CTL_BIN) on that socket with @cmd split at
 * spaces ("latency on"); its stdout in @out (g_free). Returns its exit
 * status, -1 if it did not exit. */
int simh_ctl(simh *h, const char *cmd, char **out);
/* Run the plot script @script (scripts/plot-*) on @in to the PNG @png with
 * Debian's python3; asserts it exits 0 and wrote a PNG. Its stdout
 * (g_free). */
char *simh_plot(const char *script, const char *in, const char *png);

/*
 * Wait up to @timeout_ms for hvmemu to exit; returns its exit status
 * (0..255), 128 + signal if killed by one, or -1 if still running.
 */
int simh_wait_hvmemu(simh *h, int timeout_ms);
/* Send @sig (0: none) and wait like simh_wait_hvmemu; a daemon still
 * running afterwards is SIGKILLed and -1 returned. */
int simh_stop_hvmemu(simh *h, int sig, int timeout_ms);

/* Kill the simulator itself (SIGKILL): "the hypervisor" goes away. */
void simh_kill_sim(simh *h);

/* Kill whatever still runs, close guests, remove the directory. */
void simh_free(simh *h);

/* Run hvmemu ARGS... (HVMEMU_BIN) to its end, no --domid added; its
 * stderr in *@err (g_free). Returns the exit status, -1 if killed. */
int simh_run_hvmemu(const char *const *args, char **err);

/* Milliseconds on the monotonic clock, for test time limits. */
int64_t simh_now_ms(void);

#endif
