/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * ismsctl enroll: obtain the agent's client certificate from
 * isms-collectord (POST /api/v1/enroll, see doc/collectord-design.md).
 *
 * Design
 * ------
 * The key pair is made here (EC P-256) and its private half never leaves
 * the host: only a CSR signed by it is sent.  The key is written to a
 * temporary file (mkstemp: O_EXCL, 0600) before anything is sent, so
 * that an unwritable directory is found before the token is spent, and
 * is renamed over the old key only after the collector has answered
 * with a certificate for it: a failed enrollment leaves a working one
 * in place.  The certificate and the collector's CA are written the same
 * way (0644).
 *
 * The enrollment token is a secret that can be used once: it travels
 * only in the request body, over TLS to a collector that has been
 * verified, and is never printed or logged.  Verification is either
 * --ca FILE (PEM, normal chain and host name verification) or --pin,
 * the base64 SHA-256 of the collector CA's SubjectPublicKeyInfo (what
 * pki_ca_pin() makes and isms-collectord logs at start-up).  With a pin
 * the server's chain is first read over a TLS connection that verifies
 * nothing and sends nothing; a certificate of that chain whose key
 * hashes to the pin becomes the CA for the real request, which then
 * verifies the server fully.  Without either, enrollment is refused.
 *
 * The request itself is one POST through transport.c (libcurl) on a
 * short-lived libevent loop.
 *
 * Renewal
 * -------
 * "ismsctl enroll --renew" needs no token: it posts a CSR for a new key
 * to POST /api/v1/renew of collector.url with the current certificate
 * (mutual TLS), verifying the collector against the stored ca.pem.  The
 * collector revokes the old certificate when it records the new one.
 * "--if-needed" first looks at the certificate alone and contacts
 * nobody unless less than a third of its lifetime is left.
 *
 * The key and certificate cannot be replaced in one atomic step, so the
 * order is fixed and a later run finishes what an interrupted one left:
 * both are written (and fsynced) as KEY.new and CERT.new, then KEY.new
 * is renamed over the key and CERT.new over the certificate, and the
 * directory is fsynced.  Interrupted before the first rename, the old
 * pair is intact and the .new files are removed by the next renewal;
 * between the two renames, the key is new and CERT.new is its
 * certificate: the next "--renew" (the daily timer, or --if-needed)
 * renames it into place before anything else.  A key and certificate
 * that do not match otherwise are reported, not guessed at.  A lock
 * (flock(2) on the key's directory) keeps two renewals apart.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "agentd.h"
#include "log.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

#define ENROLL_PATH		"/api/v1/enroll"
#define ENROLL_RENEW_PATH	"/api/v1/renew"
#define ENROLL_NEW_SUFFIX	".new"	/* renewal's files before rename */
#define ENROLL_HOST_ID_LEN	32	/* machine-id(5): hex digits */
#define ENROLL_HOST_URI		"urn:isms-agent:host:"
#define ENROLL_PIN_LEN		32	/* bytes of a SHA-256 */
#define ENROLL_IO_TIMEOUT	10	/* s, connect and each read/write
					   of the pin check */
#define ENROLL_MAX_FILE		(256 * 1024) /* bytes of a --ca file */

/* The outcome of the POST, copied out of the transport callback. */
struct enroll_res {
	struct event_base	*base;
	int			 done;
	long			 status;
	char			*error;
	char			*body;
};

/* A file written under a temporary name, renamed into place later. */
struct enroll_file {
	char			*path;
	char			*tmp;
};

/* Parsed https://host[:port][/prefix] of --server. */
struct enroll_url {
	char			*host;		/* without brackets */
	char			*port;
	char			*enroll;	/* the endpoint's URL */
	char			*renew;		/* POST /api/v1/renew */
};

static void
enroll_url_clear(struct enroll_url *u)
{
	free(u->host);
	free(u->port);
	free(u->enroll);
	free(u->renew);
}

/* Splits --server; -1 with a message if it is not an https URL. */
static int
enroll_parse_url(const char *server, struct enroll_url *u)
{
	const char	*p, *end, *hend, *path;
	char		*base;
	size_t		 len;

	memset(u, 0, sizeof *u);
	if (strncmp(server, "https://", 8) != 0) {
		fprintf(stderr, "ismsctl: --server must be an https:// URL: "
		    "\"%s\"\n", server);
		return (-1);
	}
	p = server + 8;
	if ((path = strchr(p, '/')) == NULL)
		path = p + strlen(p);
	if (strpbrk(server, "?#@ ") != NULL || path == p) {
		fprintf(stderr, "ismsctl: --server: \"%s\" is not of the form "
		    "https://host[:port]\n", server);
		return (-1);
	}
	if (*p == '[') {
		if ((hend = memchr(p, ']', path - p)) == NULL)
			goto bad;
		u->host = xstrndup(p + 1, hend - p - 1);
		end = hend + 1;
	} else {
		if ((end = memchr(p, ':', path - p)) == NULL)
			end = path;
		u->host = xstrndup(p, end - p);
	}
	if (*u->host == '\0')
		goto bad;
	if (end < path && *end == ':') {
		u->port = xstrndup(end + 1, path - end - 1);
		if (*u->port == '\0' || strspn(u->port, "0123456789") !=
		    strlen(u->port) || strlen(u->port) > 5 ||
		    atoi(u->port) < 1 || atoi(u->port) > 65535)
			goto bad;
	} else if (end != path)
		goto bad;
	else
		u->port = xstrdup("443");
	/* A path prefix is kept; trailing slashes are not doubled. */
	len = strlen(server);
	while (len > 0 && server[len - 1] == '/')
		len--;
	base = xstrndup(server, len);
	xasprintf(&u->enroll, "%s%s", base, ENROLL_PATH);
	xasprintf(&u->renew, "%s%s", base, ENROLL_RENEW_PATH);
	free(base);
	return (0);
bad:
	fprintf(stderr, "ismsctl: --server: \"%s\" is not of the form "
	    "https://host[:port]\n", server);
	enroll_url_clear(u);
	return (-1);
}

/* Decodes --pin (base64 of 32 bytes, "sha256//" accepted before it). */
static int
enroll_parse_pin(const char *s, unsigned char pin[ENROLL_PIN_LEN])
{
	unsigned char	buf[64];
	size_t		len;

	if (strncmp(s, "sha256//", 8) == 0)
		s += 8;
	len = strlen(s);
	/* 32 bytes are 44 base64 characters with one '=' of padding. */
	if (len != 44 || s[43] != '=' || s[42] == '=' ||
	    EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len) != 33) {
		fprintf(stderr, "ismsctl: --pin must be the base64 SHA-256 of "
		    "the collector CA's public key (44 characters, as "
		    "isms-collectord logs it at start-up)\n");
		return (-1);
	}
	memcpy(pin, buf, ENROLL_PIN_LEN);
	return (0);
}

