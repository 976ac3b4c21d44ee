/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for the running daemon, entered once everything is open
 * (guest pages mapped, ranges claimed, images, taps, sockets and xenstore
 * connections open) and before READY, in this order:
 *
 *  1. --chroot DIR: chroot(2) + chdir("/"), so a path the daemon opens
 *     later (hvmemu-ctl insert, an NBD Unix socket it reconnects to)
 *     resolves inside DIR. Descriptors already open stay usable.
 *  2. --runas USER[:GROUP]: supplementary groups cleared, then the group,
 *     then the user (setresgid/setresuid: real, effective and saved, so
 *     root cannot be regained).
 *  3. seccomp (--sandbox on, the default): an allow-list of the system
 *     calls the loop, the backends and their threads make (libseccomp,
 *     SCMP_FLTATR_CTL_TSYNC so the worker threads get it too). Anything
 *     else fails with EPERM rather than killing the process: a guest on a
 *     request must be answered, and every caller handles a failed call.
 *     Notably execve fails (a qemu-nbd child cannot be started again) and
 *     so do ptrace, mount, module loading, bpf, namespaces, setuid.
 *
 * The Xen side (xentoolcore_restrict_all) is ioreq/xen_restrict.c.
 */
#define G_LOG_DOMAIN "hvmemu"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"
#include "tools/hvmemu/sandbox.h"

/* Sanitizer builds (CI) need what LeakSanitizer's exit-time scan does:
 * it stops the threads with ptrace from a clone()d helper. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/* Allowed without argument checks. Names unknown to this architecture's
 * table are skipped (libseccomp resolves them). */
static const char *const sandbox_allowed[] = {
    /* I/O on open descriptors: disks, taps, sockets, event channels */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
    "pwritev", "preadv2", "pwritev2", "lseek", "close", "close_range",
    "ioctl", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "flock",
    "fsync", "fdatasync", "fallocate", "ftruncate", "sync_file_range",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* files: ATAPI insert, metrics file (write + rename), trace file,
     * /proc/self/maps (sanitizers), locale and library data */
    "open", "openat", "openat2", "stat", "fstat", "lstat", "newfstatat",
    "statx", "fstatfs", "statfs", "access", "faccessat", "faccessat2",
    "readlink", "readlinkat", "getdents64", "rename", "renameat",
    "renameat2", "unlink", "unlinkat", "getcwd", "umask",
    /* memory: allocator, guest-memory map cache (mmap of privcmd) */
    "mmap", "munmap", "mremap", "mprotect", "madvise", "brk", "mincore",
    "membarrier",
    /* threads and their exits */
    "clone", "clone3", "futex", "futex_waitv", "set_robust_list",
    "get_robust_list", "rseq", "set_tid_address", "exit", "exit_group",
    "gettid", "getpid", "getppid", "tgkill", "tkill", "sched_yield",
    "sched_getaffinity", "prlimit64", "getrlimit",
    /* signals, the signalfd, stopping and reaping a qemu-nbd child */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
    "sigaltstack", "signalfd4", "kill", "wait4", "waitid", "restart_syscall",
    /* time and the loop */
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    "gettimeofday", "time", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
    "eventfd2",
    /* sockets: control socket, xenstore, NBD, iSCSI */
    "socketpair", "connect", "accept", "accept4", "bind", "listen",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
    "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername",
    /* identity and misc. libc */
    "getrandom", "uname", "getuid", "geteuid", "getgid", "getegid",
    "getgroups", "getresuid", "getresgid", "sysinfo",
#ifdef SANDBOX_SANITIZER
    /* LeakSanitizer at exit: a clone()d tracer lists /proc/self/task with
     * the old getdents and stops every thread with ptrace. */
    "ptrace", "prctl", "getdents", "arch_prctl", "getrusage",
#endif
};

/* socket(2) families: Unix (control, xenstore, NBD), IP (NBD, iSCSI) and
 * netlink (glibc's getaddrinfo asks it for local addresses). No packet
 * sockets, no others. */
static const int sandbox_socket_families[] = {
    AF_UNIX, AF_INET, AF_INET6, AF_NETLINK,
};

static bool sandbox_fail(GError **err, int rc, const char *what)
{
    g_set_error(err, HV_ERROR, HV_ERROR_IO, "seccomp: %s: %s", what,
                g_strerror(-rc));
    return false;
}

