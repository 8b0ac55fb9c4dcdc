/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Remote syslog sender of the daemon's net process: RFC 5424 messages
 * over TCP (RFC 6587) or TLS (RFC 5425) to a SIEM.
 *
 * Design
 * ------
 * One struct syslogtx is one destination with at most one connection,
 * a libevent bufferevent (plain, or OpenSSL with peer verification
 * against the caller's CA blob and the destination's name or address).
 * The connection is opened by the first send and kept; when it fails or
 * the peer closes it, it is dropped and the next send opens a new one.
 * Nothing is retried here and no timer runs while idle: delivery policy
 * (queue, backoff) is the engine's.
 *
 * Frames are passed through unchanged: the caller gives complete
 * octet-counted frames ("LEN SP MSG", RFC 6587 3.4.1 and RFC 5425 4.3)
 * as alert_rfc5424() makes them.
 *
 * Success means the frame was written to the kernel (or, with TLS, to
 * the TLS layer over it).  Syslog over TCP has no application-level
 * acknowledgement, so a frame written just before the peer vanished can
 * still be lost; a failed frame may have been partly received.
 */
#ifndef SYSLOGTX_H
#define SYSLOGTX_H

#include <stddef.h>

struct event_base;
struct syslogtx;

#define SYSLOGTX_MAX_BUFFER	(256 * 1024)	/* bytes queued, at most */
#define SYSLOGTX_TIMEOUT	10		/* s, connect or stalled write */

/*
 * The outcome of one frame: error is NULL once the whole frame was
 * written, else why the frame (and the connection) failed.  error is
 * valid only during the callback.
 */
typedef void	(*syslogtx_cb)(const char *error, void *);

/*
 * A sender to host (a name or an address literal) and port (digits).
 * With tls, the server certificate must chain to a CA in ca (PEM, one
 * or more certificates; NULL: OpenSSL's default store, unreachable in a
 * chroot) and match host.  Connects lazily.  Returns NULL with *cause
 * set (the caller frees it) if the CA blob or arguments are unusable.
 */
struct syslogtx	*syslogtx_new(struct event_base *, const char *host,
		    const char *port, int tls, const void *ca, size_t ca_len,
		    char **cause);

/*
 * Closes the connection and frees the sender; callbacks of frames still
 * queued are NOT called.  Must not be called from a syslogtx callback.
 */
void		 syslogtx_free(struct syslogtx *);

/*
 * Queues one frame (copied), connecting first if needed.  Returns 0 and
 * later calls cb exactly once from the event loop (never from inside
 * syslogtx_send()), or returns -1 without calling cb when the frame is
 * empty or does not fit in the output buffer (SYSLOGTX_MAX_BUFFER).
 * cb may be NULL; it may send again.
 */
int		 syslogtx_send(struct syslogtx *, const void *frame, size_t len,
		    syslogtx_cb cb, void *arg);

/* Whether a connection is open (or being opened). */
int		 syslogtx_connected(struct syslogtx *);

/* Bytes queued and not yet written. */
size_t		 syslogtx_queued(struct syslogtx *);

#endif
