/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Messages between the daemon's processes over socketpairs.
 *
 * A message is an 8-byte header -- type and payload length, both
 * 32-bit in host order (the peers are the same binary on the same
 * host) -- followed by the payload.  Payloads are compact JSON objects
 * built and checked by the typed helpers of each process.  A message
 * longer than IPC_MAX_LEN, of a type the receiver does not expect, or
 * whose payload does not parse is a protocol violation and fatal to
 * the receiver: a compromised peer gets no second chance.
 */
#ifndef IPC_H
#define IPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define IPC_HDR_LEN	8
#define IPC_MAX_LEN	(32 * 1024 * 1024)	/* bytes of payload */

struct event_base;
struct ipc;

/*
 * Called for each complete message; data is valid until it returns.
 * The callback must fatal on a type it does not expect.
 */
typedef void (*ipc_dispatch_cb)(struct ipc *, uint32_t type,
    const char *data, size_t len, void *arg);
/* Called when the peer closed or the socket failed; NULL: fatal. */
typedef void (*ipc_close_cb)(struct ipc *, void *arg);

struct ipc	*ipc_new(struct event_base *, int fd, const char *peer,
		    ipc_dispatch_cb, ipc_close_cb, void *arg);
void		 ipc_free(struct ipc *);
const char	*ipc_peer(struct ipc *);
void		 ipc_send(struct ipc *, uint32_t type, const void *, size_t);
/* Sends a JSON object (compact); takes ownership of it. */
void		 ipc_send_json(struct ipc *, uint32_t type, json_t *);
/* Parses a payload as a JSON object or dies naming the peer and type. */
json_t		*ipc_json(struct ipc *, uint32_t type, const char *, size_t);
/* Bytes queued for writing. */
size_t		 ipc_pending(struct ipc *);
/* Blocking: writes out everything queued (used before exiting). */
void		 ipc_flush(struct ipc *);

/* Blocking writer for a forked worker without an event loop. */
int		 ipc_write_blocking(int fd, uint32_t type, const void *,
		    size_t);

#endif
