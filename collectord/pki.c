/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's CA, certificates and tokens (see pki.h), with the
 * OpenSSL 3 EVP and X509 interfaces only.
 *
 * Security assumptions.  A CSR proves one thing, that the requester
 * holds the private key (its self-signature); everything else in it is
 * the requester's wish, so the certificate is built from nothing but its
 * public key and our own decisions: CN and SAN URI from the host_id the
 * enrollment checked, CA:FALSE, digitalSignature, clientAuth.  Key files
 * are created with O_EXCL so an existing file (or a planted symlink) is
 * never written through, and a key file others can read is refused:
 * such a key may already be someone else's.  Serials are 128 random bits
 * (RFC 5280 4.1.2.2 allows up to 20 octets), so they are unique without
 * a counter and unpredictable.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "xmalloc.h"
#include "pki.h"

#define PKI_FILE_MAX	(1024 * 1024)	/* bytes; larger files are refused */
#define PKI_RSA_MIN	2048		/* bits */
#define PKI_RSA_MAX	8192		/* bits; bounds a CSR check */
#define PKI_CA_CN	"isms-collectord CA"

struct pki_ca {
	EVP_PKEY	*key;
	X509		*cert;
	char		*pem;		/* ca.pem as read or written */
};

static void pki_cause(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Set *cause (if cause is not NULL) to a formatted message. */
static void
pki_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		fatal("%s: vasprintf", __func__);
	va_end(ap);
}

/* The most recent OpenSSL error as text, clearing the queue. */
static const char *
pki_ssl_error(void)
{
	static char	buf[256];
	unsigned long	e;

	e = ERR_peek_last_error();
	if (e == 0)
		strlcpy(buf, "unknown OpenSSL error", sizeof buf);
	else
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return (buf);
}

/*
 * Read a whole small file.  A key file must be a regular file that
 * neither group nor other can access.
 */