/* Whether a certificate's SubjectPublicKeyInfo hashes to pin. */
static int
enroll_pin_match(X509 *x, const unsigned char pin[ENROLL_PIN_LEN])
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	int		 len, ok;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		return (0);
	ok = EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == ENROLL_PIN_LEN &&
	    CRYPTO_memcmp(md, pin, ENROLL_PIN_LEN) == 0;
	OPENSSL_free(der);
	return (ok);
}

/* A PEM string of one certificate. */
static char *
enroll_x509_pem(X509 *x)
{
	BIO	*b;
	char	*data, *s;
	long	 len;

	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, x) != 1)
		fatalx("%s: PEM_write_bio_X509", __func__);
	len = BIO_get_mem_data(b, &data);
	s = xstrndup(data, len);
	BIO_free(b);
	return (s);
}

/* A TCP connection to host:port with send/receive timeouts, or -1. */
static int
enroll_connect(const struct enroll_url *u, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	struct timeval	 tv = { ENROLL_IO_TIMEOUT, 0 };
	int		 fd = -1, error, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(u->host, u->port, &hints, &res)) != 0) {
		xasprintf(cause, "%s: %s", u->host, gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		/* On Linux SO_SNDTIMEO also bounds connect(2). */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) ==
		    0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof tv) == 0 && connect(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		xasprintf(cause, "connect to %s port %s: %s", u->host, u->port,
		    strerror(saved == EINPROGRESS || saved == EAGAIN ?
		    ETIMEDOUT : saved));
	return (fd);
}

/*
 * Reads the server's certificate chain without verifying it and without
 * sending anything but a TLS handshake, and returns (PEM) the CA
 * certificate of that chain whose key matches pin.  Nothing learned on
 * this connection is trusted except through the pin.
 */
static char *
enroll_fetch_ca(const struct enroll_url *u,
    const unsigned char pin[ENROLL_PIN_LEN], char **cause)
{
	SSL_CTX			*ctx = NULL;
	SSL			*ssl = NULL;
	STACK_OF(X509)		*chain;
	X509			*x, *leaf_match = NULL;
	struct in6_addr		 a6;
	char			*pem = NULL;
	int			 fd, i;

	if ((fd = enroll_connect(u, cause)) == -1)
		return (NULL);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		xasprintf(cause, "TLS set-up failed");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (inet_pton(AF_INET, u->host, &a6) != 1 &&
	    inet_pton(AF_INET6, u->host, &a6) != 1)
		SSL_set_tlsext_host_name(ssl, u->host);
	if (SSL_connect(ssl) != 1) {
		xasprintf(cause, "TLS handshake with %s port %s failed",
		    u->host, u->port);
		goto out;
	}
	if ((chain = SSL_get_peer_cert_chain(ssl)) == NULL) {
		xasprintf(cause, "%s sent no certificate", u->host);
		goto out;
	}
	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if (!enroll_pin_match(x, pin))
			continue;
		if (X509_check_ca(x) < 1) {
			leaf_match = x;
			continue;
		}
		pem = enroll_x509_pem(x);
		break;
	}
	if (pem == NULL && leaf_match != NULL)
		xasprintf(cause, "the pin matches the server's own "
		    "certificate, not its CA: use the CA pin that "
		    "isms-collectord logs at start-up");
	else if (pem == NULL)
		xasprintf(cause, "no certificate of the chain %s port %s "
		    "sent matches the pin: not the expected collector (the "
		    "enrollment token was not sent)", u->host, u->port);
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return (pem);
}

