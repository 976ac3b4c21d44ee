// SPDX-License-Identifier: MIT
/*
 * labtool - the lab's static helper, used in the HVM guest and in dom0.
 *
 *   labtool inb|inw|inl PORT              print the value read (0x%0Nx)
 *   labtool outb|outw|outl PORT VALUE     write VALUE to PORT
 *   labtool pattern-write FILE SEED FIRST COUNT [direct]
 *   labtool pattern-check FILE SEED FIRST COUNT [direct]
 *   labtool pattern-cat SEED FIRST COUNT  write the pattern to stdout
 *   labtool bench-inl PORT COUNT          time COUNT 32-bit reads of PORT
 *   labtool bench-io FILE read|write|randread|randwrite BS COUNT [SPAN_MB]
 *                                         O_DIRECT, one request at a time;
 *                                         prints MB/s and IOPS
 *   labtool tcp-serve PORT SEED COUNT     accept one connection, send the
 *                                         pattern's COUNT sectors, close
 *   labtool tcp-check PORT SEED COUNT     accept one, receive until EOF,
 *                                         check, answer "OK ..." or "BAD ..."
 *   labtool tcp-get HOST PORT SEED COUNT  connect, receive and check
 *   labtool tcp-put HOST PORT SEED COUNT  connect, send, print the answer
 *
 * The tcp-* pairs move the same pattern over a network (sectors 0..COUNT-1)
 * and print bytes, seconds and MB/s on success.
 * The pattern covers 512-byte sectors FIRST..FIRST+COUNT-1 of FILE (a disk
 * image or a block device).  Each sector starts with its LBA as text
 * ("LBA 0000001234 SEED 0001 HVMEMU\n"), the rest is xorshift noise seeded by
 * (LBA, SEED), so a misplaced, stale or torn sector is always detected and
 * named.  "direct" uses O_DIRECT with aligned buffers.  pattern-check prints
 * the first mismatching sector and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/io.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SECTOR 512u
#define CHUNK_SECTORS 256u /* 128 KiB per read/write */

static void pattern_sector(uint8_t *buf, uint64_t lba, unsigned seed)
{
    uint64_t x = (lba + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 32 | seed);
    int n = snprintf((char *)buf, SECTOR, "LBA %010" PRIu64 " SEED %04u HVMEMU\n",
                     lba, seed & 0xffffu);
    for (unsigned i = (unsigned)n; i < SECTOR; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
}

/* The first bad sector: which bytes differ, and what they hold instead
 * (zeros? another sector's data?), so the report alone points at the bug. */
static void report_mismatch(uint64_t lba, const uint8_t *got, const uint8_t *want)
{
    unsigned first = 0, last = 0, nbad = 0;
    for (unsigned k = 0; k < SECTOR; k++) {
        if (got[k] != want[k]) {
            if (!nbad++) {
                first = k;
            }
            last = k;
        }
    }
    char head[33];
    for (int k = 0; k < 32; k++) {
        head[k] = (got[k] >= 32 && got[k] < 127) ? (char)got[k] : '.';
    }
    head[32] = 0;
    printf("MISMATCH at LBA %" PRIu64 ": %u bytes differ in [%u, %u]; got starts '%s' hex",
           lba, nbad, first, last, head);
    for (unsigned k = first; k < first + 16 && k < SECTOR; k++) {
        printf(" %02x", got[k]);
    }
    printf("; ");
}

static unsigned long long num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || end == s) {
        fprintf(stderr, "labtool: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static int port_io(const char *op, int argc, char **argv)
{
    if (argc < 1) {
        return 2;
    }
    unsigned port = (unsigned)num(argv[0]);
    if (iopl(3) != 0) {
        perror("labtool: iopl");
        return 1;
    }
    char w = op[strlen(op) - 1];
    if (op[0] == 'i') {
        unsigned long v = w == 'b' ? inb(port) : w == 'w' ? inw(port) : inl(port);
        printf("0x%0*lx\n", w == 'b' ? 2 : w == 'w' ? 4 : 8, v);
        return 0;
    }
    if (argc < 2) {
        return 2;
    }
    unsigned long v = (unsigned long)num(argv[1]);
    if (w == 'b') {
        outb((unsigned char)v, port);
    } else if (w == 'w') {
        outw((unsigned short)v, port);
    } else {
        outl((unsigned int)v, port);
    }
    return 0;
}

/* Round-trip cost of a trapped port read (Xen → device model → back). */
static int bench_inl(int argc, char **argv)
{
    if (argc < 2) {
        return 2;
    }
    unsigned port = (unsigned)num(argv[0]);
    unsigned long long n = num(argv[1]);
    if (iopl(3) != 0) {
        perror("labtool: iopl");
        return 1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (unsigned long long i = 0; i < n; i++) {
        (void)inl(port);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%llu reads of port 0x%x in %.3f s: %.1f us each\n", n, port, s,
           n ? s * 1e6 / (double)n : 0.0);
    return 0;
}

static uint8_t *chunk_buf(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 4096, CHUNK_SECTORS * SECTOR)) {
        perror("labtool: posix_memalign");
        exit(1);
    }
    return p;
}


/* After a mismatch read through the page cache: is the cached page itself
 * bad (read again), where is it in guest-physical memory (mmap + pagemap,
 * to match against hvmemu's HVMEMU_DEBUG_MEMLOG), and what does the disk
 * hold (O_DIRECT)? Printed on one line after the MISMATCH report. */
static void probe_mismatch(const char *file, uint64_t lba, const uint8_t *want)
{
    uint8_t *b = chunk_buf();
    int fd = open(file, O_RDONLY);
    off_t off = (off_t)(lba * SECTOR);
    if (fd >= 0 && pread(fd, b, SECTOR, off) == SECTOR) {
        printf("PROBE again-buffered=%s ", memcmp(b, want, SECTOR) ? "BAD" : "ok");
    }
    off_t pg = off & ~(off_t)4095;
    uint8_t *m = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, pg) : MAP_FAILED;
    if (m != MAP_FAILED) {
        volatile uint8_t touch = m[0];
        (void)touch;
        uint64_t ent = 0;
        int pm = open("/proc/self/pagemap", O_RDONLY);
        if (pm >= 0 && pread(pm, &ent, 8, (off_t)((uintptr_t)m / 4096 * 8)) == 8) {
            printf("page-gpa=0x%llx ", (unsigned long long)((ent & ((1ull << 55) - 1)) * 4096) +
                                               (unsigned long long)(off - pg));
        }
        if (pm >= 0) {
            close(pm);
        }
        printf("mmap=%s ", memcmp(m + (off - pg), want, SECTOR) ? "BAD" : "ok");
        munmap(m, 4096);
    }
    if (fd >= 0) {
        close(fd);
    }
    fd = open(file, O_RDONLY | O_DIRECT);
    if (fd >= 0 && pread(fd, b, SECTOR, off) == SECTOR) {
        printf("direct=%s ", memcmp(b, want, SECTOR) ? "BAD" : "ok");
    }
    if (fd >= 0) {
        close(fd);
    }
    free(b);
}