static char *
pki_read_file(const char *path, int is_key, size_t *lenp, char **cause)
{
	struct stat	 sb;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1) {
		pki_cause(cause, "open %s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &sb) == -1) {
		pki_cause(cause, "stat %s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	if (!S_ISREG(sb.st_mode)) {
		pki_cause(cause, "%s: not a regular file", path);
		close(fd);
		return (NULL);
	}
	if (is_key && (sb.st_mode & (S_IRWXG|S_IRWXO)) != 0) {
		pki_cause(cause, "%s: private key accessible by group or other "
		    "(mode %04o), refusing it; chmod 600 %s if it was never "
		    "exposed, or replace it", path,
		    (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return (NULL);
	}
	if (sb.st_size > PKI_FILE_MAX) {
		pki_cause(cause, "%s: larger than %d bytes", path,
		    PKI_FILE_MAX);
		close(fd);
		return (NULL);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		n = read(fd, buf + len, (size_t)sb.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			pki_cause(cause, "read %s: %s", path,
			    n == 0 ? "short read" : strerror(errno));
			explicit_bzero(buf, len);
			free(buf);
			close(fd);
			return (NULL);
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/*
 * Create path (which must not exist) with mode and write buf to it,
 * synced.  On failure the file is removed.
 */
static int
pki_write_new(const char *path, const char *buf, size_t len, mode_t mode,
    char **cause)
{
	size_t	off = 0;
	ssize_t	n;
	int	fd;

	fd = open(path, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode);
	if (fd == -1) {
		pki_cause(cause, "create %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, mode) == -1) {
		pki_cause(cause, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			pki_cause(cause, "write %s: %s", path, strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		pki_cause(cause, "write %s: %s", path, strerror(errno));
		fd = -1;
		goto fail;
	}
	return (0);
fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	return (-1);
}

/* The contents of a memory BIO as a string (caller frees). */
static char *
pki_bio_string(BIO *bio)
{
	char	*data;
	long	 len;

	len = BIO_get_mem_data(bio, &data);
	if (len < 0)
		fatalx("%s: BIO_get_mem_data", __func__);
	return (xstrndup(data, (size_t)len));
}

/* A certificate as PEM (caller frees). */
static char *
pki_cert_pem(X509 *cert)
{
	BIO	*bio;
	char	*s;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bio, cert) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	s = pki_bio_string(bio);
	BIO_free(bio);
	return (s);
}

/* A private key as unencrypted PKCS#8 PEM (caller bzeroes and frees). */
static char *
pki_key_pem(EVP_PKEY *key)
{
	BIO	*bio;
	char	*s, *data;
	long	 len;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	len = BIO_get_mem_data(bio, &data);
	if (len < 0)
		fatalx("%s: BIO_get_mem_data", __func__);
	s = xstrndup(data, (size_t)len);
	BIO_free(bio);
	return (s);
}

/* Parse a PEM private key held in memory. */
static EVP_PKEY *
pki_parse_key(const char *pem, const char *what, char **cause)
{
	BIO		*bio;
	EVP_PKEY	*key;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		fatalx("%s: BIO_new_mem_buf", __func__);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL)
		pki_cause(cause, "%s: no PEM private key: %s", what,
		    pki_ssl_error());
	return (key);
}

/* Parse the first PEM certificate held in memory. */
static X509 *
pki_parse_cert(const char *pem, const char *what, char **cause)
{
	BIO	*bio;
	X509	*cert;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		fatalx("%s: BIO_new_mem_buf", __func__);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert == NULL)
		pki_cause(cause, "%s: no PEM certificate: %s", what,
		    pki_ssl_error());
	return (cert);
}

/*
 * Whether a key is of a kind we certify: P-256, P-384, Ed25519, or RSA
 * of PKI_RSA_MIN to PKI_RSA_MAX bits.  Explicit-parameter EC keys have
 * no group name and are refused.
 */
static int
pki_key_ok(EVP_PKEY *key, char **cause)
{
	char	grp[80];
	int	bits, nid;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof grp, NULL) != 1) {
			ERR_clear_error();
			pki_cause(cause, "EC key without a named curve");
			return (-1);
		}
		nid = OBJ_sn2nid(grp);
		if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
			return (0);
		pki_cause(cause, "EC curve %s not accepted (P-256 or P-384)",
		    grp);
		return (-1);
	case EVP_PKEY_ED25519:
		return (0);
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(key);
		if (bits < PKI_RSA_MIN) {
			pki_cause(cause, "RSA key of %d bits, at least %d "
			    "needed", bits, PKI_RSA_MIN);
			return (-1);
		}
		if (bits > PKI_RSA_MAX) {
			pki_cause(cause, "RSA key of %d bits, at most %d "
			    "accepted", bits, PKI_RSA_MAX);
			return (-1);
		}
		return (0);
	default:
		pki_cause(cause, "key type %s not accepted (P-256, P-384, "
		    "Ed25519 or RSA >= %d)", EVP_PKEY_get0_type_name(key) ?
		    EVP_PKEY_get0_type_name(key) : "unknown", PKI_RSA_MIN);
		return (-1);
	}
}

/* The digest to sign with a key: none for Ed25519 (it hashes itself). */
static const EVP_MD *
pki_md(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
		return (NULL);
	if (EVP_PKEY_get_bits(key) == 384)
		return (EVP_sha384());
	return (EVP_sha256());
}

/* Set a random positive 128-bit serial number. */
static void
pki_set_serial(X509 *cert)
{
	BIGNUM	*bn;

	if ((bn = BN_new()) == NULL)
		fatalx("%s: BN_new", __func__);
	do {
		if (BN_rand(bn, 128, BN_RAND_TOP_ANY,
		    BN_RAND_BOTTOM_ANY) != 1)
			fatalx("%s: %s", __func__, pki_ssl_error());
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		fatalx("%s: %s", __func__, pki_ssl_error());
	BN_free(bn);
}

/* Add one extension given in openssl.cnf syntax. */
static void
pki_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION	*ext;

	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL || X509_add_ext(cert, ext, -1) != 1)
		fatalx("%s: %s=%s: %s", __func__, OBJ_nid2sn(nid), value,
		    pki_ssl_error());
	X509_EXTENSION_free(ext);
}

/* Set the subject to a single CN. */
static void
pki_set_cn(X509 *cert, const char *cn)
{
	X509_NAME	*name;

	if ((name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(cert, name) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	X509_NAME_free(name);
}

/* Make a new CA key and self-signed certificate. */
static void
pki_ca_make(struct pki_ca *ca)
{
	X509V3_CTX	 ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 cn[64];

	if ((ca->key = EVP_EC_gen("P-256")) == NULL ||
	    (ca->cert = X509_new()) == NULL ||
	    X509_set_version(ca->cert, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(ca->cert, ca->key) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	pki_set_serial(ca->cert);

	/*
	 * Two collectors' CAs must not share a name, or a verifier that
	 * has both may try the wrong one: add the start of the key id.
	 */
	if (X509_pubkey_digest(ca->cert, EVP_sha1(), md, &mdlen) != 1 ||
	    mdlen < 4)
		fatalx("%s: %s", __func__, pki_ssl_error());
	snprintf(cn, sizeof cn, "%s %02x%02x%02x%02x", PKI_CA_CN, md[0],
	    md[1], md[2], md[3]);
	pki_set_cn(ca->cert, cn);
	if (X509_set_issuer_name(ca->cert,
	    X509_get_subject_name(ca->cert)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(ca->cert),
	    -PKI_BACKDATE) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(ca->cert), PKI_CA_DAYS, 0,
	    NULL) == NULL)
		fatalx("%s: %s", __func__, pki_ssl_error());

	X509V3_set_ctx(&ctx, ca->cert, ca->cert, NULL, NULL, 0);
	pki_add_ext(ca->cert, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE,pathlen:0");
	pki_add_ext(ca->cert, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign");
	pki_add_ext(ca->cert, &ctx, NID_subject_key_identifier, "hash");
	if (X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0)
		fatalx("%s: %s", __func__, pki_ssl_error());
	ca->pem = pki_cert_pem(ca->cert);
}

/* Create dir/ca.key and dir/ca.pem; neither may exist. */
static int
pki_ca_create(const char *keypath, const char *certpath, struct pki_ca *ca,
    char **cause)
{
	char	*keypem;
	int	 rv;

	pki_ca_make(ca);
	keypem = pki_key_pem(ca->key);
	rv = pki_write_new(keypath, keypem, strlen(keypem), 0600, cause);
	explicit_bzero(keypem, strlen(keypem));
	free(keypem);
	if (rv == -1)
		return (-1);
	if (pki_write_new(certpath, ca->pem, strlen(ca->pem), 0644,
	    cause) == -1) {
		unlink(keypath);
		return (-1);
	}
	log_info("created a new CA: %s, %s", certpath, keypath);
	return (0);
}

/* Load and check an existing CA key and certificate. */
static int
pki_ca_read(const char *keypath, const char *certpath, struct pki_ca *ca,
    char **cause)
{
	char	*keypem, *why = NULL;
	size_t	 len;

	if ((keypem = pki_read_file(keypath, 1, &len, cause)) == NULL)
		return (-1);
	ca->key = pki_parse_key(keypem, keypath, cause);
	explicit_bzero(keypem, len);
	free(keypem);
	if (ca->key == NULL)
		return (-1);
	if (pki_key_ok(ca->key, &why) == -1) {
		pki_cause(cause, "%s: %s", keypath, why);
		free(why);
		return (-1);
	}
	if ((ca->pem = pki_read_file(certpath, 0, NULL, cause)) == NULL)
		return (-1);
	if ((ca->cert = pki_parse_cert(ca->pem, certpath, cause)) == NULL)
		return (-1);
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		pki_cause(cause, "%s does not match the key in %s", certpath,
		    keypath);
		return (-1);
	}
	if (X509_check_ca(ca->cert) < 1) {
		pki_cause(cause, "%s: not a CA certificate", certpath);
		return (-1);
	}
	if (X509_cmp_current_time(X509_get0_notAfter(ca->cert)) <= 0) {
		pki_cause(cause, "%s: CA certificate has expired; move %s "
		    "and %s away to create a new CA (every agent must then "
		    "enroll again)", certpath, certpath, keypath);
		return (-1);
	}
	return (0);
}

int
pki_ca_load_or_create(const char *dir, struct pki_ca **out, char **cause)
{
	struct pki_ca	*ca;
	struct stat	 sb;
	char		*keypath, *certpath;
	int		 have_key, have_cert, rv;

	*out = NULL;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		pki_cause(cause, "mkdir %s: %s", dir, strerror(errno));
		return (-1);
	}
	xasprintf(&keypath, "%s/ca.key", dir);
	xasprintf(&certpath, "%s/ca.pem", dir);
	have_key = lstat(keypath, &sb) == 0 || errno != ENOENT;
	have_cert = lstat(certpath, &sb) == 0 || errno != ENOENT;

	ca = xcalloc(1, sizeof *ca);
	if (!have_key && !have_cert)
		rv = pki_ca_create(keypath, certpath, ca, cause);
	else if (have_key && have_cert)
		rv = pki_ca_read(keypath, certpath, ca, cause);
	else {
		pki_cause(cause, "%s exists but %s does not; restore it, or "
		    "move the other away to create a new CA",
		    have_key ? keypath : certpath,
		    have_key ? certpath : keypath);
		rv = -1;
	}
	free(keypath);
	free(certpath);
	if (rv == -1) {
		pki_ca_free(ca);
		return (-1);
	}
	*out = ca;
	return (0);
}

void
pki_ca_free(struct pki_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->pem);
	free(ca);
}

const char *
pki_ca_pem(struct pki_ca *ca)
{
	return (ca->pem);
}

X509 *
pki_ca_cert(struct pki_ca *ca)
{
	return (ca->cert);
}

char *
pki_ca_pin(struct pki_ca *ca)
{
	unsigned char	*der = NULL, md[32];
	char		 b64[64];
	int		 len;

	if ((len = i2d_PUBKEY(X509_get0_pubkey(ca->cert), &der)) <= 0 ||
	    EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(),
	    NULL) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	OPENSSL_free(der);
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof md);
	return (xstrdup(b64));
}

int
pki_host_id_valid(const char *s)
{
	size_t	i;
	int	nonzero = 0;

	for (i = 0; i < PKI_HOST_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
		if (s[i] != '0')
			nonzero = 1;
	}
	return (s[i] == '\0' && nonzero);
}

/*
 * Issue a leaf certificate for pub from the CA: our subject (one CN),
 * our SAN, CA:FALSE, digitalSignature, the given EKU, key identifiers,
 * a random serial, valid from PKI_BACKDATE ago (clock skew) for days.
 */
static X509 *
pki_issue(struct pki_ca *ca, EVP_PKEY *pub, const char *cn, const char *san,
    const char *eku, int days, time_t *not_after)
{
	X509		*cert;
	X509V3_CTX	 ctx;
	time_t		 now = time(NULL), end;

	end = now + (time_t)days * 86400;
	if ((cert = X509_new()) == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_pubkey(cert, pub) != 1 ||
	    X509_set_issuer_name(cert,
	    X509_get_subject_name(ca->cert)) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert),
	    now - PKI_BACKDATE) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), end) == NULL)
		fatalx("%s: %s", __func__, pki_ssl_error());
	pki_set_serial(cert);
	pki_set_cn(cert, cn);

	X509V3_set_ctx(&ctx, ca->cert, cert, NULL, NULL, 0);
	pki_add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	pki_add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature");
	pki_add_ext(cert, &ctx, NID_ext_key_usage, eku);
	pki_add_ext(cert, &ctx, NID_subject_key_identifier, "hash");
	pki_add_ext(cert, &ctx, NID_authority_key_identifier,
	    "keyid:always");
	pki_add_ext(cert, &ctx, NID_subject_alt_name, san);
	if (X509_sign(cert, ca->key, pki_md(ca->key)) <= 0)
		fatalx("%s: %s", __func__, pki_ssl_error());
	if (not_after != NULL)
		*not_after = end;
	return (cert);
}

