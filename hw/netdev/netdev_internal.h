/* SPDX-License-Identifier: MIT */
/*
 * What a network backend implements, and the services hw/netdev/net.c
 * gives it. Not public API: devices use include/hvmemu/net.h only.
 */
#ifndef HW_NETDEV_INTERNAL_H
#define HW_NETDEV_INTERNAL_H

#include "hvmemu/net.h"

typedef struct netdev_pcap netdev_pcap;

typedef struct netdev_ops {
    const char *kind;
    /* Hand one frame to the host: length, 0 when full, -errno. */
    ssize_t (*send)(hv_net *n, const struct iovec *iov, int iovcnt);
    /* Optional (backends with a virtio-net header): the same for one
     * unsegmented packet, hv_net_send_offload. */
    ssize_t (*send_offload)(hv_net *n, const hv_net_offload *o,
                            const struct iovec *iov, int iovcnt);
    /* Start or stop reading from the host side (back-pressure). */
    void (*poll)(hv_net *n, bool on);
    void (*close)(hv_net *n);
} netdev_ops;

struct hv_net {
    const netdev_ops *ops;
    void *be;                   /* backend state */
    hv_loop *loop;
    const hv_net_client_ops *client;
    void *client_opaque;
    bool link_up;
    bool link_reported;         /* what the client was last told */
    bool vnet_hdr;
    bool want_poll;             /* backend reading from the host side */
    netdev_pcap *pcap;
    GQueue pending;             /* GBytes: frames waiting for the client */
    hv_timer *kick;             /* deferred resume / link notification */
    hv_net_stats stats;
    char *desc;
};

/* Queue length for push-style backends before frames are dropped. */
#define NETDEV_PENDING_MAX 256
/* Frames a poll-style backend reads per readiness callback (fairness). */
#define NETDEV_RX_BATCH 64

/*
 * For backends, on the loop thread. netdev_can_deliver: may a frame be
 * read now? netdev_deliver hands one frame to the client, or queues it
 * when the client cannot take it (push-style), dropping past the limit.
 */
bool netdev_can_deliver(hv_net *n);
void netdev_deliver(hv_net *n, const struct iovec *iov, int iovcnt);
/* Start (on) or stop watching a backend fd for frames from the host:
 * the common half of every backend's poll() op. */
void netdev_watch_fd(hv_net *n, hv_watch **w, int fd, hv_fd_cb cb,
                     void *opaque, bool on);
/* Link change noticed by the backend (tap carrier). */
void netdev_link_event(hv_net *n, bool up);

/* Constructors: each consumes its options from @opts and fills @n. */
bool netdev_socket_open(hv_net *n, hv_opts *opts, GError **err);
bool netdev_tap_open(hv_net *n, hv_opts *opts, GError **err);
bool netdev_user_open(hv_net *n, hv_opts *opts, GError **err);

/* Capture files (pcap, LINKTYPE_ETHERNET). */
netdev_pcap *netdev_pcap_open(const char *path, GError **err);
void netdev_pcap_write(netdev_pcap *p, const struct iovec *iov, int iovcnt);
void netdev_pcap_close(netdev_pcap *p);

/* Gather an iovec into @buf (at most @len bytes); returns bytes copied. */
size_t netdev_iov_to_buf(const struct iovec *iov, int iovcnt, void *buf,
                         size_t len);
size_t netdev_iov_size(const struct iovec *iov, int iovcnt);

#endif
