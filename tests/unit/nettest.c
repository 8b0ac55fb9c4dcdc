/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers of the net process's unit tests; see nettest.h.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "nettest.h"

/* Adds one X509v3 extension in openssl.cnf syntax. */
static void
nettest_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer_key (self-signed if NULL). */
static X509 *
nettest_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
    EVP_PKEY *issuer_key)
{
	X509		*x;
	X509_NAME	*name;
	unsigned char	 serial[8];
	BIGNUM		*bn;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(RAND_bytes(serial, sizeof serial), 1);
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name), 1);
	return (x);
}

void
nettest_pki_new(struct nettest_pki *pki, const char *cn, const char *san)
{
	BIO	*bio;
	char	*p;
	long	 len;
	char	 cacn[128];

	memset(pki, 0, sizeof *pki);
	assert_non_null(pki->ca_key = EVP_EC_gen("P-256"));
	assert_non_null(pki->key = EVP_EC_gen("P-256"));

	snprintf(cacn, sizeof cacn, "%s test CA", cn);
	pki->ca = nettest_cert(pki->ca_key, cacn, NULL, NULL);
	nettest_ext(pki->ca, pki->ca, NID_basic_constraints, "critical,CA:TRUE");
	nettest_ext(pki->ca, pki->ca, NID_key_usage,
	    "critical,keyCertSign,cRLSign");
	nettest_ext(pki->ca, pki->ca, NID_subject_key_identifier, "hash");
	assert_true(X509_sign(pki->ca, pki->ca_key, EVP_sha256()) > 0);

	pki->cert = nettest_cert(pki->key, cn, pki->ca, pki->ca_key);
	nettest_ext(pki->cert, pki->ca, NID_basic_constraints, "CA:FALSE");
	nettest_ext(pki->cert, pki->ca, NID_key_usage,
	    "critical,digitalSignature");
	nettest_ext(pki->cert, pki->ca, NID_ext_key_usage, "serverAuth");
	nettest_ext(pki->cert, pki->ca, NID_subject_alt_name, san);
	nettest_ext(pki->cert, pki->ca, NID_authority_key_identifier,
	    "keyid:always");
	assert_true(X509_sign(pki->cert, pki->ca_key, EVP_sha256()) > 0);

	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_X509(bio, pki->ca), 1);
	len = BIO_get_mem_data(bio, &p);
	assert_true(len > 0);
	assert_non_null(pki->ca_pem = malloc(len + 1));
	memcpy(pki->ca_pem, p, len);
	pki->ca_pem[len] = '\0';
	pki->ca_len = len;
	BIO_free(bio);
}

void
nettest_pki_free(struct nettest_pki *pki)
{
	EVP_PKEY_free(pki->ca_key);
	EVP_PKEY_free(pki->key);
	X509_free(pki->ca);
	X509_free(pki->cert);
	free(pki->ca_pem);
	memset(pki, 0, sizeof *pki);
}

SSL_CTX *
nettest_server_ctx(const struct nettest_pki *pki)
{
	SSL_CTX	*ctx;

	assert_non_null(ctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate(ctx, pki->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pki->key), 1);
	assert_int_equal(SSL_CTX_add1_chain_cert(ctx, pki->ca), 1);
	return (ctx);
}

static void
nettest_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

int
nettest_run(struct event_base *base, const int *flag, int timeout_ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	assert_non_null(ev = evtimer_new(base, nettest_timeout_cb, &expired));
	evtimer_add(ev, &tv);
	while (!*flag && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return (*flag ? 0 : -1);
}

void
nettest_spin(struct event_base *base, int ms)
{
	int	never = 0;

	nettest_run(base, &never, ms);
}

int
nettest_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return (ntohs(sin.sin_port));
}