char *
pki_sign_csr(struct pki_ca *ca, const char *csr_pem, const char *host_id,
    int days, char **serial_hex, time_t *not_after, char **cause)
{
	BIO		*bio;
	X509_REQ	*req;
	X509		*cert;
	EVP_PKEY	*pub;
	char		*why = NULL, *san, *pem;

	if (serial_hex != NULL)
		*serial_hex = NULL;
	if (host_id == NULL || !pki_host_id_valid(host_id)) {
		pki_cause(cause, "host_id is not a machine-id (%d lowercase "
		    "hex digits, not all zero)", PKI_HOST_ID_LEN);
		return (NULL);
	}
	if (days < 1 || days > PKI_MAX_DAYS) {
		pki_cause(cause, "certificate lifetime of %d days out of "
		    "range 1 to %d", days, PKI_MAX_DAYS);
		return (NULL);
	}
	if ((bio = BIO_new_mem_buf(csr_pem, -1)) == NULL)
		fatalx("%s: BIO_new_mem_buf", __func__);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (req == NULL) {
		pki_cause(cause, "CSR is not a PEM certificate request: %s",
		    pki_ssl_error());
		return (NULL);
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL) {
		pki_cause(cause, "CSR public key unreadable: %s",
		    pki_ssl_error());
		X509_REQ_free(req);
		return (NULL);
	}
	/* The key check first: it bounds the cost of the verification. */
	if (pki_key_ok(pub, &why) == -1) {
		pki_cause(cause, "CSR key refused: %s", why);
		free(why);
		X509_REQ_free(req);
		return (NULL);
	}
	if (X509_REQ_verify(req, pub) != 1) {
		ERR_clear_error();
		pki_cause(cause, "CSR signature does not verify with its own "
		    "public key");
		X509_REQ_free(req);
		return (NULL);
	}

	xasprintf(&san, "URI:%s%s", PKI_HOST_URI, host_id);
	cert = pki_issue(ca, pub, host_id, san, "clientAuth", days,
	    not_after);
	free(san);
	X509_REQ_free(req);
	pem = pki_cert_pem(cert);
	if (serial_hex != NULL)
		*serial_hex = pki_cert_serial_hex(cert);
	X509_free(cert);
	return (pem);
}