/* Reads and checks --ca: at least one PEM certificate. */
static char *
enroll_read_ca(const char *path, size_t *len)
{
	BIO	*b;
	X509	*x;
	char	*buf, *cause;

	if (root_read_file("", path, &buf, len, &cause) == -1) {
		fprintf(stderr, "ismsctl: --ca: %s\n", cause);
		free(cause);
		return (NULL);
	}
	if (*len > ENROLL_MAX_FILE ||
	    (b = BIO_new_mem_buf(buf, (int)*len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "ismsctl: --ca: %s: no PEM certificate\n",
		    path);
		free(buf);
		return (NULL);
	}
	X509_free(x);
	BIO_free(b);
	return (buf);
}

/* The machine-id under root: 32 lowercase hex digits, not all zero. */
static char *
enroll_host_id(const char *root)
{
	char	*buf, *cause, *id;
	size_t	 len;

	if (root_read_file(root, "/etc/machine-id", &buf, &len, &cause) ==
	    -1) {
		fprintf(stderr, "ismsctl: the host id is the machine-id: %s\n",
		    cause);
		free(cause);
		return (NULL);
	}
	id = str_trim(buf);
	if (strlen(id) != ENROLL_HOST_ID_LEN ||
	    strspn(id, "0123456789abcdef") != ENROLL_HOST_ID_LEN ||
	    strspn(id, "0") == ENROLL_HOST_ID_LEN) {
		fprintf(stderr, "ismsctl: /etc/machine-id is not a machine id "
		    "(32 lowercase hexadecimal digits, not all zero): run "
		    "systemd-machine-id-setup\n");
		free(buf);
		return (NULL);
	}
	id = xstrdup(id);
	free(buf);
	return (id);
}

/* The host name: the kernel's on the live host, /etc/hostname under root. */
static char *
enroll_hostname(const char *root)
{
	char	 name[HOST_NAME_MAX + 1], *buf, *cause, *s;
	size_t	 len;

	if (*root == '\0') {
		if (gethostname(name, sizeof name) == -1 || *name == '\0')
			return (NULL);
		name[sizeof name - 1] = '\0';
		return (xstrdup(name));
	}
	if (root_read_file(root, "/etc/hostname", &buf, &len, &cause) == -1) {
		free(cause);
		return (NULL);
	}
	s = str_trim(buf);
	s = *s != '\0' && strpbrk(s, " \t\n") == NULL ? xstrdup(s) : NULL;
	free(buf);
	return (s);
}

/* A new P-256 key and a CSR (PEM) signed by it. */
static EVP_PKEY *
enroll_make_key(const char *host_id, char **csr_pem)
{
	EVP_PKEY	*key;
	X509_REQ	*req;
	X509_NAME	*name;
	BIO		*b;
	char		*data;
	long		 len;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		fatalx("%s: EC P-256 key generation failed", __func__);
	/* The collector reads only the key: the name is for people. */
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    (name = X509_REQ_get_subject_name(req)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host_id, -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(b, req) != 1)
		fatalx("%s: making the CSR failed", __func__);
	len = BIO_get_mem_data(b, &data);
	*csr_pem = xstrndup(data, len);
	BIO_free(b);
	X509_REQ_free(req);
	return (key);
}

/* Removes a file not yet renamed into place. */
static void
enroll_file_clear(struct enroll_file *f)
{
	if (f->tmp != NULL)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	memset(f, 0, sizeof *f);
}

/*
 * Writes data to a new temporary file beside path (mkstemp: O_EXCL,
 * created 0600, then given mode; with fixed, PATH.new under the
 * renewal's lock).  The directory is made 0755 if it is missing.
 */
static int
enroll_file_write_as(struct enroll_file *f, const char *root,
    const char *path, const void *data, size_t len, mode_t mode, int fixed)
{
	char		*dir, *slash;
	ssize_t		 n;
	size_t		 off;
	int		 fd;

	f->path = root_path(root, path);
	dir = xstrdup(f->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "ismsctl: mkdir %s: %s\n", dir,
			    strerror(errno));
			free(dir);
			return (-1);
		}
	}
	free(dir);
	if (fixed) {
		xasprintf(&f->tmp, "%s%s", f->path, ENROLL_NEW_SUFFIX);
		fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	} else {
		xasprintf(&f->tmp, "%s.XXXXXX", f->path);
		fd = mkostemp(f->tmp, O_CLOEXEC);
	}
	if (fd == -1) {
		fprintf(stderr, "ismsctl: cannot write %s: %s\n", f->path,
		    strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		return (-1);
	}
	for (off = 0; off < len; off += n) {
		if ((n = write(fd, (const char *)data + off, len - off)) ==
		    -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			break;
		}
	}
	if (off < len || fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		fprintf(stderr, "ismsctl: write %s: %s\n", f->tmp,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if (close(fd) == -1) {
		fprintf(stderr, "ismsctl: close %s: %s\n", f->tmp,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
enroll_file_write(struct enroll_file *f, const char *root, const char *path,
    const void *data, size_t len, mode_t mode)
{
	return (enroll_file_write_as(f, root, path, data, len, mode, 0));
}

/* Moves a written file into place. */
static int
enroll_file_commit(struct enroll_file *f)
{
	if (rename(f->tmp, f->path) == -1) {
		fprintf(stderr, "ismsctl: rename %s to %s: %s\n", f->tmp,
		    f->path, strerror(errno));
		return (-1);
	}
	free(f->tmp);
	f->tmp = NULL;
	return (0);
}

/* The private key as unencrypted PKCS#8 PEM, written to f. */
static int
enroll_write_key(struct enroll_file *f, const char *root, const char *path,
    EVP_PKEY *key, int fixed)
{
	BIO	*b;
	char	*data;
	long	 len;
	int	 rc;

	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)
		fatalx("%s: PEM_write_bio_PrivateKey", __func__);
	len = BIO_get_mem_data(b, &data);
	rc = enroll_file_write_as(f, root, path, data, len, 0600, fixed);
	BIO_free(b);		/* secure memory: cleared on free */
	return (rc);
}

/* Called once by the transport with the answer. */
static void
enroll_done(const struct transport_res *res, void *arg)
{
	struct enroll_res	*r = arg;

	r->done = 1;
	r->status = res->http_status;
	if (res->error != NULL)
		r->error = xstrdup(res->error);
	if (res->body != NULL)
		r->body = xstrndup(res->body, res->body_len);
	event_base_loopbreak(r->base);
}

/*
 * POSTs body to url on a loop of its own, with a client certificate if
 * cert is not NULL; -1 if it could not start.
 */
static int
enroll_post(const char *url, const char *body, const char *ca,
    size_t ca_len, const char *cert, const char *key, struct enroll_res *r)
{
	struct transport_req	 req;
	struct transport	*t;

	memset(r, 0, sizeof *r);
	if ((r->base = event_base_new()) == NULL)
		fatalx("%s: event_base_new", __func__);
	t = transport_new(r->base);
	memset(&req, 0, sizeof req);
	req.url = url;
	req.content_type = "application/json";
	req.body = body;
	req.len = strlen(body);
	req.ca = ca;
	req.ca_len = ca_len;
	if (cert != NULL) {
		req.cert = cert;
		req.cert_len = strlen(cert);
		req.key = key;
		req.key_len = strlen(key);
	}
	if (transport_post(t, &req, enroll_done, r) == -1) {
		transport_free(t);
		event_base_free(r->base);
		return (-1);
	}
	while (!r->done)
		if (event_base_dispatch(r->base) == -1)
			fatalx("%s: event_base_dispatch", __func__);
	transport_free(t);
	event_base_free(r->base);
	r->base = NULL;
	return (0);
}

/* Whether x names host_id in a SAN URI (what the collector trusts). */
static int
enroll_cert_names(X509 *x, const char *host_id)
{
	GENERAL_NAMES		*sans;
	const GENERAL_NAME	*gn;
	char			*want;
	int			 i, found = 0;

	if ((sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL)) == NULL)
		return (0);
	xasprintf(&want, "%s%s", ENROLL_HOST_URI, host_id);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type == GEN_URI && (size_t)ASN1_STRING_length(
		    gn->d.uniformResourceIdentifier) == strlen(want) &&
		    memcmp(ASN1_STRING_get0_data(
		    gn->d.uniformResourceIdentifier), want,
		    strlen(want)) == 0)
			found = 1;
	}
	free(want);
	GENERAL_NAMES_free(sans);
	return (found);
}

/*
 * Checks the answer before anything is written: the certificate is for
 * our key and host and signed by the CA that came with it; with a pin,
 * that CA is the pinned one.
 */
static int
enroll_check_answer(const char *cert_pem, const char *ca_pem, EVP_PKEY *key,
    const char *host_id, const unsigned char *pin, char **cause)
{
	BIO		*b;
	X509		*cert = NULL, *ca = NULL;
	EVP_PKEY	*capub;
	int		 rc = -1;

	if ((b = BIO_new_mem_buf(cert_pem, -1)) != NULL)
		cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if ((b = BIO_new_mem_buf(ca_pem, -1)) != NULL)
		ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (cert == NULL || ca == NULL)
		xasprintf(cause, "the answer holds no PEM %s",
		    cert == NULL ? "certificate" : "CA certificate");
	else if (X509_check_private_key(cert, key) != 1)
		xasprintf(cause, "the certificate is not for the key sent");
	else if (!enroll_cert_names(cert, host_id))
		xasprintf(cause, "the certificate does not name host %s",
		    host_id);
	else if ((capub = X509_get0_pubkey(ca)) == NULL ||
	    X509_verify(cert, capub) != 1)
		xasprintf(cause, "the certificate is not signed by the CA "
		    "sent with it");
	else if (pin != NULL && !enroll_pin_match(ca, pin))
		xasprintf(cause, "the CA sent does not match the pin");
	else
		rc = 0;
	X509_free(cert);
	X509_free(ca);
	return (rc);
}

/*
 * Prints an error answer with the collector's JSON detail, if any; the
 * token (NULL: none) is never echoed.
 */
static void
enroll_print_answer(const char *what, long status, const char *body,
    const char *token)
{
	json_t		*j = NULL;
	const char	*err = NULL, *detail = NULL;

	if (body != NULL && (j = json_loads(body, 0, NULL)) != NULL) {
		err = json_string_value(json_object_get(j, "error"));
		detail = json_string_value(json_object_get(j, "detail"));
		if (token != NULL && detail != NULL &&
		    strstr(detail, token) != NULL)
			detail = NULL;
		if (token != NULL && err != NULL && strstr(err, token) != NULL)
			err = NULL;
	}
	fprintf(stderr, "ismsctl: %s (HTTP %ld%s%s)%s%s\n", what, status,
	    err != NULL ? " " : "", err != NULL ? err : "",
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	json_decref(j);
}

/* A certificate's time as seconds since the epoch; -1 if unreadable. */
static time_t
enroll_asn1_time(const ASN1_TIME *a)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return (-1);
	return (timegm(&tm));
}

/* The serial number as lowercase hex, as the collector logs it. */
static char *
enroll_serial(X509 *x)
{
	BIGNUM	*bn;
	char	*hex, *s, *p;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x),
	    NULL)) == NULL || (hex = BN_bn2hex(bn)) == NULL)
		fatalx("%s: BN_bn2hex", __func__);
	BN_free(bn);
	s = xstrdup(hex);
	OPENSSL_free(hex);
	for (p = s; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	return (s);
}

