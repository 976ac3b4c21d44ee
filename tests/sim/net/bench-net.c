// SPDX-License-Identifier: MIT
/*
 * bench-net: frame throughput of the real hvmemu's e1000 under xensim, as
 * a guest driver sees it, and the physical floor in the same run.
 *
 *   bench-net [--seconds N] [--sizes 64,1500] [--batch B]
 *
 * tx     the guest queues B frames per TDT doorbell on a 256-descriptor
 *        ring (buffers and descriptors written straight into guest RAM,
 *        DD checked before a descriptor is reused); a thread here plays
 *        the network and counts what arrives at its socket.
 * rx     a thread sends frames to hvmemu's socket as fast as it takes
 *        them (a blocking unix datagram send: back-pressure, no loss); the
 *        guest waits for INTA#, reads ICR, harvests every DD descriptor,
 *        returns them with one RDT write: a NAPI-style driver.
 * floor  two processes, one sending blocking unix datagrams of the same
 *        size to the other: what the host's sockets alone can carry.
 *
 * A unix datagram socket queues at most net.unix.max_dgram_qlen frames
 * (often 10) and hvmemu's backend drops rather than block (docs/e1000.md),
 * so the tx guest keeps at most that many frames in flight: without it
 * the figure would count drops, not throughput. "lost" must stay 0.
 *
 * Sizes are frame bytes as they cross the socket (no FCS). Prints one
 * key=value line per measurement for scripts/bench-net.
 * Needs XENSIM_BIN, XENSIM_LIBDIR and HVMEMU_BIN like the sim tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "net-guest.h"

#define RING 256u

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

typedef struct counter {
    GMutex lock;
    GCond cond;
    uint64_t frames;
    atomic_bool stop;
    atomic_bool done;       /* rx: the source has stopped sending */
    size_t size;
    int fd;
    const char *to;         /* rx: hvmemu's socket */
} counter;

static void report(const char *mode, size_t size, uint64_t frames,
                   double secs, int64_t lost)
{
    printf("mode=%s size=%zu frames=%" G_GUINT64_FORMAT " secs=%.3f "
           "fps=%.0f gbps=%.4f lost=%" G_GINT64_FORMAT "\n", mode, size,
           frames, secs, frames / secs, frames * size * 8.0 / secs / 1e9,
           lost);
    fflush(stdout);
}

static unsigned max_dgram_qlen(void)
{
    g_autofree char *s = NULL;

    if (!g_file_get_contents("/proc/sys/net/unix/max_dgram_qlen", &s, NULL,
                             NULL)) {
        return 10;
    }
    return MAX(1u, (unsigned)g_ascii_strtoull(s, NULL, 10));
}

/* ---- guest -> network ---- */

static gpointer tx_sink(gpointer opaque)
{
    counter *c = opaque;
    uint8_t buf[2048];
    struct timeval tv = { .tv_usec = 100000 };

    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!atomic_load(&c->stop)) {
        ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

        if (r < 0) {
            continue;
        }
        g_assert_cmpint(r, ==, (ssize_t)c->size);
        g_mutex_lock(&c->lock);
        c->frames++;
        g_cond_signal(&c->cond);
        g_mutex_unlock(&c->lock);
    }
    return NULL;
}

/* Block until at most @inflight of @sent frames are still unreceived. */
static void tx_pace(counter *c, uint64_t sent, uint64_t inflight)
{
    g_mutex_lock(&c->lock);
    while (sent - c->frames > inflight) {
        gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

        if (!g_cond_wait_until(&c->cond, &c->lock, until)) {
            break;      /* frames were lost: "lost" will say so */
        }
    }
    g_mutex_unlock(&c->lock);
}

static void tx_fill(net_env *e, uint8_t *ram, size_t size)
{
    uint8_t f[2048];

    ng_tx_init(e, RING);
    for (unsigned i = 0; i < RING; i++) {
        uint8_t *d = ram + NG_TX_RING + i * 16;
        uint64_t buf = NG_TX_BUF + i * 2048u;

        ng_frame(f, size, peer_mac, i);
        memcpy(ram + buf, f, size);
        memset(d, 0, 16);
        memcpy(d, &buf, 8);     /* x86 guest: little-endian */
        d[8] = (uint8_t)size;
        d[9] = (uint8_t)(size >> 8);
        d[11] = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
        d[12] = TXD_STA_DD;     /* "free" for the first pass */
    }
}