/*
 * Whether a server name is a plain DNS name or an IP address; anything
 * else (commas especially) could change the extension text it goes in.
 */
static int
pki_name_ok(const char *name, int *is_ip)
{
	unsigned char	addr[16];
	size_t		i, len = strlen(name);

	*is_ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if (*is_ip)
		return (1);
	if (len == 0 || len > 253 || name[0] == '.' || name[0] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '.')
			return (0);
	}
	return (1);
}

/*
 * Whether the existing server pair can be kept; *why says why not.
 * A key others can read is an error, not a reason to replace it.
 */
static int
pki_server_keep(struct pki_ca *ca, const char *keypath, const char *certpath,
    const char *const *names, size_t nnames, char **why, int *fatal_err)
{
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	char		*buf;
	size_t		 i, len;
	int		 lday, lsec, rday, rsec, ok = 0;
	struct stat	 sb;

	*fatal_err = 0;
	if ((buf = pki_read_file(keypath, 1, &len, why)) == NULL) {
		if (lstat(keypath, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & (S_IRWXG|S_IRWXO)) != 0)
			*fatal_err = 1;
		return (0);
	}
	key = pki_parse_key(buf, keypath, why);
	explicit_bzero(buf, len);
	free(buf);
	if (key == NULL)
		return (0);
	if ((buf = pki_read_file(certpath, 0, NULL, why)) == NULL)
		goto out;
	cert = pki_parse_cert(buf, certpath, why);
	free(buf);
	if (cert == NULL)
		goto out;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		pki_cause(why, "key and certificate do not match");
		goto out;
	}
	if (X509_check_issued(ca->cert, cert) != X509_V_OK ||
	    X509_verify(cert, X509_get0_pubkey(ca->cert)) != 1) {
		ERR_clear_error();
		pki_cause(why, "not issued by this CA");
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		if (X509_check_host(cert, names[i], 0, 0, NULL) != 1 &&
		    X509_check_ip_asc(cert, names[i], 0) != 1) {
			pki_cause(why, "does not name %s", names[i]);
			goto out;
		}
	}
	if (ASN1_TIME_diff(&lday, &lsec, X509_get0_notBefore(cert),
	    X509_get0_notAfter(cert)) != 1 ||
	    ASN1_TIME_diff(&rday, &rsec, NULL, X509_get0_notAfter(cert)) != 1 ||
	    (double)rday * 86400 + rsec <= ((double)lday * 86400 + lsec) / 3) {
		ERR_clear_error();
		pki_cause(why, "expires soon");
		goto out;
	}
	ok = 1;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return (ok);
}

