/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for collectord/pki.c: the CA is made once and reloaded
 * unchanged, issued certificates verify against it with OpenSSL's own
 * chain verification and carry only what the collector decided, refused
 * CSRs say why, host_ids come only from our SAN URI, tokens verify.
 * CSRs come from the openssl tool (tests/fixtures/pki-csr, made by
 * tests/fixtures/pki-mkfixtures.sh) and from the API here.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "pki.h"

#define HOST	"4c4c4544003a3010804cb4c04f4d3532"
#define HOST2	"0123456789abcdef0123456789abcdef"
#define CSRDIR	FIXTURES "/pki-csr"

static char	tmpdir[] = "/tmp/test_pki.XXXXXX";

/* Remove one entry of the temporary tree. */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static int
setup(void **state)
{
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	return (nftw(tmpdir, rm_entry, 16, FTW_DEPTH|FTW_PHYS));
}

/* A path under the temporary directory (static buffer, one at a time). */
static char *
tpath(const char *fmt, ...)
{
	static char	buf[4][512];
	static int	n;
	char		rel[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	n = (n + 1) % 4;
	snprintf(buf[n], sizeof buf[n], "%s/%s", tmpdir, rel);
	return (buf[n]);
}

/* A whole file, NUL-terminated (caller frees). */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 len;

	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return (buf);
}

static mode_t
file_mode(const char *path)
{
	struct stat	sb;

	assert_int_equal(stat(path, &sb), 0);
	return (sb.st_mode & 07777);
}

static X509 *
pem_cert(const char *pem)
{
	BIO	*bio;
	X509	*cert;

	bio = BIO_new_mem_buf(pem, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(cert);
	return (cert);
}

/*
 * Verify leaf against ca alone, for purpose, as a TLS peer would: the
 * X509_V_ERR_* code, X509_V_OK if it verifies.
 */
static int
verify(X509 *ca, X509 *leaf, int purpose)
{
	X509_STORE	*st;
	X509_STORE_CTX	*ctx;
	int		 err;

	st = X509_STORE_new();
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	if (X509_verify_cert(ctx) == 1)
		err = X509_V_OK;
	else if ((err = X509_STORE_CTX_get_error(ctx)) == X509_V_OK)
		err = -1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return (err);
}

/* A CSR for pub signed with signer (NULL: pub itself), as PEM. */
static char *
make_csr(EVP_PKEY *pub, EVP_PKEY *signer)
{
	X509_REQ	*req;
	X509_NAME	*name;
	BIO		*bio;
	char		*data, *s;
	long		 len;
	const EVP_MD	*md;

	if (signer == NULL)
		signer = pub;
	md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256();
	req = X509_REQ_new();
	name = X509_NAME_new();
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"api", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, pub), 1);
	assert_true(X509_REQ_sign(req, signer, md) > 0);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	len = BIO_get_mem_data(bio, &data);
	s = strndup(data, len);
	BIO_free(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return (s);
}

/* The same CSR with the last byte of its signature changed. */
static char *
corrupt_csr(const char *pem)
{
	X509_REQ		*req;
	BIO			*bio;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			*data, *s;
	int			 len;
	long			 plen;

	bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(req);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	X509_REQ_free(req);
	der[len - 1] ^= 0x01;
	p = der;
	req = d2i_X509_REQ(NULL, &p, len);
	assert_non_null(req);
	OPENSSL_free(der);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	plen = BIO_get_mem_data(bio, &data);
	s = strndup(data, plen);
	BIO_free(bio);
	X509_REQ_free(req);
	return (s);
}