static void bench_tx(net_env *e, uint8_t *ram, size_t size, double secs,
                     unsigned batch)
{
    counter c = { .size = size, .fd = e->peer };
    unsigned qlen = max_dgram_qlen(), tail = 0;
    uint64_t sent = 0;
    GThread *t;
    gint64 t0, now;

    batch = MIN(batch, qlen);
    tx_fill(e, ram, size);
    t = g_thread_new("tx-sink", tx_sink, &c);
    t0 = now = g_get_monotonic_time();
    while (now - t0 < secs * 1e6) {
        tx_pace(&c, sent, qlen - batch);
        for (unsigned k = 0; k < batch; k++, tail = (tail + 1) % RING) {
            volatile uint8_t *sta = ram + NG_TX_RING + tail * 16 + 12;

            while (!(*sta & TXD_STA_DD)) {
                g_usleep(10);
            }
            *sta = 0;
        }
        sent += batch;
        ng_wr(e, R_TDT, tail);
        now = g_get_monotonic_time();
    }
    tx_pace(&c, sent, 0);
    now = g_get_monotonic_time();
    atomic_store(&c.stop, true);
    g_thread_join(t);
    report("tx", size, c.frames, (now - t0) / 1e6,
           (int64_t)(sent - c.frames));
}

/* ---- network -> guest ---- */

static gpointer rx_source(gpointer opaque)
{
    counter *c = opaque;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_usec = 100000 };
    uint8_t f[2048];

    /* Blocks while hvmemu holds back, but looks at stop now and then. */
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    strcpy(sun.sun_path, c->to);
    ng_frame(f, c->size, our_mac, 1);
    while (!atomic_load(&c->stop)) {
        ssize_t r = sendto(c->fd, f, c->size, 0, (struct sockaddr *)&sun,
                           sizeof(sun));

        if (r < 0 && errno == EAGAIN) {
            continue;
        }
        g_assert_cmpint(r, ==, (ssize_t)c->size);
        g_mutex_lock(&c->lock);
        c->frames++;
        g_mutex_unlock(&c->lock);
    }
    atomic_store(&c->done, true);
    return NULL;
}

/* Take every completed descriptor; returns how many. */
static unsigned rx_harvest(net_env *e, uint8_t *ram, size_t size)
{
    unsigned n = 0;

    for (;;) {
        volatile uint8_t *d = ram + NG_RX_RING + e->rx_next * 16;

        if (!(d[12] & RXD_STA_DD)) {
            break;
        }
        g_assert_cmpuint(d[8] | (unsigned)d[9] << 8, ==, size);
        g_assert_cmphex(d[12] & RXD_STA_EOP, ==, RXD_STA_EOP);
        d[12] = 0;
        e->rx_next = (e->rx_next + 1) % RING;
        n++;
    }
    if (n) {
        /* RDT: one behind the next descriptor we will look at. */
        ng_wr(e, R_RDT, (e->rx_next + RING - 1) % RING);
    }
    return n;
}

static uint64_t rx_sent(counter *c)
{
    g_mutex_lock(&c->lock);
    uint64_t n = c->frames;
    g_mutex_unlock(&c->lock);
    return n;
}