int
pki_server_cert(struct pki_ca *ca, const char *dir, const char *const *names,
    size_t nnames, int days, char **cause)
{
	EVP_PKEY	*key;
	X509		*cert;
	char		*keypath, *certpath, *keytmp, *certtmp, *why = NULL;
	char		*san = NULL, *s, *keypem, *pem, *chain;
	size_t		 i;
	int		 is_ip, fatal_err, rv = -1;
	struct stat	 sb;

	if (nnames == 0) {
		pki_cause(cause, "no server name for the certificate");
		return (-1);
	}
	if (days < 1 || days > PKI_MAX_DAYS) {
		pki_cause(cause, "certificate lifetime of %d days out of "
		    "range 1 to %d", days, PKI_MAX_DAYS);
		return (-1);
	}
	for (i = 0; i < nnames; i++) {
		if (!pki_name_ok(names[i], &is_ip)) {
			pki_cause(cause, "server name \"%s\" is neither a DNS "
			    "name nor an IP address", names[i]);
			free(san);
			return (-1);
		}
		xasprintf(&s, "%s%s%s:%s", san == NULL ? "" : san,
		    san == NULL ? "" : ",", is_ip ? "IP" : "DNS", names[i]);
		free(san);
		san = s;
	}

	xasprintf(&keypath, "%s/server.key", dir);
	xasprintf(&certpath, "%s/server.pem", dir);
	xasprintf(&keytmp, "%s/server.key.new", dir);
	xasprintf(&certtmp, "%s/server.pem.new", dir);
	if (lstat(keypath, &sb) == 0 || lstat(certpath, &sb) == 0) {
		if (pki_server_keep(ca, keypath, certpath, names, nnames,
		    &why, &fatal_err)) {
			rv = 0;
			goto out;
		}
		if (fatal_err) {
			if (cause != NULL)
				*cause = why;
			else
				free(why);
			why = NULL;
			goto out;
		}
		log_info("replacing %s: %s", certpath, why);
	}

	if ((key = EVP_EC_gen("P-256")) == NULL)
		fatalx("%s: %s", __func__, pki_ssl_error());
	cert = pki_issue(ca, key, names[0], san, "serverAuth", days, NULL);
	keypem = pki_key_pem(key);
	pem = pki_cert_pem(cert);
	xasprintf(&chain, "%s%s", pem, ca->pem);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(pem);

	/* Leftovers of an interrupted run are ours to remove. */
	unlink(keytmp);
	unlink(certtmp);
	if (pki_write_new(keytmp, keypem, strlen(keypem), 0600,
	    cause) == -1 ||
	    pki_write_new(certtmp, chain, strlen(chain), 0644, cause) == -1) {
		unlink(keytmp);
		goto out2;
	}
	if (rename(keytmp, keypath) == -1 || rename(certtmp, certpath) == -1) {
		pki_cause(cause, "rename into %s: %s", dir, strerror(errno));
		unlink(keytmp);
		unlink(certtmp);
		goto out2;
	}
	rv = 0;
out2:
	explicit_bzero(keypem, strlen(keypem));
	free(keypem);
	free(chain);
out:
	free(why);
	free(san);
	free(keypath);
	free(certpath);
	free(keytmp);
	free(certtmp);
	return (rv);
}