static int pattern_io(const char *op, int argc, char **argv)
{
    int check = strcmp(op, "pattern-check") == 0;
    int cat = strcmp(op, "pattern-cat") == 0;
    if (argc < (cat ? 3 : 4)) {
        return 2;
    }
    const char *file = cat ? NULL : *argv++;
    unsigned seed = (unsigned)num(argv[0]);
    uint64_t first = num(argv[1]), count = num(argv[2]);
    int direct = !cat && argc > 4 && strcmp(argv[3], "direct") == 0;
    int fd = 1;
    if (!cat) {
        int flags = (check ? O_RDONLY : O_WRONLY | O_CREAT) | (direct ? O_DIRECT : 0);
        fd = open(file, flags, 0644);
        if (fd < 0) {
            fprintf(stderr, "labtool: open %s: %s\n", file, strerror(errno));
            return 1;
        }
    }
    uint8_t *buf = chunk_buf(), *want = check ? chunk_buf() : NULL;
    uint64_t bad = 0;
    for (uint64_t done = 0; done < count;) {
        uint64_t n = count - done < CHUNK_SECTORS ? count - done : CHUNK_SECTORS;
        uint64_t lba = first + done;
        size_t len = (size_t)n * SECTOR;
        uint8_t *gen = check ? want : buf;
        for (uint64_t i = 0; i < n; i++) {
            pattern_sector(gen + i * SECTOR, lba + i, seed);
        }
        ssize_t r;
        if (cat) {
            r = write(fd, buf, len);
        } else if (check) {
            r = pread(fd, buf, len, (off_t)(lba * SECTOR));
        } else {
            r = pwrite(fd, buf, len, (off_t)(lba * SECTOR));
        }
        if (r != (ssize_t)len) {
            fprintf(stderr, "labtool: %s at LBA %" PRIu64 ": %s\n", op, lba,
                    r < 0 ? strerror(errno) : "short transfer");
            return 1;
        }
        if (check && memcmp(buf, want, len) != 0) {
            for (uint64_t i = 0; i < n; i++) {
                const uint8_t *g = buf + i * SECTOR, *w = want + i * SECTOR;
                if (memcmp(g, w, SECTOR) == 0) {
                    continue;
                }
                if (!bad++) {
                    report_mismatch(lba + i, g, w);
                    if (!direct) {
                        probe_mismatch(file, lba + i, w);
                    }
                }
            }
        }
        done += n;
    }
    if (bad) {
        printf("%" PRIu64 " of %" PRIu64 " sectors differ\n", bad, count);
        return 1;
    }
    if (!check && !cat && fsync(fd) != 0) {
        fprintf(stderr, "labtool: fsync %s: %s\n", file, strerror(errno));
        return 1;
    }
    if (!cat) {
        printf("ok %" PRIu64 " sectors from LBA %" PRIu64 "%s\n", count, first,
               direct ? " (O_DIRECT)" : "");
    }
    return 0;
}