/* Sign csr for host and check the certificate fully; returns it. */
static X509 *
sign_and_check(struct pki_ca *ca, const char *csr, const char *host)
{
	X509			*cert, *cacert = pki_ca_cert(ca);
	X509_NAME		*subj;
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	X509_EXTENSION		*ext;
	const ASN1_OCTET_STRING	*ski;
	BIGNUM			*bn;
	char			*pem, *serial = NULL, *id, *cause = NULL;
	char			 cn[64], uri[128];
	time_t			 not_after = 0, now = time(NULL);
	int			 day, sec, crit;

	pem = pki_sign_csr(ca, csr, host, 90, &serial, &not_after, &cause);
	if (pem == NULL)
		print_message("refused: %s\n", cause);
	assert_non_null(pem);
	cert = pem_cert(pem);
	free(pem);

	assert_int_equal(verify(cacert, cert, X509_PURPOSE_SSL_CLIENT),
	    X509_V_OK);
	assert_int_equal(verify(cacert, cert, X509_PURPOSE_SSL_SERVER),
	    X509_V_ERR_INVALID_PURPOSE);

	/* Subject: one CN, the host_id; nothing from the CSR. */
	subj = X509_get_subject_name(cert);
	assert_int_equal(X509_NAME_entry_count(subj), 1);
	assert_true(X509_NAME_get_text_by_NID(subj, NID_commonName, cn,
	    sizeof cn) > 0);
	assert_string_equal(cn, host);

	/* Exactly our six extensions. */
	assert_int_equal(X509_get_ext_count(cert), 6);
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
	gn = sk_GENERAL_NAME_value(gens, 0);
	assert_int_equal(gn->type, GEN_URI);
	snprintf(uri, sizeof uri, "urn:isms-agent:host:%s", host);
	assert_string_equal(ASN1_STRING_get0_data(
	    gn->d.uniformResourceIdentifier), uri);
	GENERAL_NAMES_free(gens);
	assert_int_equal(X509_check_ca(cert), 0);
	ext = X509_get_ext(cert, X509_get_ext_by_NID(cert,
	    NID_basic_constraints, -1));
	assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	ext = X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_key_usage,
	    -1));
	assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
	assert_int_equal(X509_get_extended_key_usage(cert), XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(cert));
	ski = X509_get0_subject_key_id(cacert);
	assert_non_null(X509_get0_authority_key_id(cert));
	assert_int_equal(ASN1_OCTET_STRING_cmp(ski,
	    X509_get0_authority_key_id(cert)), 0);

	/* Serial: positive, random 128 bits, reported as stored. */
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	assert_false(BN_is_negative(bn));
	assert_true(BN_num_bits(bn) <= 128 && BN_num_bits(bn) > 64);
	BN_free(bn);
	assert_non_null(serial);
	pem = pki_cert_serial_hex(cert);
	assert_string_equal(serial, pem);
	free(pem);
	free(serial);

	/* Validity: 5 minutes back, 90 days ahead. */
	assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert),
	    NULL), 1);
	assert_true(day == 0 && sec >= 300 && sec <= 310);
	assert_true(not_after >= now + 90 * 86400 &&
	    not_after <= now + 90 * 86400 + 10);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert),
	    not_after), 0);

	id = pki_cert_host_id(ca, cert, &cause);
	assert_non_null(id);
	assert_string_equal(id, host);
	free(id);
	return (cert);
}

static void
test_ca_create_reload(void **state)
{
	struct pki_ca	*ca, *ca2;
	char		*dir, *key1, *pem1, *key2, *pem2, *cause = NULL;
	char		*pin1, *pin2, *csr;
	X509		*c1, *cert;
	EVP_PKEY	*k;

	dir = strdup(tpath("ca"));
	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), 0);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(file_mode(tpath("ca/ca.key")), 0600);
	assert_int_equal(file_mode(tpath("ca/ca.pem")), 0644);
	key1 = slurp(tpath("ca/ca.key"));
	pem1 = slurp(tpath("ca/ca.pem"));
	assert_string_equal(pki_ca_pem(ca), pem1);
	assert_non_null(strstr(key1, "-----BEGIN PRIVATE KEY-----"));

	c1 = X509_dup(pki_ca_cert(ca));
	assert_true(X509_check_ca(c1) >= 1);
	assert_int_equal(X509_get_pathlen(c1), 0);
	assert_int_equal(X509_get_key_usage(c1), KU_KEY_CERT_SIGN|KU_CRL_SIGN);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(c1)),
	    EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(c1)), 256);
	assert_int_equal(X509_verify(c1, X509_get0_pubkey(c1)), 1);
	pin1 = pki_ca_pin(ca);
	assert_int_equal(strlen(pin1), 44);
	pki_ca_free(ca);

	/* Reloaded: same files, same certificate, same key. */
	assert_int_equal(pki_ca_load_or_create(dir, &ca2, &cause), 0);
	key2 = slurp(tpath("ca/ca.key"));
	pem2 = slurp(tpath("ca/ca.pem"));
	assert_string_equal(key1, key2);
	assert_string_equal(pem1, pem2);
	assert_string_equal(pki_ca_pem(ca2), pem1);
	assert_int_equal(X509_cmp(c1, pki_ca_cert(ca2)), 0);
	pin2 = pki_ca_pin(ca2);
	assert_string_equal(pin1, pin2);

	/* What the reloaded CA signs verifies against the first one. */
	k = EVP_EC_gen("P-256");
	csr = make_csr(k, NULL);
	cert = sign_and_check(ca2, csr, HOST);
	assert_int_equal(verify(c1, cert, X509_PURPOSE_SSL_CLIENT), X509_V_OK);

	X509_free(cert);
	free(csr);
	EVP_PKEY_free(k);
	X509_free(c1);
	free(pin1);
	free(pin2);
	free(key1);
	free(key2);
	free(pem1);
	free(pem2);
	free(dir);
	pki_ca_free(ca2);
}