static bool sandbox_add_rules(scmp_filter_ctx f, GError **err)
{
    int rc;

    for (size_t i = 0; i < G_N_ELEMENTS(sandbox_allowed); i++) {
        int nr = seccomp_syscall_resolve_name(sandbox_allowed[i]);

        if (nr == __NR_SCMP_ERROR) {
            continue;   /* not a system call on this architecture */
        }
        if ((rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0)) < 0) {
            return sandbox_fail(err, rc, sandbox_allowed[i]);
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(sandbox_socket_families); i++) {
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_EQ,
                                      sandbox_socket_families[i]));
        if (rc < 0) {
            return sandbox_fail(err, rc, "socket");
        }
    }
#ifndef SANDBOX_SANITIZER
    /* Thread names (GLib, libnbd) only. */
    for (int op = PR_SET_NAME; op <= PR_GET_NAME; op++) {
        rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, op));
        if (rc < 0) {
            return sandbox_fail(err, rc, "prctl");
        }
    }
#endif
    return true;
}

static bool sandbox_seccomp(GError **err)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    bool ok = false;
    int rc;

    if (!f) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "seccomp_init failed");
        return false;
    }
    /* Every thread (block workers, trace writer), not just this one. */
    if ((rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
        sandbox_fail(err, rc, "thread sync");
        goto out;
    }
    if (!sandbox_add_rules(f, err)) {
        goto out;
    }
    if ((rc = seccomp_load(f)) < 0) {
        sandbox_fail(err, rc, "loading the filter");
        goto out;
    }
    ok = true;
out:
    seccomp_release(f);
    return ok;
}

bool hvmemu_sandbox_resolve(const char *runas, hvmemu_identity *id,
                            GError **err)
{
    g_auto(GStrv) parts = g_strsplit(runas, ":", 2);
    struct passwd *pw;
    struct group *gr;

    if (!parts[0] || !*parts[0] || (parts[1] && !*parts[1])) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL,
                    "--runas '%s': want USER or USER:GROUP", runas);
        return false;
    }
    if (!(pw = getpwnam(parts[0]))) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "--runas: no user '%s' "
                    "(create one: adduser --system --no-create-home "
                    "hvmemu)", parts[0]);
        return false;
    }
    id->uid = pw->pw_uid;
    id->gid = pw->pw_gid;
    if (parts[1]) {
        if (!(gr = getgrnam(parts[1]))) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "--runas: no group "
                        "'%s'", parts[1]);
            return false;
        }
        id->gid = gr->gr_gid;
    }
    if (id->uid == 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "--runas %s: that is "
                    "root; name an unprivileged user", runas);
        return false;
    }
    id->set = true;
    return true;
}

static bool sandbox_drop_identity(const hvmemu_identity *id, GError **err)
{
    if (setgroups(0, NULL) < 0 || setresgid(id->gid, id->gid, id->gid) < 0 ||
        setresuid(id->uid, id->uid, id->uid) < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "--runas: changing to uid "
                    "%u gid %u: %s (start hvmemu as root)", id->uid, id->gid,
                    g_strerror(errno));
        return false;
    }
#ifdef SANDBOX_SANITIZER
    /* A changed uid makes the process undumpable, and LeakSanitizer's
     * exit-time ptrace of its own threads would then fail. Production
     * builds stay undumpable. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
    return true;
}

bool hvmemu_sandbox_enter(hvmemu_sandbox *s, GError **err)
{
    if (s->chroot_dir && (chroot(s->chroot_dir) < 0 || chdir("/") < 0)) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "--chroot %s: %s",
                    s->chroot_dir, g_strerror(errno));
        return false;
    }
    if (s->runas.set && !sandbox_drop_identity(&s->runas, err)) {
        return false;
    }
    if (s->seccomp && !sandbox_seccomp(err)) {
        return false;
    }
    s->entered = true;
    g_info("sandbox: %s%s%s%s", s->seccomp ? "seccomp allow-list" :
           "no seccomp", s->chroot_dir ? ", chroot " : "",
           s->chroot_dir ? s->chroot_dir : "",
           s->runas.set ? ", unprivileged user" : "");
    return true;
}

int hvmemu_sandbox_probe_execve(void)
{
    char *const none[] = { NULL };

    /* The raw system call: nothing in libc may try another path. */
    if (syscall(SYS_execve, "/nonexistent/hvmemu-sandbox-probe", none,
                none) < 0) {
        return errno;
    }
    return 0;   /* not reached: there is nothing to execute */
}