/* ---- TCP transfer of the pattern (the e1000 scenarios) ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int tcp_listen_accept(unsigned port)
{
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1)) {
        perror("labtool: listen");
        exit(1);
    }
    printf("listening on %u\n", port);
    int c = accept(ls, NULL, NULL);
    if (c < 0) {
        perror("labtool: accept");
        exit(1);
    }
    close(ls);
    return c;
}

static int tcp_connect(const char *host, unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(s, (struct sockaddr *)&a, sizeof(a))) {
        fprintf(stderr, "labtool: connect %s:%u: %s\n", host, port, strerror(errno));
        exit(1);
    }
    return s;
}

static int tcp_send_pattern(int s, unsigned seed, uint64_t count)
{
    uint8_t sec[SECTOR];
    for (uint64_t lba = 0; lba < count; lba++) {
        pattern_sector(sec, lba, seed);
        for (size_t off = 0; off < SECTOR;) {
            ssize_t w = write(s, sec + off, SECTOR - off);
            if (w <= 0) {
                fprintf(stderr, "labtool: send at sector %" PRIu64 ": %s\n", lba,
                        w < 0 ? strerror(errno) : "closed");
                return -1;
            }
            off += (size_t)w;
        }
    }
    return 0;
}

/* Receive until EOF; @msg gets "OK ..." or "BAD ...". Returns 0 if OK. */
static int tcp_recv_pattern(int s, unsigned seed, uint64_t count, char *msg, size_t msz)
{
    static uint8_t buf[65536];
    uint8_t sec[SECTOR], want[SECTOR];
    size_t fill = 0;
    uint64_t lba = 0, total = 0;
    double t0 = now_s();
    for (;;) {
        ssize_t r = read(s, buf, sizeof(buf));
        if (r < 0) {
            snprintf(msg, msz, "BAD read after %" PRIu64 " bytes: %s", total, strerror(errno));
            return 1;
        }
        if (r == 0) {
            break;
        }
        total += (uint64_t)r;
        for (ssize_t i = 0; i < r;) {
            size_t n = SECTOR - fill < (size_t)(r - i) ? SECTOR - fill : (size_t)(r - i);
            memcpy(sec + fill, buf + i, n);
            fill += n;
            i += (ssize_t)n;
            if (fill == SECTOR) {
                pattern_sector(want, lba, seed);
                if (lba >= count || memcmp(sec, want, SECTOR)) {
                    snprintf(msg, msz, "BAD sector %" PRIu64 " differs (or is extra)", lba);
                    return 1;
                }
                lba++;
                fill = 0;
            }
        }
    }
    double t = now_s() - t0;
    if (lba != count || fill) {
        snprintf(msg, msz, "BAD got %" PRIu64 " bytes, want %" PRIu64, total, count * SECTOR);
        return 1;
    }
    snprintf(msg, msz, "OK %" PRIu64 " bytes in %.2f s (%.2f MB/s)", total, t,
             t > 0 ? (double)total / t / 1e6 : 0.0);
    return 0;
}

/* QD1 O_DIRECT throughput of FILE: sequential from offset 0, or random
 * BS-aligned offsets within the first SPAN_MB (default 32) MiB. */
