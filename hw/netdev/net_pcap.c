/* SPDX-License-Identifier: MIT */
/*
 * Capture: every frame a device sends or receives, in the classic pcap
 * format (microsecond timestamps, LINKTYPE_ETHERNET = 1), readable by
 * tcpdump and wireshark. One writev per frame, so the file is complete
 * at every moment, even if the daemon is killed.
 */
#define G_LOG_DOMAIN "netdev"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "hw/netdev/netdev_internal.h"

#define PCAP_MAGIC      0xa1b2c3d4u
#define PCAP_SNAPLEN    HV_NET_MAX_FRAME
#define LINKTYPE_ETHERNET 1
#define PCAP_MAX_IOV    64

typedef struct pcap_file_hdr {
    uint32_t magic;
    uint16_t version_major, version_minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
} pcap_file_hdr;

typedef struct pcap_rec_hdr {
    uint32_t ts_sec, ts_usec, incl_len, orig_len;
} pcap_rec_hdr;

struct netdev_pcap {
    int fd;
    char *path;
    bool failed;
};

netdev_pcap *netdev_pcap_open(const char *path, GError **err)
{
    pcap_file_hdr h = {
        .magic = PCAP_MAGIC, .version_major = 2, .version_minor = 4,
        .snaplen = PCAP_SNAPLEN, .linktype = LINKTYPE_ETHERNET,
    };
    netdev_pcap *p;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "capture=%s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h)) {
        g_set_error(err, HV_ERROR, HV_ERROR_IO, "capture=%s: short write",
                    path);
        close(fd);
        return NULL;
    }
    p = g_new0(netdev_pcap, 1);
    p->fd = fd;
    p->path = g_strdup(path);
    return p;
}

void netdev_pcap_write(netdev_pcap *p, const struct iovec *iov, int iovcnt)
{
    struct iovec v[PCAP_MAX_IOV + 1];
    pcap_rec_hdr r;
    struct timeval tv;
    size_t len = netdev_iov_size(iov, iovcnt);
    size_t total;

    if (p->failed || iovcnt > PCAP_MAX_IOV) {
        return;
    }
    gettimeofday(&tv, NULL);
    r.ts_sec = (uint32_t)tv.tv_sec;
    r.ts_usec = (uint32_t)tv.tv_usec;
    r.incl_len = r.orig_len = (uint32_t)MIN(len, PCAP_SNAPLEN);
    v[0].iov_base = &r;
    v[0].iov_len = sizeof(r);
    memcpy(&v[1], iov, sizeof(*iov) * (size_t)iovcnt);
    total = sizeof(r) + len;
    if (len > PCAP_SNAPLEN || writev(p->fd, v, iovcnt + 1) != (ssize_t)total) {
        /* A broken capture must not take the NIC down: stop capturing. */
        g_warning("capture %s: write failed (%s); capture stopped", p->path,
                  g_strerror(errno));
        p->failed = true;
    }
}

void netdev_pcap_close(netdev_pcap *p)
{
    if (!p) {
        return;
    }
    close(p->fd);
    g_free(p->path);
    g_free(p);
}