/* The pin is what "openssl x509 -pubkey | ... | base64" prints. */
static void
test_ca_pin_cli(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *pin, cmd[1024], line[128];
	FILE		*p;

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(pki_ca_load_or_create(tpath("pin"), &ca, &cause), 0);
	snprintf(cmd, sizeof cmd, "openssl x509 -in %s -pubkey -noout | "
	    "openssl pkey -pubin -outform der | "
	    "openssl dgst -sha256 -binary | base64", tpath("pin/ca.pem"));
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof line, p));
	assert_int_equal(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	pin = pki_ca_pin(ca);
	assert_string_equal(pin, line);
	free(pin);
	pki_ca_free(ca);
}

static void
test_ca_key_refused(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *dir = strdup(tpath("mode"));

	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), 0);
	pki_ca_free(ca);

	assert_int_equal(chmod(tpath("mode/ca.key"), 0644), 0);
	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), -1);
	assert_null(ca);
	print_message("cause: %s\n", cause);
	assert_non_null(strstr(cause, "ca.key: private key accessible by "
	    "group or other (mode 0644)"));
	free(cause);
	cause = NULL;

	assert_int_equal(chmod(tpath("mode/ca.key"), 0640), 0);
	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), -1);
	assert_non_null(strstr(cause, "(mode 0640)"));
	free(cause);
	cause = NULL;

	/* Fixed: loads again, and was not replaced meanwhile. */
	assert_int_equal(chmod(tpath("mode/ca.key"), 0600), 0);
	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), 0);
	pki_ca_free(ca);

	/* A key without its certificate is not silently replaced. */
	assert_int_equal(unlink(tpath("mode/ca.pem")), 0);
	assert_int_equal(pki_ca_load_or_create(dir, &ca, &cause), -1);
	assert_non_null(strstr(cause, "ca.key exists but"));
	assert_non_null(strstr(cause, "ca.pem does not"));
	free(cause);
	free(dir);
}

static void
test_sign_cli_csrs(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *csr;
	X509		*cert;

	assert_int_equal(pki_ca_load_or_create(tpath("cli"), &ca, &cause), 0);

	/* Asks for CN=attacker, another host's URI, CA:TRUE, serverAuth. */
	csr = slurp(CSRDIR "/cli-p256.csr");
	cert = sign_and_check(ca, csr, HOST);
	X509_free(cert);
	free(csr);

	csr = slurp(CSRDIR "/cli-rsa2048.csr");
	cert = sign_and_check(ca, csr, HOST2);
	X509_free(cert);
	free(csr);
	pki_ca_free(ca);
}

static void
test_sign_api_csrs(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *csr;
	X509		*cert;
	EVP_PKEY	*keys[3];
	size_t		 i;

	assert_int_equal(pki_ca_load_or_create(tpath("api"), &ca, &cause), 0);
	keys[0] = EVP_EC_gen("P-256");
	keys[1] = EVP_EC_gen("P-384");
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (i = 0; i < 3; i++) {
		assert_non_null(keys[i]);
		csr = make_csr(keys[i], NULL);
		cert = sign_and_check(ca, csr, HOST);
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), keys[i]),
		    1);
		X509_free(cert);
		free(csr);
		EVP_PKEY_free(keys[i]);
	}
	pki_ca_free(ca);
}

/* Expect pki_sign_csr to refuse, with want in the cause. */
static void
refused(struct pki_ca *ca, const char *csr, const char *host, int days,
    const char *want)
{
	char	*cause = NULL, *serial = (char *)1, *pem;

	pem = pki_sign_csr(ca, csr, host, days, &serial, NULL, &cause);
	assert_null(pem);
	assert_null(serial);
	assert_non_null(cause);
	print_message("refused: %s\n", cause);
	assert_non_null(strstr(cause, want));
	free(cause);
}