/* The first PEM certificate of buf, or NULL. */
static X509 *
enroll_pem_x509(const char *buf)
{
	BIO	*b;
	X509	*x = NULL;

	if ((b = BIO_new_mem_buf(buf, -1)) != NULL)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return (x);
}

/* The PEM private key of buf, or NULL. */
static EVP_PKEY *
enroll_pem_key(const char *buf)
{
	BIO		*b;
	EVP_PKEY	*k = NULL;

	if ((b = BIO_new_mem_buf(buf, -1)) != NULL)
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	return (k);
}

/* A lifetime for people: hours below two days, else days. */
static const char *
enroll_duration(time_t t, char *buf, size_t len)
{
	if (t < 2 * 86400)
		snprintf(buf, len, "%lld hours", (long long)(t / 3600));
	else
		snprintf(buf, len, "%lld days", (long long)(t / 86400));
	return (buf);
}

/* Reads a file under root as a string; -1 (message printed) if not. */
static int
enroll_read(const char *root, const char *path, const char *what,
    char **buf)
{
	char	*cause;
	size_t	 len;

	if (root_read_file(root, path, buf, &len, &cause) == -1) {
		fprintf(stderr, "ismsctl: %s: %s: not enrolled? Run \"ismsctl "
		    "enroll --server URL --token T\" first\n", what, cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* fsync(2) of the directory that holds path, so renames are durable. */
static void
enroll_sync_dir(const char *path)
{
	char	*dir, *slash;
	int	 fd;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if ((fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/*
 * Finishes or undoes what an interrupted renewal left (see Renewal
 * above): CERT.new for the key in place goes into place; any other
 * .new file is removed.
 */
static void
enroll_renew_recover(const char *keypath, const char *certpath)
{
	char		*knew, *cnew, *buf, *cause;
	size_t		 len;
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;

	xasprintf(&knew, "%s%s", keypath, ENROLL_NEW_SUFFIX);
	xasprintf(&cnew, "%s%s", certpath, ENROLL_NEW_SUFFIX);
	if (root_read_file("", cnew, &buf, &len, &cause) == 0) {
		x = enroll_pem_x509(buf);
		free(buf);
		if (root_read_file("", keypath, &buf, &len, &cause) == 0) {
			k = enroll_pem_key(buf);
			explicit_bzero(buf, len);
			free(buf);
		} else
			free(cause);
		if (x != NULL && k != NULL && X509_check_private_key(x,
		    k) == 1 && rename(cnew, certpath) == 0) {
			enroll_sync_dir(certpath);
			printf("completed an interrupted renewal: %s is the "
			    "certificate of %s\n", certpath, keypath);
		} else if (unlink(cnew) == 0)
			printf("removed %s, left by an interrupted renewal\n",
			    cnew);
		X509_free(x);
		EVP_PKEY_free(k);
	} else
		free(cause);
	if (unlink(knew) == 0)
		printf("removed %s, left by an interrupted renewal\n", knew);
	free(knew);
	free(cnew);
}

/* Takes the renewal lock: flock(2) on the directory of path. */
static int
enroll_lock(const char *path)
{
	char	*dir, *slash;
	int	 fd;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (fd == -1 || flock(fd, LOCK_EX) == -1) {
		fprintf(stderr, "ismsctl: lock %s: %s\n", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	free(dir);
	return (fd);
}

/*
 * ismsctl enroll --renew [--if-needed] (see Renewal above); returns the
 * exit status: 0 renewed or not due, 1 the collector refused (or the
 * certificate has expired), 2 not enrolled or a configuration error,
 * 3 network, TLS or file failure.
 */
static int
enroll_renew(struct check_opts *o, struct enroll_opts *eo)
{
	struct policy		*p = NULL;
	struct agent_conf	*conf = NULL;
	struct enroll_url	 u;
	struct enroll_res	 r;
	struct enroll_file	 fkey, fcert;
	X509			*cur = NULL;
	EVP_PKEY		*curkey = NULL, *key = NULL;
	json_t			*req = NULL, *ans = NULL;
	const char		*server, *cert_pem, *not_after, *renew_after;
	char			*cert = NULL, *keypem = NULL, *ca = NULL;
	char			*keypath = NULL, *certpath = NULL;
	char			*host_id = NULL, *csr = NULL, *body = NULL;
	char			*cause = NULL, *serial = NULL, *newserial = NULL;
	char			 na[RFC3339_LEN], due[RFC3339_LEN], d1[32];
	time_t			 nb_t, na_t, life, left;
	int			 lock = -1, rc = EXIT_USAGE;

	memset(&u, 0, sizeof u);
	memset(&r, 0, sizeof r);
	memset(&fkey, 0, sizeof fkey);
	memset(&fcert, 0, sizeof fcert);
	if (eo->token != NULL || eo->ca != NULL || eo->pin != NULL) {
		fprintf(stderr, "ismsctl: --renew takes no --token, --ca or "
		    "--pin: it uses the enrolled certificate and ca.pem\n");
		goto out;
	}
	if (check_load(o, &p, &conf) == -1)
		goto out;
	if ((server = eo->server) == NULL &&
	    (server = conf->collector_url) == NULL) {
		fprintf(stderr, "ismsctl: --renew: no collector.url in %s "
		    "and no --server\n", conf->file != NULL ? conf->file :
		    "the configuration");
		goto out;
	}
	if (enroll_parse_url(server, &u) == -1)
		goto out;
	keypath = root_path(o->root, conf->collector_key);
	certpath = root_path(o->root, conf->collector_cert);
	if ((lock = enroll_lock(keypath)) == -1) {
		rc = EXIT_INTERNAL;
		goto out;
	}
	enroll_renew_recover(keypath, certpath);

	if (enroll_read(o->root, conf->collector_cert, "certificate",
	    &cert) == -1 || enroll_read(o->root, conf->collector_key, "key",
	    &keypem) == -1 || enroll_read(o->root, conf->collector_ca,
	    "collector CA", &ca) == -1)
		goto out;
	if ((cur = enroll_pem_x509(cert)) == NULL) {
		fprintf(stderr, "ismsctl: %s: no PEM certificate\n", certpath);
		goto out;
	}
	if ((curkey = enroll_pem_key(keypem)) == NULL) {
		fprintf(stderr, "ismsctl: %s: no PEM private key\n", keypath);
		goto out;
	}
	if (X509_check_private_key(cur, curkey) != 1) {
		fprintf(stderr, "ismsctl: %s is not the certificate of %s and "
		    "no interrupted renewal explains it: enroll again with a "
		    "token\n", certpath, keypath);
		goto out;
	}
	if ((host_id = enroll_host_id(o->root)) == NULL)
		goto out;
	if (!enroll_cert_names(cur, host_id)) {
		fprintf(stderr, "ismsctl: %s is not for this host (%s, the "
		    "machine-id): enroll again with a token\n", certpath,
		    host_id);
		goto out;
	}
	serial = enroll_serial(cur);
	nb_t = enroll_asn1_time(X509_get0_notBefore(cur));
	na_t = enroll_asn1_time(X509_get0_notAfter(cur));
	if (nb_t == -1 || na_t == -1 || na_t <= nb_t) {
		fprintf(stderr, "ismsctl: %s: unreadable validity\n",
		    certpath);
		goto out;
	}
	time_format_rfc3339(na_t, na, sizeof na);
	life = na_t - nb_t;
	left = na_t - o->now;
	time_format_rfc3339(na_t - life / 3, due, sizeof due);
	if (left <= 0) {
		fprintf(stderr, "ismsctl: certificate %s expired at %s: the "
		    "collector refuses it, so it cannot be renewed; enroll "
		    "again with a token\n", serial, na);
		rc = EXIT_FAIL;
		goto out;
	}
	if (eo->if_needed && left > life / 3) {
		printf("certificate %s valid until %s (%s left", serial, na,
		    enroll_duration(left, d1, sizeof d1));
		printf(" of %s): not renewing before %s, when a third is "
		    "left\n", enroll_duration(life, d1, sizeof d1), due);
		rc = 0;
		goto out;
	}
	if (eo->if_needed) {
		printf("certificate %s valid until %s (%s left", serial, na,
		    enroll_duration(left, d1, sizeof d1));
		printf(" of %s): renewal due since %s, when a third was "
		    "left\n", enroll_duration(life, d1, sizeof d1), due);
		fflush(stdout);
	}

	rc = EXIT_INTERNAL;
	key = enroll_make_key(host_id, &csr);
	if (enroll_write_key(&fkey, o->root, conf->collector_key, key,
	    1) == -1)
		goto out;
	if ((req = json_pack("{s:s}", "csr", csr)) == NULL ||
	    (body = json_dumps(req, JSON_COMPACT)) == NULL)
		fatalx("%s: json", __func__);
	if (enroll_post(u.renew, body, ca, strlen(ca), cert, keypem,
	    &r) == -1) {
		fprintf(stderr, "ismsctl: cannot start the request to %s\n",
		    u.renew);
		goto out;
	}
	if (r.error != NULL) {
		fprintf(stderr, "ismsctl: %s: %s\n", u.renew, r.error);
		/* Over TLS 1.3 a refused certificate reads as a cut. */
		if (strstr(r.error, "connect to") == NULL &&
		    strstr(r.error, "resolve") == NULL &&
		    strstr(r.error, "SSL certificate problem") == NULL &&
		    strstr(r.error, "timed out") == NULL)
			fprintf(stderr, "ismsctl: the collector closed the TLS "
			    "connection: it most likely refused certificate "
			    "%s (revoked, unknown or expired: its log says "
			    "which); if so, enroll again with a token\n",
			    serial);
		goto out;
	}
	if (r.status >= 400 && r.status < 500) {
		enroll_print_answer("the collector refused the renewal",
		    r.status, r.body, NULL);
		rc = EXIT_FAIL;
		goto out;
	}
	if (r.status != 200) {
		enroll_print_answer("the collector failed", r.status, r.body,
		    NULL);
		goto out;
	}
	if ((ans = json_loads(r.body != NULL ? r.body : "", 0, NULL)) ==
	    NULL || (cert_pem = json_string_value(json_object_get(ans,
	    "certificate"))) == NULL) {
		fprintf(stderr, "ismsctl: %s: malformed answer\n", u.renew);
		goto out;
	}
	not_after = json_string_value(json_object_get(ans, "not_after"));
	renew_after = json_string_value(json_object_get(ans, "renew_after"));
	/* Signed by the CA we hold, not merely by the one in the answer. */
	if (enroll_check_answer(cert_pem, ca, key, host_id, NULL,
	    &cause) == -1) {
		fprintf(stderr, "ismsctl: %s: %s\n", u.renew, cause);
		goto out;
	}
	if (enroll_file_write_as(&fcert, o->root, conf->collector_cert,
	    cert_pem, strlen(cert_pem), 0644, 1) == -1)
		goto out;
	enroll_sync_dir(fkey.tmp);
	/* The key first: CERT.new is what completes it (see above). */
	if (enroll_file_commit(&fkey) == -1)
		goto out;
	if (enroll_file_commit(&fcert) == -1) {
		/* CERT.new stays: the next --renew puts it in place. */
		free(fcert.tmp);
		fcert.tmp = NULL;
		goto out;
	}
	enroll_sync_dir(certpath);
	X509_free(cur);
	cur = enroll_pem_x509(cert_pem);
	newserial = enroll_serial(cur);

	printf("renewed the certificate of host %s with %s: %s replaces %s "
	    "(revoked)\n", host_id, server, newserial, serial);
	printf("certificate valid until %s, renew after %s\n",
	    not_after != NULL ? not_after : "?",
	    renew_after != NULL ? renew_after : "?");
	printf("wrote %s (key, 0600)\n", fkey.path);
	printf("wrote %s (certificate)\n", fcert.path);
	printf("isms-agentd uses them after SIGHUP (systemctl reload "
	    "isms-agentd)\n");
	rc = 0;
out:
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	if (keypem != NULL) {
		explicit_bzero(keypem, strlen(keypem));
		free(keypem);
	}
	if (lock != -1)
		close(lock);
	json_decref(req);
	json_decref(ans);
	enroll_file_clear(&fkey);
	enroll_file_clear(&fcert);
	X509_free(cur);
	EVP_PKEY_free(curkey);
	EVP_PKEY_free(key);
	free(r.error);
	free(r.body);
	free(cert);
	free(ca);
	free(csr);
	free(cause);
	free(serial);
	free(newserial);
	free(host_id);
	free(keypath);
	free(certpath);
	enroll_url_clear(&u);
	config_free(conf);
	policy_free(p);
	return (rc);
}

int
enroll_main(struct check_opts *o, struct enroll_opts *eo)
{
	struct policy		*p = NULL;
	struct agent_conf	*conf = NULL;
	struct enroll_url	 u;
	struct enroll_res	 r;
	struct enroll_file	 fkey, fcert, fca;
	unsigned char		 pinbuf[ENROLL_PIN_LEN], *pin = NULL;
	EVP_PKEY		*key = NULL;
	json_t			*req = NULL, *ans = NULL;
	const char		*cert_pem, *ca_pem, *not_after, *renew_after;
	char			*ca = NULL, *host_id = NULL, *hostname = NULL;
	char			*csr = NULL, *body = NULL, *cause = NULL;
	size_t			 ca_len = 0;
	int			 rc = EXIT_USAGE;

	memset(&u, 0, sizeof u);
	memset(&r, 0, sizeof r);
	memset(&fkey, 0, sizeof fkey);
	memset(&fcert, 0, sizeof fcert);
	memset(&fca, 0, sizeof fca);

	if (eo->renew)
		return (enroll_renew(o, eo));
	if (eo->server == NULL || eo->token == NULL) {
		fprintf(stderr, "ismsctl: enroll needs --server URL and "
		    "--token TOKEN\n");
		goto out;
	}
	if (*eo->token == '\0') {
		fprintf(stderr, "ismsctl: --token is empty\n");
		goto out;
	}
	if (eo->ca == NULL && eo->pin == NULL) {
		fprintf(stderr, "ismsctl: refusing to send the enrollment "
		    "token to a collector that cannot be verified: give "
		    "--ca FILE (the collector's CA certificate) or --pin "
		    "SHA256 (its CA key pin, logged by isms-collectord at "
		    "start-up)\n");
		goto out;
	}
	if (eo->ca != NULL && eo->pin != NULL) {
		fprintf(stderr, "ismsctl: give --ca or --pin, not both\n");
		goto out;
	}
	if (enroll_parse_url(eo->server, &u) == -1)
		goto out;
	if (eo->pin != NULL) {
		if (enroll_parse_pin(eo->pin, pinbuf) == -1)
			goto out;
		pin = pinbuf;
	} else if ((ca = enroll_read_ca(eo->ca, &ca_len)) == NULL)
		goto out;
	if (check_load(o, &p, &conf) == -1)
		goto out;
	if ((host_id = enroll_host_id(o->root)) == NULL)
		goto out;
	hostname = enroll_hostname(o->root);

	/* The key is on disk (not yet in place) before the token is used. */
	key = enroll_make_key(host_id, &csr);
	if (enroll_write_key(&fkey, o->root, conf->collector_key, key,
	    0) == -1) {
		rc = EXIT_INTERNAL;
		goto out;
	}

	rc = EXIT_INTERNAL;
	if (pin != NULL) {
		if ((ca = enroll_fetch_ca(&u, pin, &cause)) == NULL) {
			fprintf(stderr, "ismsctl: %s\n", cause);
			goto out;
		}
		ca_len = strlen(ca);
	}

	req = json_pack("{s:s,s:s,s:s}", "token", eo->token, "csr", csr,
	    "host_id", host_id);
	if (req == NULL)
		fatalx("%s: json_pack", __func__);
	if (hostname != NULL)
		json_object_set_new(req, "hostname", json_string(hostname));
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		fatalx("%s: json_dumps", __func__);
	/* jansson's copy of the token */
	explicit_bzero((char *)json_string_value(json_object_get(req,
	    "token")), strlen(eo->token));
	if (enroll_post(u.enroll, body, ca, ca_len, NULL, NULL, &r) == -1) {
		fprintf(stderr, "ismsctl: cannot start the request to %s\n",
		    u.enroll);
		goto out;
	}
	if (r.error != NULL) {
		fprintf(stderr, "ismsctl: %s: %s\n", u.enroll, r.error);
		goto out;
	}
	if (r.status >= 400 && r.status < 500) {
		enroll_print_answer("the collector refused the enrollment",
		    r.status, r.body, eo->token);
		rc = EXIT_FAIL;
		goto out;
	}
	if (r.status != 200) {
		enroll_print_answer("the collector failed", r.status, r.body,
		    eo->token);
		goto out;
	}
	if ((ans = json_loads(r.body != NULL ? r.body : "", 0, NULL)) ==
	    NULL || (cert_pem = json_string_value(json_object_get(ans,
	    "certificate"))) == NULL || (ca_pem = json_string_value(
	    json_object_get(ans, "ca"))) == NULL) {
		fprintf(stderr, "ismsctl: %s: malformed answer\n", u.enroll);
		goto out;
	}
	not_after = json_string_value(json_object_get(ans, "not_after"));
	renew_after = json_string_value(json_object_get(ans, "renew_after"));
	if (enroll_check_answer(cert_pem, ca_pem, key, host_id, pin,
	    &cause) == -1) {
		fprintf(stderr, "ismsctl: %s: %s\n", u.enroll, cause);
		goto out;
	}
	if (enroll_file_write(&fcert, o->root, conf->collector_cert, cert_pem,
	    strlen(cert_pem), 0644) == -1 ||
	    enroll_file_write(&fca, o->root, conf->collector_ca, ca_pem,
	    strlen(ca_pem), 0644) == -1 ||
	    enroll_file_commit(&fkey) == -1 ||
	    enroll_file_commit(&fcert) == -1 ||
	    enroll_file_commit(&fca) == -1)
		goto out;

	printf("enrolled host %s%s%s%s with %s\n", host_id,
	    hostname != NULL ? " (" : "", hostname != NULL ? hostname : "",
	    hostname != NULL ? ")" : "", eo->server);
	printf("certificate valid until %s, renew after %s\n",
	    not_after != NULL ? not_after : "?",
	    renew_after != NULL ? renew_after : "?");
	printf("wrote %s (key, 0600)\n", fkey.path);
	printf("wrote %s (certificate)\n", fcert.path);
	printf("wrote %s (collector CA)\n", fca.path);
	rc = 0;
out:
	if (body != NULL) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	json_decref(req);
	json_decref(ans);
	enroll_file_clear(&fkey);
	enroll_file_clear(&fcert);
	enroll_file_clear(&fca);
	EVP_PKEY_free(key);
	free(r.error);
	free(r.body);
	free(csr);
	free(ca);
	free(cause);
	free(host_id);
	free(hostname);
	enroll_url_clear(&u);
	config_free(conf);
	policy_free(p);
	return (rc);
}
