/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's storage interface.  A backend fills in a struct
 * cstore_ops; the rest of the collector calls only through it, so a
 * PostgreSQL backend for several collector nodes can sit beside the
 * embedded SQLite one (cstore_sqlite.c, the only file that includes
 * sqlite3.h).
 *
 * Every operation that must be atomic is one call: enrollment checks
 * and consumes a use of its token, revokes the host's previous
 * certificates, keeps the one host row and records the new certificate
 * in a single transaction, so two agents racing for the last use of a
 * token cannot both get a certificate that the store knows of.
 *
 * Times are seconds since the epoch (UTC); 0 means "never" or "none".
 * Tokens are only ever seen here as their SHA-256 (hex).
 */
#ifndef CSTORE_H
#define CSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cstore;

/* Why a token was refused (cstore_ops.token_check, .enroll). */
enum cstore_refusal {
	CSTORE_OK = 0,
	CSTORE_TOKEN_UNKNOWN,
	CSTORE_TOKEN_EXPIRED,
	CSTORE_TOKEN_USED_UP
};

/* What the store knows of a client certificate's serial. */
enum cstore_cert_state {
	CSTORE_CERT_VALID,
	CSTORE_CERT_REVOKED,
	CSTORE_CERT_UNKNOWN
};

struct cstore_token {
	char		 hash[65];	/* SHA-256 hex of the token */
	int64_t		 uses_left;
	time_t		 expires_at;
	time_t		 created_at;
	char		*note;		/* may be NULL */
};

struct cstore_enroll {
	const char	*token_hash;
	const char	*host_id;
	const char	*hostname;	/* may be NULL */
	const char	*serial;	/* of the new certificate, lowercase hex */
	time_t		 not_after;
	time_t		 now;
};

struct cstore_ops {
	const char	*name;
	void		 (*close)(struct cstore *);

	/* Adds a token by hash: 0, or -1 with *cause. */
	int		 (*token_add)(struct cstore *, const char *hash,
			    int64_t uses, time_t expires_at, time_t now,
			    const char *note, char **cause);
	/* Every token, newest first: 0, or -1 with *cause. */
	int		 (*token_list)(struct cstore *, struct cstore_token **,
			    size_t *, char **cause);
	/*
	 * Whether a token could be used now, without consuming it: -1 with
	 * *cause on a store error, else an enum cstore_refusal.
	 */
	int		 (*token_check)(struct cstore *, const char *hash,
			    time_t now, char **cause);
	/*
	 * Enrollment in one transaction (above): -1 with *cause on a store
	 * error, else an enum cstore_refusal (CSTORE_OK: recorded; *revoked,
	 * if not NULL, counts the previous certificates revoked).
	 */
	int		 (*enroll)(struct cstore *, const struct cstore_enroll *,
			    int *revoked, char **cause);
	/* -1 with *cause on a store error, else an enum cstore_cert_state. */
	int		 (*cert_state)(struct cstore *, const char *serial,
			    char **cause);
	/*
	 * Revokes every certificate of a host: the number revoked (0 if
	 * the host has none left), -2 for an unknown host, -1 with *cause.
	 */
	int		 (*host_revoke)(struct cstore *, const char *host_id,
			    time_t now, char **cause);
};

/* A backend's handle begins with its operations. */
struct cstore {
	const struct cstore_ops	*ops;
};

/* The SQLite backend (WAL) on the database file path, made if missing. */
struct cstore	*cstore_sqlite_open(const char *path, char **cause);

void		 cstore_tokens_free(struct cstore_token *, size_t);

#endif
