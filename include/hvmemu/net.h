/* SPDX-License-Identifier: MIT */
/*
 * Network backend seam. Devices never open sockets or tap devices: they get
 * an hv_net, send whole Ethernet frames into it (no FCS) and receive frames
 * through callbacks.
 *
 * Threading and completion context: everything runs on the loop thread of
 * the hv_loop given at open time. The receive, can_receive and link_changed
 * callbacks are NEVER called from inside a call the device makes into the
 * backend (hv_net_send, hv_net_resume, ...): a device can call these from
 * its register handlers without re-entering itself.
 *
 * Back-pressure (receive direction): before delivering each frame the
 * backend asks can_receive(). When it says false the backend stops reading
 * from the host side (the host socket/tap queue absorbs the burst, then the
 * host drops, as a real link would) until the device calls hv_net_resume()
 * — e.g. when the guest hands it new RX buffers. Push-style backends
 * (user-mode networking) keep a short queue and then drop, counting it.
 *
 * Send direction: hv_net_send never blocks. When the host side is full the
 * frame is dropped and counted (Ethernet gives no delivery guarantee; TCP in
 * the guest retransmits), and the return value says so.
 */
#ifndef HVMEMU_NET_H
#define HVMEMU_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "hvmemu/device.h"
#include "hvmemu/loop.h"

typedef struct hv_net hv_net;

#define HV_NET_MAX_FRAME 65536  /* largest frame a backend passes either way */

typedef struct hv_net_client_ops {
    /* A frame from the network. @iov is valid only during the call. */
    void (*receive)(void *opaque, const struct iovec *iov, int iovcnt);
    /* May a frame be delivered now? NULL means always. */
    bool (*can_receive)(void *opaque);
    /* The backend link went up or down (hv_net_set_link, tap carrier). */
    void (*link_changed)(void *opaque, bool up);
} hv_net_client_ops;

/*
 * Open the backend described by the network options in @opts, marking the
 * ones it uses (see docs/e1000.md): backend=user|tap|socket|none, ifname=,
 * vifname=, bridge=, vnet_hdr=, socket=, capture=. With no backend= the
 * default is tap when bridge= is given, else user.
 */
hv_net *hv_net_open(hv_loop *loop, hv_opts *opts, GError **err);
/* Same, from a spec string such as "backend=socket,socket=fd:5". */
hv_net *hv_net_open_spec(hv_loop *loop, const char *spec, GError **err);
/* Frames arriving before attach are dropped. */
void hv_net_attach(hv_net *n, const hv_net_client_ops *ops, void *opaque);
void hv_net_close(hv_net *n);

/*
 * Send one frame. Returns its length when handed to the host, 0 when
 * dropped because the host side is full or down, -errno on a host error
 * (also counted as a drop). Never blocks, never calls back.
 */
ssize_t hv_net_send(hv_net *n, const struct iovec *iov, int iovcnt);
/* The device can take frames again: resume delivery (asynchronously). */
void hv_net_resume(hv_net *n);

/* Link state. Starts up; set_link notifies the client (later, on the loop
 * thread) when the state changes. */
bool hv_net_link_up(const hv_net *n);
void hv_net_set_link(hv_net *n, bool up);

/*
 * Offload capability: true when the backend carries a virtio-net header
 * (tap with vnet_hdr=on, the default), so a frame may pass unsegmented
 * with its TCP checksum left partial: hv_net_send_offload. Frames sent
 * with hv_net_send are complete; the backend adds an empty header itself.
 */
bool hv_net_has_vnet_hdr(const hv_net *n);

/*
 * One unsegmented TCP packet for the host to cut into @gso_size payload
 * pieces (virtio 1.1 5.1.6.2, "Packet Transmission"; what the kernel's
 * GSO does for a tap): headers as for one segment carrying everything
 * (IP lengths of the whole packet), the TCP checksum field holding the
 * pseudo-header sum including the whole TCP length, to be completed from
 * @csum_start with the result at @csum_start + @csum_offset. Offsets
 * count from the first byte of the frame.
 */
typedef enum hv_net_gso_type {
    HV_NET_GSO_TCPV4 = 1,
    HV_NET_GSO_TCPV6 = 4,
} hv_net_gso_type;

typedef struct hv_net_offload {
    hv_net_gso_type gso_type;
    bool ecn;                   /* the first segment has CWR set */
    uint16_t hdr_len;           /* Ethernet + IP + TCP headers */
    uint16_t gso_size;          /* payload bytes per segment (MSS) */
    uint16_t csum_start, csum_offset;
} hv_net_offload;

/*
 * Send one such packet. Only on a backend with hv_net_has_vnet_hdr;
 * otherwise -ENOTSUP (counted as a drop). Returns as hv_net_send.
 */
ssize_t hv_net_send_offload(hv_net *n, const hv_net_offload *o,
                            const struct iovec *iov, int iovcnt);

/* "socket udp:127.0.0.1:5000", "tap hvm1 (bridge xenbr0)", ... */
const char *hv_net_describe(const hv_net *n);

typedef struct hv_net_stats {
    uint64_t tx_frames, tx_bytes, tx_dropped;
    uint64_t rx_frames, rx_bytes, rx_dropped;
} hv_net_stats;
void hv_net_get_stats(const hv_net *n, hv_net_stats *st);

/* Parse "00:16:3e:12:34:56" (also '-' separated). */
bool hv_net_parse_mac(const char *text, uint8_t mac[6], GError **err);
/* A random locally-unique MAC in Xen's 00:16:3e OUI, as xl generates. */
void hv_net_random_mac(uint8_t mac[6]);

#endif
