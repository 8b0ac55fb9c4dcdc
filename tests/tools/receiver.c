/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers shared by the test receivers.  Everything a test reads comes
 * through rcv_log_write(): one compact JSON object per line, written
 * with a single write(2) on an O_APPEND descriptor and fsync'd, so a
 * test polling the file never sees half a record.  The port file is
 * written under a temporary name and renamed, so its existence means
 * the receiver is listening.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "receiver.h"

/* Parses a decimal option value in [min, max] or exits with usage. */
long long
rcv_number(const char *name, const char *s, long long min, long long max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "--%s: %s: not a number in %lld..%lld\n",
		    name, s, min, max);
		exit(RCV_EXIT_USAGE);
	}
	return (v);
}

/* Opens the JSON-lines log for appending; exits on failure. */
int
rcv_log_open(const char *path)
{
	int	 fd;

	fd = open(path, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0644);
	if (fd == -1)
		err(1, "open %s", path);
	return (fd);
}

/* Appends obj as one line and syncs it; takes ownership of obj. */
void
rcv_log_write(int fd, json_t *obj)
{
	char	*s, *line;
	size_t	 len, off;
	ssize_t	 n;

	s = json_dumps(obj, JSON_COMPACT|JSON_SORT_KEYS);
	json_decref(obj);
	if (s == NULL)
		errx(1, "json_dumps failed");
	len = strlen(s);
	if ((line = malloc(len + 1)) == NULL)
		err(1, "malloc");
	memcpy(line, s, len);
	line[len++] = '\n';
	free(s);
	for (off = 0; off < len; off += n) {
		n = write(fd, line + off, len - off);
		if (n == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			err(1, "write log");
		}
	}
	free(line);
	if (fsync(fd) == -1)
		err(1, "fsync log");
}

/* Writes the bound port of fd to path (via a temporary file). */
void
rcv_port_file(const char *path, int fd)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			*tmp;
	FILE			*f;

	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "getsockname");
	if (asprintf(&tmp, "%s.tmp", path) == -1)
		err(1, "asprintf");
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "open %s", tmp);
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	if (fclose(f) == EOF)
		err(1, "write %s", tmp);
	if (rename(tmp, path) == -1)
		err(1, "rename %s", tmp);
	free(tmp);
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
int
rcv_utf8_valid(const unsigned char *p, size_t n)
{
	size_t		 i = 0, k, len;
	unsigned int	 c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return (0);
		if (n - i < len)
			return (0);
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += len;
	}
	return (1);
}

/*
 * Sets key to the bytes as a JSON string.  Bytes that are not UTF-8 are
 * replaced by U+FFFD in the string and the exact bytes are added as
 * key_base64.
 */
void
rcv_json_bytes(json_t *obj, const char *key, const void *data, size_t n)
{
	const unsigned char	*p = data;
	unsigned char		*out, *b64;
	char			*bkey;
	size_t			 i, o;

	if (rcv_utf8_valid(p, n)) {
		json_object_set_new(obj, key, json_stringn(data, n));
		return;
	}
	/* Each invalid byte becomes the three bytes of U+FFFD. */
	if ((out = malloc(n * 3 + 1)) == NULL)
		err(1, "malloc");
	for (i = o = 0; i < n; i++) {
		if (p[i] < 0x80) {
			out[o++] = p[i];
			continue;
		}
		/* Copy a valid sequence whole; else replace one byte. */
		{
			size_t	len = 2;

			while (len <= 4 && i + len <= n &&
			    !rcv_utf8_valid(p + i, len))
				len++;
			if (len <= 4 && i + len <= n) {
				memcpy(out + o, p + i, len);
				o += len;
				i += len - 1;
				continue;
			}
		}
		out[o++] = 0xef;
		out[o++] = 0xbf;
		out[o++] = 0xbd;
	}
	json_object_set_new(obj, key, json_stringn((char *)out, o));
	free(out);

	if ((b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		err(1, "malloc");
	EVP_EncodeBlock(b64, p, (int)n);
	if (asprintf(&bkey, "%s_base64", key) == -1)
		err(1, "asprintf");
	json_object_set_new(obj, bkey, json_string((char *)b64));
	free(bkey);
	free(b64);
}

/* Sets key to a C string (possibly not UTF-8), or null if NULL. */
void
rcv_json_set_str(json_t *obj, const char *key, const char *s)
{
	if (s == NULL)
		json_object_set_new(obj, key, json_null());
	else
		rcv_json_bytes(obj, key, s, strlen(s));
}

/* The current time as RFC 3339 UTC with milliseconds. */
json_t *
rcv_json_now(void)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	return (json_string(buf));
}

/*
 * A server context with the certificate chain and key; with client_ca,
 * clients must present a certificate signed by it.
 */
SSL_CTX *
rcv_tls_ctx(const char *cert, const char *key, const char *client_ca)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		errx(1, "SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		errx(1, "%s: cannot load certificate chain", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		errx(1, "%s: cannot load private key", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		errx(1, "%s does not match %s", key, cert);
	if (client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1)
			errx(1, "%s: cannot load client CA", client_ca);
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER|SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return (ctx);
}

/* The verified client certificate's subject (caller frees), or NULL. */
char *
rcv_peer_subject(SSL *ssl)
{
	X509	*x;

	if (ssl == NULL || (x = SSL_get0_peer_certificate(ssl)) == NULL)
		return (NULL);
	return (X509_NAME_oneline(X509_get_subject_name(x), NULL, 0));
}
