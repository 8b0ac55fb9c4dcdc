/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers of the net process's unit tests (test_transport.c,
 * test_syslogtx.c): a throw-away PKI made at run time with OpenSSL, a
 * server TLS context from it, and running an event loop until a
 * condition holds.  Include after <cmocka.h>.
 */
#ifndef NETTEST_H
#define NETTEST_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

struct event_base;

/* A CA and one server certificate signed by it (P-256, valid a day). */
struct nettest_pki {
	EVP_PKEY	*ca_key;
	X509		*ca;
	char		*ca_pem;	/* the CA certificate, PEM */
	size_t		 ca_len;
	EVP_PKEY	*key;
	X509		*cert;
};

/*
 * Makes a PKI whose server certificate names san ("IP:127.0.0.1,
 * DNS:localhost" style, as in openssl x509v3_config).
 */
void		 nettest_pki_new(struct nettest_pki *, const char *cn,
		    const char *san);
void		 nettest_pki_free(struct nettest_pki *);
/* A TLS server context presenting the PKI's server certificate. */
SSL_CTX		*nettest_server_ctx(const struct nettest_pki *);

/*
 * Runs the loop until *flag becomes non-zero or timeout_ms passes;
 * returns 0 if the flag was set, -1 on timeout.
 */
int		 nettest_run(struct event_base *, const int *flag,
		    int timeout_ms);
/* Runs the loop for ms milliseconds. */
void		 nettest_spin(struct event_base *, int ms);

/* A TCP port on 127.0.0.1 that nothing listens on (at the moment). */
int		 nettest_free_port(void);

#endif