static int bench_io(int argc, char **argv)
{
    if (argc < 4) {
        return 2;
    }
    const char *file = argv[0], *mode = argv[1];
    size_t bs = (size_t)num(argv[2]);
    uint64_t count = num(argv[3]), span = (argc > 4 ? num(argv[4]) : 32) << 20;
    int wr = strstr(mode, "write") != NULL, rnd = !strncmp(mode, "rand", 4);
    if (!bs || bs % 512 || span < bs) {
        fprintf(stderr, "labtool: bad block size or span\n");
        return 2;
    }
    int fd = open(file, (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
    void *buf = NULL;
    if (fd < 0 || posix_memalign(&buf, 4096, bs)) {
        fprintf(stderr, "labtool: open %s: %s\n", file, strerror(errno));
        return 1;
    }
    memset(buf, 0xa5, bs);
    uint64_t x = 0x2545f4914f6cdd1dull, nblk = span / bs;
    double t0 = now_s();
    for (uint64_t i = 0; i < count; i++) {
        uint64_t blk = i % nblk;
        if (rnd) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            blk = x % nblk;
        }
        ssize_t r = wr ? pwrite(fd, buf, bs, (off_t)(blk * bs)) : pread(fd, buf, bs, (off_t)(blk * bs));
        if (r != (ssize_t)bs) {
            fprintf(stderr, "labtool: %s at %" PRIu64 ": %s\n", mode, blk * bs,
                    r < 0 ? strerror(errno) : "short");
            return 1;
        }
    }
    if (wr && fdatasync(fd)) {
        perror("labtool: fdatasync");
        return 1;
    }
    double t = now_s() - t0;
    printf("%.2f MB/s %.0f IOPS (%" PRIu64 " x %zu B %s in %.2f s)\n",
           (double)(count * bs) / t / 1e6, (double)count / t, count, bs, mode, t);
    close(fd);
    free(buf);
    return 0;
}

static int tcp_io(const char *op, int argc, char **argv)
{
    int client = !strcmp(op, "tcp-get") || !strcmp(op, "tcp-put");
    if (argc < (client ? 4 : 3)) {
        return 2;
    }
    const char *host = client ? *argv++ : NULL;
    unsigned port = (unsigned)num(argv[0]), seed = (unsigned)num(argv[1]);
    uint64_t count = num(argv[2]);
    char msg[160];
    int s = client ? tcp_connect(host, port) : tcp_listen_accept(port);
    double t0 = now_s();
    if (!strcmp(op, "tcp-serve")) {
        int rc = tcp_send_pattern(s, seed, count) ? 1 : 0;
        close(s);
        printf("%s %" PRIu64 " bytes\n", rc ? "FAILED after" : "sent", count * SECTOR);
        return rc;
    }
    if (!strcmp(op, "tcp-get") || !strcmp(op, "tcp-check")) {
        int rc = tcp_recv_pattern(s, seed, count, msg, sizeof(msg));
        if (!client) {
            dprintf(s, "%s\n", msg);   /* the sender's verdict */
        }
        close(s);
        printf("%s\n", msg);
        return rc;
    }
    /* tcp-put: send, half-close, wait for the receiver's verdict. */
    if (tcp_send_pattern(s, seed, count)) {
        return 1;
    }
    shutdown(s, SHUT_WR);
    ssize_t r = read(s, msg, sizeof(msg) - 1);
    double t = now_s() - t0;
    close(s);
    msg[r > 0 ? r : 0] = 0;
    msg[strcspn(msg, "\n")] = 0;
    printf("%s (sender: %.2f s, %.2f MB/s)\n", r > 0 ? msg : "BAD no verdict", t,
           t > 0 ? (double)(count * SECTOR) / t / 1e6 : 0.0);
    return r > 0 && !strncmp(msg, "OK", 2) ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        goto usage;
    }
    const char *op = argv[1];
    int rc = 2;
    if (!strcmp(op, "inb") || !strcmp(op, "inw") || !strcmp(op, "inl") ||
        !strcmp(op, "outb") || !strcmp(op, "outw") || !strcmp(op, "outl")) {
        rc = port_io(op, argc - 2, argv + 2);
    } else if (!strcmp(op, "bench-inl")) {
        rc = bench_inl(argc - 2, argv + 2);
    } else if (!strncmp(op, "pattern-", 8)) {
        rc = pattern_io(op, argc - 2, argv + 2);
    } else if (!strcmp(op, "bench-io")) {
        rc = bench_io(argc - 2, argv + 2);
    } else if (!strncmp(op, "tcp-", 4)) {
        rc = tcp_io(op, argc - 2, argv + 2);
    }
    if (rc != 2) {
        return rc;
    }
usage:
    fprintf(stderr, "usage: labtool inb|inw|inl PORT | outb|outw|outl PORT VALUE\n"
                    "       labtool pattern-write|pattern-check FILE SEED FIRST COUNT [direct]\n"
                    "       labtool pattern-cat SEED FIRST COUNT\n"
                    "       labtool bench-inl PORT COUNT\n"
                    "       labtool bench-io FILE read|write|randread|randwrite BS COUNT [SPAN_MB]\n"
                    "       labtool tcp-serve|tcp-check PORT SEED COUNT\n"
                    "       labtool tcp-get|tcp-put HOST PORT SEED COUNT\n");
    return 2;
}