static void
test_sign_refused(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *good, *bad, *csr;
	EVP_PKEY	*k, *other;
	static const char *bad_ids[] = {
		"4C4C4544003A3010804CB4C04F4D3532",	/* uppercase */
		"4c4c4544003a3010804cb4c04f4d353",	/* 31 */
		"4c4c4544003a3010804cb4c04f4d35320",	/* 33 */
		"4c4c4544-003a-3010-804c-b4c04f4d",	/* UUID form */
		"4c4c4544003a3010804cb4c04f4d353g",
		"00000000000000000000000000000000",
		"../../../../../../../../etc/pass",
		"",
	};
	size_t		 i;

	assert_int_equal(pki_ca_load_or_create(tpath("bad"), &ca, &cause), 0);
	k = EVP_EC_gen("P-256");
	good = make_csr(k, NULL);

	/* A good CSR with its signature changed. */
	bad = corrupt_csr(good);
	refused(ca, bad, HOST, 90, "CSR signature does not verify");
	free(bad);

	/* Someone else's public key, signed with ours: no possession. */
	other = EVP_EC_gen("P-256");
	csr = make_csr(other, k);
	refused(ca, csr, HOST, 90, "CSR signature does not verify");
	free(csr);
	EVP_PKEY_free(other);

	csr = slurp(CSRDIR "/cli-rsa1024.csr");
	refused(ca, csr, HOST, 90, "CSR key refused: RSA key of 1024 bits, "
	    "at least 2048 needed");
	free(csr);

	other = EVP_EC_gen("P-521");
	csr = make_csr(other, NULL);
	refused(ca, csr, HOST, 90, "EC curve secp521r1 not accepted");
	free(csr);
	EVP_PKEY_free(other);

	for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
		refused(ca, good, bad_ids[i], 90, "host_id is not a "
		    "machine-id");
	refused(ca, good, NULL, 90, "host_id is not a machine-id");

	refused(ca, good, HOST, 0, "lifetime of 0 days");
	refused(ca, good, HOST, PKI_MAX_DAYS + 1, "out of range");
	refused(ca, "not a request", HOST, 90, "not a PEM certificate request");
	refused(ca, pki_ca_pem(ca), HOST, 90, "not a PEM certificate request");

	/* The control: the same CSR is accepted for a good host_id. */
	X509_free(sign_and_check(ca, good, HOST));

	free(good);
	EVP_PKEY_free(k);
	pki_ca_free(ca);
}

static void
test_host_id_only_ours(void **state)
{
	struct pki_ca	*ca1, *ca2;
	char		*cause = NULL, *csr, *pem, *id, *sp;
	const char	*names[] = { HOST };
	EVP_PKEY	*k, *forger;
	X509		*c2, *forged;
	X509_NAME	*n;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	assert_int_equal(pki_ca_load_or_create(tpath("one"), &ca1, &cause), 0);
	assert_int_equal(pki_ca_load_or_create(tpath("two"), &ca2, &cause), 0);
	assert_int_not_equal(X509_NAME_cmp(X509_get_subject_name(
	    pki_ca_cert(ca1)), X509_get_subject_name(pki_ca_cert(ca2))), 0);
	k = EVP_EC_gen("P-256");
	csr = make_csr(k, NULL);

	/* Another collector's certificate for the same host. */
	c2 = sign_and_check(ca2, csr, HOST);
	assert_null(pki_cert_host_id(ca1, c2, &cause));
	assert_string_equal(cause, "certificate not issued by this CA");
	free(cause);
	cause = NULL;
	assert_int_equal(verify(pki_ca_cert(ca1), c2, X509_PURPOSE_SSL_CLIENT),
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

	/* A forgery naming our CA as issuer, signed with another key. */
	forger = EVP_EC_gen("P-256");
	forged = X509_new();
	assert_int_equal(X509_set_version(forged, X509_VERSION_3), 1);
	assert_int_equal(X509_set_issuer_name(forged, X509_get_subject_name(
	    pki_ca_cert(ca1))), 1);
	n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)HOST, -1, -1, 0);
	X509_set_subject_name(forged, n);
	X509_NAME_free(n);
	X509_set_pubkey(forged, k);
	X509_gmtime_adj(X509_getm_notBefore(forged), 0);
	X509_gmtime_adj(X509_getm_notAfter(forged), 86400);
	X509V3_set_ctx(&ctx, NULL, forged, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    "URI:urn:isms-agent:host:" HOST);
	X509_add_ext(forged, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(forged, forger, EVP_sha256()) > 0);
	assert_null(pki_cert_host_id(ca1, forged, &cause));
	assert_string_equal(cause, "certificate not issued by this CA");
	free(cause);
	cause = NULL;

	/* Ours, CN = a host_id, but no host URI: the CN is not trusted. */
	assert_int_equal(pki_server_cert(ca1, tpath("one"), names, 1, 30,
	    &cause), 0);
	pem = slurp(tpath("one/server.pem"));
	forged = (X509_free(forged), pem_cert(pem));
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(
	    forged), NID_commonName, pem, 33), 32);
	assert_string_equal(pem, HOST);
	assert_null(pki_cert_host_id(ca1, forged, &cause));
	assert_string_equal(cause, "certificate has no host URI");
	free(cause);

	/* The control: ca2 does read its own certificate. */
	id = pki_cert_host_id(ca2, c2, NULL);
	assert_non_null(id);
	assert_string_equal(id, HOST);
	sp = pki_cert_serial_hex(c2);
	assert_true(strlen(sp) >= 16 && strlen(sp) <= 34);
	assert_int_equal(strspn(sp, "0123456789abcdef"), strlen(sp));

	free(sp);
	free(id);
	free(pem);
	X509_free(forged);
	X509_free(c2);
	EVP_PKEY_free(forger);
	EVP_PKEY_free(k);
	free(csr);
	pki_ca_free(ca1);
	pki_ca_free(ca2);
}

