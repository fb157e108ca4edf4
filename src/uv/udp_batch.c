/*
 * Outgoing datagrams in batches. One flush of the core's output (after a batch of received
 * datagrams, a timer or an application call) often holds several datagrams: they are kept
 * here and handed to the kernel with one sendmmsg per socket instead of one sendto each.
 * Order is kept per socket: while libuv still holds queued sends on a socket, its datagrams
 * take libuv's path (gosip__uv_udp_send) so that nothing overtakes them.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "uv_internal.h"

struct gosip__uv_dgrams {
    unsigned n;
    gosip_tx tx[GOSIP__UV_SEND_BATCH];
    struct sockaddr_storage dest[GOSIP__UV_SEND_BATCH];
#if defined(__linux__)
    struct mmsghdr msgs[GOSIP__UV_SEND_BATCH];
    struct iovec iov[GOSIP__UV_SEND_BATCH];
#endif
};

gosip__uv_dgrams *gosip__uv_dgrams_new(gosip_uv *uv)
{
    gosip__uv_dgrams *d = gosip__uv_alloc(uv, sizeof *d);
    if (d)
        d->n = 0;
    return d;
}

void gosip__uv_dgrams_free(gosip_uv *uv, gosip__uv_dgrams *d)
{
    if (!d)
        return;
    for (unsigned i = 0; i < d->n; i++)
        if (d->tx[i].buf)
            gosip_buf_unref(d->tx[i].buf);
    gosip__uv_free(uv, d);
}

static gosip__uv_lp *udp_lp_of(const gosip_tx *tx)
{
    gosip__uv_lp *ulp = tx->lp ? gosip_lp_data(tx->lp) : NULL;
    return ulp && ulp->kind == GOSIP_TP_UDP ? ulp : NULL;
}

/* Entry i through libuv. Its slot gives up the buffer first: the call may report an error
 * to application code that removes a listening point, and the purge must not find it. */
static void send_one(gosip_uv *uv, gosip__uv_dgrams *d, unsigned i)
{
    gosip_tx tx = d->tx[i];
    d->tx[i].buf = NULL;
    gosip__uv_udp_send(uv, &tx);
}

#if defined(__linux__)
/* Entries [from, to) share one socket with nothing queued in libuv: as many as the kernel
 * takes go in one call; the first it refuses goes through libuv, which reports the error
 * or queues the datagram until the socket drains. Returns the entry after the last handled. */
static unsigned send_run(gosip_uv *uv, gosip__uv_dgrams *d, unsigned from, unsigned to)
{
    uv_os_fd_t fd;
    if (uv_fileno((const uv_handle_t *)&udp_lp_of(&d->tx[from])->u.udp, &fd) != 0) {
        send_one(uv, d, from);
        return from + 1;
    }
    for (unsigned i = from; i < to; i++) {
        d->iov[i].iov_base = (void *)gosip_buf_data(d->tx[i].buf);
        d->iov[i].iov_len = gosip_buf_len(d->tx[i].buf);
        memset(&d->msgs[i], 0, sizeof d->msgs[i]);
        d->msgs[i].msg_hdr.msg_name = &d->dest[i];
        d->msgs[i].msg_hdr.msg_namelen = d->dest[i].ss_family == AF_INET6
                                             ? (socklen_t)sizeof(struct sockaddr_in6)
                                             : (socklen_t)sizeof(struct sockaddr_in);
        d->msgs[i].msg_hdr.msg_iov = &d->iov[i];
        d->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int sent;
    do
        sent = sendmmsg(fd, &d->msgs[from], to - from, 0);
    while (sent < 0 && errno == EINTR);
    if (sent <= 0) {
        send_one(uv, d, from);
        return from + 1;
    }
    for (unsigned i = from; i < from + (unsigned)sent; i++) {
        gosip_buf_unref(d->tx[i].buf);
        d->tx[i].buf = NULL;
    }
    return from + (unsigned)sent;
}
#endif

/* An error report while sending can run application code that removes a listening
 * point: its datagrams still here are dropped, as the core drops those it still holds. */
void gosip__uv_dgrams_purge_lp(gosip__uv_dgrams *d, const gosip_lp *lp)
{
    for (unsigned i = 0; d && i < d->n; i++) {
        if (d->tx[i].lp == lp && d->tx[i].buf) {
            gosip_buf_unref(d->tx[i].buf);
            d->tx[i].buf = NULL;
        }
    }
}

void gosip__uv_dgrams_send(gosip_uv *uv, gosip__uv_dgrams *d)
{
    unsigned i = 0;
    while (i < d->n && !uv->closing) {
        if (!d->tx[i].buf) { /* purged */
            i++;
            continue;
        }
        gosip__uv_lp *ulp = udp_lp_of(&d->tx[i]);
#if defined(__linux__)
        if (ulp && ulp->u.udp.send_queue_count == 0) {
            unsigned end = i + 1;
            while (end < d->n && d->tx[end].buf && udp_lp_of(&d->tx[end]) == ulp)
                end++;
            i = send_run(uv, d, i, end);
            continue;
        }
#else
        (void)ulp;
#endif
        send_one(uv, d, i);
        i++;
    }
    for (; i < d->n; i++) /* the runtime closed from an error callback */
        if (d->tx[i].buf)
            gosip_buf_unref(d->tx[i].buf);
    d->n = 0;
}

void gosip__uv_dgrams_add(gosip_uv *uv, gosip__uv_dgrams *d, const gosip_tx *tx)
{
    if (!udp_lp_of(tx) || gosip__uv_sa_from_addr(&tx->dest, &d->dest[d->n]) != 0) {
        gosip__uv_udp_send(uv, tx); /* drops it, as it always has */
        return;
    }
    d->tx[d->n++] = *tx;
    if (d->n == GOSIP__UV_SEND_BATCH)
        gosip__uv_dgrams_send(uv, d);
}