static void bench_rx(net_env *e, uint8_t *ram, size_t size, double secs)
{
    counter c = { .size = size, .fd = e->peer, .to = e->nic_sock };
    uint64_t got = 0;
    GThread *t;
    gint64 t0, now, stop_at = 0;

    ng_rx_init(e, RING, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    ng_wr(e, R_RDTR, 0);
    ng_wr(e, R_IMS, ICR_RXT0);
    t0 = now = g_get_monotonic_time();
    t = g_thread_new("rx-source", rx_source, &c);
    /* The source may be blocked on a full socket until we harvest: keep
     * harvesting until it has stopped and everything it sent is in. */
    while (!atomic_load(&c.done) || got < rx_sent(&c)) {
        int r = xs_guest_wait_irq(e->g, XS_IRQ_INTX, NG_INTX, 1, 200);

        if (r == 0) {
            ng_rd(e, R_ICR);        /* acknowledge: INTA# drops */
            got += rx_harvest(e, ram, size);
        }
        now = g_get_monotonic_time();
        if (!stop_at && now - t0 >= secs * 1e6) {
            atomic_store(&c.stop, true);
            stop_at = now;
        }
        if (stop_at && now - stop_at > 5 * G_TIME_SPAN_SECOND) {
            break;                  /* lost frames: reported below */
        }
    }
    g_thread_join(t);
    report("rx", size, got, (now - t0) / 1e6,
           (int64_t)(rx_sent(&c) - got));
    ng_wr(e, R_IMC, ICR_RXT0);
    ng_wr(e, R_RCTL, 0);
}

/* ---- the floor: two processes, raw unix datagrams ---- */

static void floor_child(const char *path, int result_fd)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    uint8_t buf[2048];
    uint64_t n = 0;

    strcpy(sun.sun_path, path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        _exit(1);
    }
    g_assert_cmpint(write(result_fd, &n, sizeof(n)), ==, sizeof(n));
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), 0);

        if (r <= 0) {
            break;                  /* the empty datagram ends the run */
        }
        n++;
    }
    g_assert_cmpint(write(result_fd, &n, sizeof(n)), ==, sizeof(n));
    _exit(0);
}

static void bench_floor(const char *dir, size_t size, double secs)
{
    g_autofree char *path = g_build_filename(dir, "floor.sock", NULL);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0), p[2];
    uint8_t f[2048];
    uint64_t n = 0;
    gint64 t0, now;
    pid_t pid;

    g_assert_cmpint(pipe(p), ==, 0);
    pid = fork();
    if (pid == 0) {
        floor_child(path, p[1]);
    }
    g_assert_cmpint(read(p[0], &n, sizeof(n)), ==, sizeof(n));  /* bound */
    strcpy(sun.sun_path, path);
    ng_frame(f, size, our_mac, 1);
    t0 = now = g_get_monotonic_time();
    while (now - t0 < secs * 1e6) {
        for (int i = 0; i < 64; i++) {
            g_assert_cmpint(sendto(fd, f, size, 0, (struct sockaddr *)&sun,
                                   sizeof(sun)), ==, (ssize_t)size);
        }
        now = g_get_monotonic_time();
    }
    g_assert_cmpint(sendto(fd, f, 0, 0, (struct sockaddr *)&sun,
                           sizeof(sun)), ==, 0);
    g_assert_cmpint(read(p[0], &n, sizeof(n)), ==, sizeof(n));
    now = g_get_monotonic_time();
    waitpid(pid, NULL, 0);
    report("floor", size, n, (now - t0) / 1e6, 0);
    close(fd);
    close(p[0]);
    close(p[1]);
    g_unlink(path);
}

int main(int argc, char **argv)
{
    gint seconds = 3, batch = 8;
    g_autofree char *sizes_arg = NULL;
    GOptionEntry entries[] = {
        { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "per measurement",
          "N" },
        { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_arg,
          "frame sizes (default 64,1500)", "A,B" },
        { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "tx frames per doorbell",
          "B" },
        { NULL },
    };
    GOptionContext *oc = g_option_context_new("- e1000 frame benchmark");
    GError *err = NULL;
    g_auto(GStrv) sizes = NULL;
    net_env e;
    uint64_t ram_size;
    uint8_t *ram;

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &err) || batch < 1) {
        fprintf(stderr, "bench-net: %s\n", err ? err->message : "bad batch");
        return 2;
    }
    g_option_context_free(oc);
    sizes = g_strsplit(sizes_arg ? sizes_arg : "64,1500", ",", 0);
    ng_start(&e, NULL);
    ng_pci_setup(&e);
    ram = xs_guest_ram(e.g, &ram_size);
    g_assert_nonnull(ram);
    for (unsigned i = 0; sizes[i]; i++) {
        size_t size = (size_t)g_ascii_strtoull(sizes[i], NULL, 10);

        g_assert_cmpuint(size, >=, 60);
        g_assert_cmpuint(size, <=, 1514);
        bench_tx(&e, ram, size, seconds, (unsigned)batch);
        bench_rx(&e, ram, size, seconds);
        bench_floor(e.dir, size, seconds);
    }
    ng_stop(&e);
    return 0;
}
