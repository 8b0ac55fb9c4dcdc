/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Framed messages over socketpairs, on libevent bufferevents.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ipc.h"
#include "log.h"
#include "xmalloc.h"

struct ipc {
	struct bufferevent	*bev;
	char			*peer;
	ipc_dispatch_cb		 dispatch;
	ipc_close_cb		 close;
	void			*arg;
	int			 in_callback;	/* ipc_free() defers */
	int			 dead;
};

static void
ipc_destroy(struct ipc *ipc)
{
	bufferevent_free(ipc->bev);
	free(ipc->peer);
	free(ipc);
}

static void
ipc_read_cb(struct bufferevent *bev, void *arg)
{
	struct ipc	*ipc = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint32_t	 hdr[2];
	char		*data;

	for (;;) {
		if (evbuffer_get_length(in) < IPC_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, sizeof hdr);
		if (hdr[1] > IPC_MAX_LEN)
			fatalx("%s: message from %s too long (%u bytes)",
			    __func__, ipc->peer, hdr[1]);
		if (evbuffer_get_length(in) < IPC_HDR_LEN + (size_t)hdr[1])
			return;
		evbuffer_drain(in, IPC_HDR_LEN);
		data = (char *)evbuffer_pullup(in, hdr[1]);
		if (data == NULL && hdr[1] != 0)
			fatalx("%s: pullup", __func__);
		ipc->in_callback = 1;
		ipc->dispatch(ipc, hdr[0], hdr[1] != 0 ? data : "", hdr[1],
		    ipc->arg);
		ipc->in_callback = 0;
		if (ipc->dead) {
			/* Freed by the callback itself. */
			ipc_destroy(ipc);
			return;
		}
		evbuffer_drain(in, hdr[1]);
	}
}

static void
ipc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ipc	*ipc = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (ipc->close != NULL) {
			ipc->in_callback = 1;
			ipc->close(ipc, ipc->arg);
			ipc->in_callback = 0;
			if (ipc->dead)
				ipc_destroy(ipc);
			return;
		}
		fatalx("%s: lost connection to %s", __func__, ipc->peer);
	}
}

struct ipc *
ipc_new(struct event_base *base, int fd, const char *peer,
    ipc_dispatch_cb dispatch, ipc_close_cb close_cb, void *arg)
{
	struct ipc	*ipc;

	ipc = xcalloc(1, sizeof *ipc);
	ipc->peer = xstrdup(peer);
	ipc->dispatch = dispatch;
	ipc->close = close_cb;
	ipc->arg = arg;
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	ipc->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ipc->bev == NULL)
		fatalx("%s: bufferevent_socket_new", __func__);
	bufferevent_setcb(ipc->bev, ipc_read_cb, NULL, ipc_event_cb, ipc);
	bufferevent_enable(ipc->bev, EV_READ | EV_WRITE);
	return (ipc);
}

void
ipc_free(struct ipc *ipc)
{
	if (ipc == NULL)
		return;
	if (ipc->in_callback) {
		ipc->dead = 1;
		bufferevent_disable(ipc->bev, EV_READ | EV_WRITE);
		return;
	}
	ipc_destroy(ipc);
}

const char *
ipc_peer(struct ipc *ipc)
{
	return (ipc->peer);
}

void
ipc_send(struct ipc *ipc, uint32_t type, const void *data, size_t len)
{
	uint32_t	hdr[2];

	if (len > IPC_MAX_LEN)
		fatalx("%s: message to %s too long", __func__, ipc->peer);
	hdr[0] = type;
	hdr[1] = (uint32_t)len;
	if (bufferevent_write(ipc->bev, hdr, sizeof hdr) == -1 ||
	    (len != 0 && bufferevent_write(ipc->bev, data, len) == -1))
		fatalx("%s: bufferevent_write", __func__);
}

void
ipc_send_json(struct ipc *ipc, uint32_t type, json_t *j)
{
	char	*s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatalx("%s: json_dumps", __func__);
	ipc_send(ipc, type, s, strlen(s));
	free(s);
	json_decref(j);
}

json_t *
ipc_json(struct ipc *ipc, uint32_t type, const char *data, size_t len)
{
	json_t		*j;
	json_error_t	 err;

	j = json_loadb(data, len, 0, &err);
	if (j == NULL || !json_is_object(j))
		fatalx("%s: malformed message %u from %s: %s", __func__, type,
		    ipc->peer, j == NULL ? err.text : "not an object");
	return (j);
}

size_t
ipc_pending(struct ipc *ipc)
{
	return (evbuffer_get_length(bufferevent_get_output(ipc->bev)));
}

void
ipc_flush(struct ipc *ipc)
{
	struct evbuffer	*out = bufferevent_get_output(ipc->bev);
	struct pollfd	 pfd;
	int		 fd = bufferevent_getfd(ipc->bev), tries;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	/*
	 * A socket bufferevent keeps the front of its output buffer frozen
	 * (only its own write callback drains it), so evbuffer_write()
	 * would write nothing: thaw it for the writes, as libevent does.
	 */
	evbuffer_unfreeze(out, 1);
	/* At most a few seconds: the peer may be gone or stuck. */
	for (tries = 0; evbuffer_get_length(out) > 0 && tries < 20; tries++) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			break;
		errno = 0;
		if (evbuffer_write(out, fd) <= 0 && errno != EAGAIN &&
		    errno != EINTR)
			break;
	}
	evbuffer_freeze(out, 1);
}

int
ipc_write_blocking(int fd, uint32_t type, const void *data, size_t len)
{
	uint32_t	 hdr[2];
	const char	*p;
	size_t		 left;
	ssize_t		 n;
	int		 part;

	hdr[0] = type;
	hdr[1] = (uint32_t)len;
	for (part = 0; part < 2; part++) {
		p = part == 0 ? (const char *)hdr : data;
		left = part == 0 ? sizeof hdr : len;
		while (left > 0) {
			if ((n = write(fd, p, left)) == -1) {
				if (errno == EINTR)
					continue;
				return (-1);
			}
			p += n;
			left -= n;
		}
	}
	return (0);
}
