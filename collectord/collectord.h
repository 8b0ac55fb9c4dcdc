/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-collectord: the configuration and the HTTPS server's interface.
 */
#ifndef COLLECTORD_H
#define COLLECTORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "yamltree.h"

#define COLLECTORD_CONF		SYSCONFDIR "/isms-agent/collectord.yaml"
#define COLLECTORD_STATE	LOCALSTATEDIR "/lib/isms-collectord"
#define COLLECTORD_LISTEN	"127.0.0.1:8443"
#define COLLECTORD_MAX_BODY	(1024 * 1024)	/* bytes */
#define COLLECTORD_HEADER_TIMEOUT 10		/* seconds */
#define COLLECTORD_BODY_TIMEOUT	30		/* seconds */
#define COLLECTORD_MAX_CONNS	1000
#define COLLECTORD_CERT_DAYS	365	/* agents' client certificates */
#define COLLECTORD_SERVER_DAYS	825	/* a generated server certificate */
#define COLLECTORD_STALE_AFTER	(2 * 3600)	/* seconds of silence */
#define COLLECTORD_MAX_CODE	600	/* HTTP status codes counted */

struct listen_addr {
	char		*text;		/* as configured, for messages */
	char		*host;		/* without brackets */
	int		 port;
};

struct collectord_conf {
	char			*file;
	struct listen_addr	*listen;
	size_t			 nlisten;
	char			*state_dir;
	char			*user;
	char			*tls_cert;	/* both or neither */
	char			*tls_key;
	char			**tls_names;	/* for a generated cert */
	size_t			 ntls_names;
	int64_t			 max_body;
	int64_t			 header_timeout;
	int64_t			 body_timeout;
	int64_t			 max_connections;
	int64_t			 workers;	/* report parsers; -1: CPUs */
	int64_t			 cert_days;
	int64_t			 stale_after;	/* seconds */
	struct stale_conf	*alerts;	/* stale.h */
	struct ytree		*tree;
};

/* isms-collectord.c */
struct collectord_conf *collectord_conf_load(const char *, struct yerrors *);
void	 collectord_conf_free(struct collectord_conf *);

/* http.c */
struct event_base;
struct pki_ca;
struct cstore;
struct http_server;

/*
 * Makes the TLS context (server certificate chain and key from PEM
 * files, client certificates verified against ca) and binds every
 * listen address; the store is attached later, after privileges are
 * dropped.  NULL with *cause.
 */
struct http_server *http_server_new(struct event_base *,
	    const struct collectord_conf *, struct pki_ca *,
	    const char *cert_file, const char *key_file, char **cause);
void	 http_server_set_store(struct http_server *, struct cstore *);
void	 http_server_free(struct http_server *);

struct evhttp_request;
/* Sends j (a reference taken) as the JSON answer. */
void	 http_reply_json(struct evhttp_request *, int, json_t *);
/* The contract's error answer: {"error": what, "detail": ...}. */
void	 http_error(struct evhttp_request *, int, const char *,
	     const char *, ...) __attribute__((format(printf, 4, 5)));

/* Counters for /metrics, since the start (http.c). */
struct collectord_stats {
	uint64_t	 codes[COLLECTORD_MAX_CODE];	/* answers by status */
	uint64_t	 reports;	/* stored */
	uint64_t	 duplicates;	/* acknowledged, not stored */
};
extern struct collectord_stats collectord_stats;

/* api.c */
struct api_ctx {
	struct cstore	*store;
	int64_t		 stale_after;	/* seconds */
};
void	 api_request(struct api_ctx *, struct evhttp_request *,
	     const char *path);

#endif
