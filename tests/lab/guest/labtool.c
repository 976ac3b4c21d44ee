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
 *
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
#include <sys/io.h>
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
    }
    if (rc != 2) {
        return rc;
    }
usage:
    fprintf(stderr, "usage: labtool inb|inw|inl PORT | outb|outw|outl PORT VALUE\n"
                    "       labtool pattern-write|pattern-check FILE SEED FIRST COUNT [direct]\n"
                    "       labtool pattern-cat SEED FIRST COUNT\n"
                    "       labtool bench-inl PORT COUNT\n");
    return 2;
}