char *
pki_cert_host_id(struct pki_ca *ca, X509 *cert, char **cause)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	const unsigned char	*data;
	char			*id = NULL;
	size_t			 plen = strlen(PKI_HOST_URI);
	int			 i, len, crit, found = 0;

	if (X509_check_issued(ca->cert, cert) != X509_V_OK ||
	    X509_verify(cert, X509_get0_pubkey(ca->cert)) != 1) {
		ERR_clear_error();
		pki_cause(cause, "certificate not issued by this CA");
		return (NULL);
	}
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		pki_cause(cause, "certificate has %s subjectAltName",
		    crit == -2 ? "more than one" : "no readable");
		return (NULL);
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type != GEN_URI)
			continue;
		data = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
		if ((size_t)len < plen || memcmp(data, PKI_HOST_URI, plen) != 0)
			continue;
		found++;
		free(id);
		id = NULL;
		if ((size_t)len == plen + PKI_HOST_ID_LEN) {
			id = xstrndup((const char *)data + plen,
			    PKI_HOST_ID_LEN);
			if (strlen(id) != PKI_HOST_ID_LEN ||
			    !pki_host_id_valid(id)) {
				free(id);
				id = NULL;
			}
		}
	}
	GENERAL_NAMES_free(gens);
	if (found != 1 || id == NULL) {
		pki_cause(cause, "certificate has %s", found == 0 ?
		    "no host URI" : found > 1 ? "more than one host URI" :
		    "an invalid host URI");
		free(id);
		return (NULL);
	}
	return (id);
}