static void
test_server_cert(void **state)
{
	struct pki_ca	*ca;
	char		*cause = NULL, *dir, *pem1, *key1, *pem2, *key2, *p;
	const char	*names[] = { "collector.example", "127.0.0.1", "::1" };
	const char	*more[] = { "collector.example", "127.0.0.1", "::1",
			    "isms.example" };
	const char	*bad[] = { "a.example,DNS:evil.example" };
	X509		*cert, *chain;
	BIO		*bio;
	EVP_PKEY	*key;

	assert_int_equal(pki_ca_load_or_create(tpath("srv"), &ca, &cause), 0);
	dir = strdup(tpath("srv"));
	assert_int_equal(pki_server_cert(ca, dir, names, 3, 397, &cause), 0);
	assert_int_equal(file_mode(tpath("srv/server.key")), 0600);
	pem1 = slurp(tpath("srv/server.pem"));
	key1 = slurp(tpath("srv/server.key"));

	/* server.pem: the leaf, then the CA. */
	bio = BIO_new_mem_buf(pem1, -1);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	chain = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(cert);
	assert_non_null(chain);
	assert_int_equal(X509_cmp(chain, pki_ca_cert(ca)), 0);
	assert_int_equal(verify(pki_ca_cert(ca), cert,
	    X509_PURPOSE_SSL_SERVER), X509_V_OK);
	assert_int_equal(verify(pki_ca_cert(ca), cert,
	    X509_PURPOSE_SSL_CLIENT), X509_V_ERR_INVALID_PURPOSE);
	assert_int_equal(X509_check_host(cert, "collector.example", 0, 0,
	    NULL), 1);
	assert_int_equal(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(cert, "::1", 0), 1);
	assert_int_not_equal(X509_check_host(cert, "other.example", 0, 0,
	    NULL), 1);
	assert_int_equal(X509_get_extended_key_usage(cert), XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(cert), 0);
	bio = BIO_new_mem_buf(key1, -1);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(chain);

	/* Again with the same names: kept as it is. */
	assert_int_equal(pki_server_cert(ca, dir, names, 3, 397, &cause), 0);
	pem2 = slurp(tpath("srv/server.pem"));
	key2 = slurp(tpath("srv/server.key"));
	assert_string_equal(pem1, pem2);
	assert_string_equal(key1, key2);
	free(pem2);
	free(key2);

	/* A new name: replaced, and it names it. */
	assert_int_equal(pki_server_cert(ca, dir, more, 4, 397, &cause), 0);
	pem2 = slurp(tpath("srv/server.pem"));
	key2 = slurp(tpath("srv/server.key"));
	assert_string_not_equal(pem1, pem2);
	assert_string_not_equal(key1, key2);
	cert = pem_cert(pem2);
	assert_int_equal(X509_check_host(cert, "isms.example", 0, 0, NULL),
	    1);
	assert_int_equal(access(tpath("srv/server.key.new"), F_OK), -1);
	X509_free(cert);

	/* A name that would inject extension text, and no names at all. */
	assert_int_equal(pki_server_cert(ca, dir, bad, 1, 397, &cause), -1);
	assert_non_null(strstr(cause, "neither a DNS name nor an IP"));
	free(cause);
	cause = NULL;
	assert_int_equal(pki_server_cert(ca, dir, names, 0, 397, &cause), -1);
	free(cause);
	cause = NULL;

	/* An exposed key is refused, not quietly replaced. */
	assert_int_equal(chmod(tpath("srv/server.key"), 0604), 0);
	assert_int_equal(pki_server_cert(ca, dir, more, 4, 397, &cause), -1);
	assert_non_null(strstr(cause, "server.key: private key accessible "
	    "by group or other (mode 0604)"));
	free(cause);
	p = slurp(tpath("srv/server.key"));
	assert_string_equal(p, key2);

	free(p);
	free(pem1);
	free(key1);
	free(pem2);
	free(key2);
	free(dir);
	pki_ca_free(ca);
}

static void
test_tokens(void **state)
{
	char	 hash[PKI_HASH_HEX_LEN], hash2[PKI_HASH_HEX_LEN], *t, *t2;
	char	 abc[PKI_HASH_HEX_LEN], c;
	size_t	 i;

	t = pki_token_new(hash);
	assert_int_equal(strlen(t), PKI_TOKEN_LEN);
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), PKI_TOKEN_LEN);
	assert_int_equal(strlen(hash), 64);
	assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
	pki_token_hash(t, hash2);
	assert_string_equal(hash, hash2);
	assert_int_equal(pki_token_check(t, hash), 0);

	/* Any changed character, a prefix, an extension: refused. */
	for (i = 0; i < PKI_TOKEN_LEN; i++) {
		t[i] ^= 0x01;
		assert_int_equal(pki_token_check(t, hash), -1);
		t[i] ^= 0x01;
	}
	assert_int_equal(pki_token_check(t, hash), 0);
	c = t[PKI_TOKEN_LEN - 1];
	t[PKI_TOKEN_LEN - 1] = '\0';
	assert_int_equal(pki_token_check(t, hash), -1);
	assert_int_equal(pki_token_check("", hash), -1);
	assert_int_equal(pki_token_check(t, ""), -1);
	assert_int_equal(pki_token_check(t, NULL), -1);
	t[PKI_TOKEN_LEN - 1] = c;
	assert_int_equal(pki_token_check(t, hash), 0);

	/* A stored hash differing anywhere, even in the last digit. */
	for (i = 0; i < 64; i++) {
		memcpy(hash2, hash, sizeof hash2);
		hash2[i] = hash2[i] == '0' ? '1' : '0';
		assert_int_equal(pki_token_check(t, hash2), -1);
	}
	hash2[63] = '\0';
	assert_int_equal(pki_token_check(t, hash2), -1);

	t2 = pki_token_new(hash2);
	assert_string_not_equal(t, t2);
	assert_string_not_equal(hash, hash2);
	assert_int_equal(pki_token_check(t2, hash), -1);
	assert_int_equal(pki_token_check(t2, hash2), 0);

	/* FIPS 180-2 appendix B.1. */
	pki_token_hash("abc", abc);
	assert_string_equal(abc, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(pki_token_check("abc", abc), 0);
	free(t);
	free(t2);
}

static void
test_host_id_valid(void **state)
{
	assert_true(pki_host_id_valid(HOST));
	assert_true(pki_host_id_valid(HOST2));
	assert_false(pki_host_id_valid("4C4C4544003A3010804CB4C04F4D3532"));
	assert_false(pki_host_id_valid("4c4c4544003a3010804cb4c04f4d353"));
	assert_false(pki_host_id_valid("4c4c4544003a3010804cb4c04f4d35320"));
	assert_false(pki_host_id_valid("4c4c4544003a3010804cb4c04f4d353\n"));
	assert_false(pki_host_id_valid("00000000000000000000000000000000"));
	assert_false(pki_host_id_valid(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_create_reload),
		cmocka_unit_test(test_ca_pin_cli),
		cmocka_unit_test(test_ca_key_refused),
		cmocka_unit_test(test_sign_cli_csrs),
		cmocka_unit_test(test_sign_api_csrs),
		cmocka_unit_test(test_sign_refused),
		cmocka_unit_test(test_host_id_only_ours),
		cmocka_unit_test(test_server_cert),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_host_id_valid),
	};

	log_init("test_pki", 1, 0);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