char *
pki_cert_serial_hex(X509 *cert)
{
	BIGNUM	*bn;
	char	*hex, *s, *p;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert),
	    NULL)) == NULL || (hex = BN_bn2hex(bn)) == NULL)
		fatalx("%s: %s", __func__, pki_ssl_error());
	BN_free(bn);
	s = xstrdup(hex);
	OPENSSL_free(hex);
	for (p = s; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	return (s);
}

char *
pki_token_new(char hash_hex[PKI_HASH_HEX_LEN])
{
	unsigned char	raw[32];
	char		b64[48], *p, *q;

	if (RAND_bytes(raw, sizeof raw) != 1)
		fatalx("%s: RAND_bytes: %s", __func__, pki_ssl_error());
	EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
	explicit_bzero(raw, sizeof raw);

	/* RFC 4648 section 5, without padding. */
	for (p = q = b64; *p != '\0'; p++) {
		if (*p == '+')
			*q++ = '-';
		else if (*p == '/')
			*q++ = '_';
		else if (*p != '=')
			*q++ = *p;
	}
	*q = '\0';
	p = xstrdup(b64);
	explicit_bzero(b64, sizeof b64);
	pki_token_hash(p, hash_hex);
	return (p);
}

void
pki_token_hash(const char *token, char hash_hex[PKI_HASH_HEX_LEN])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		md[32];
	size_t			i;

	if (EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(),
	    NULL) != 1)
		fatalx("%s: %s", __func__, pki_ssl_error());
	for (i = 0; i < sizeof md; i++) {
		hash_hex[2 * i] = hex[md[i] >> 4];
		hash_hex[2 * i + 1] = hex[md[i] & 0xf];
	}
	hash_hex[2 * sizeof md] = '\0';
}

int
pki_token_check(const char *token, const char *hash_hex)
{
	char	mine[PKI_HASH_HEX_LEN];

	if (token == NULL || hash_hex == NULL ||
	    strlen(hash_hex) != PKI_HASH_HEX_LEN - 1)
		return (-1);
	pki_token_hash(token, mine);
	return (CRYPTO_memcmp(mine, hash_hex, PKI_HASH_HEX_LEN - 1) == 0 ?
	    0 : -1);
}
