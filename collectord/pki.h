/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The collector's own certificate authority: agents' client certificates
 * (bound to the host's machine-id), the listener's server certificate
 * when none is configured, and enrollment/API tokens.
 *
 * The CA is one P-256 key and a self-signed certificate (CA:TRUE,
 * pathlen 0) in a directory; it is created once and only read after
 * that.  A client certificate names its host in exactly one place, the
 * SAN URI "urn:isms-agent:host:<host_id>"; the subject CN carries the
 * same value for people reading logs but is never trusted.  Everything
 * a CSR asks for besides its public key is ignored.
 *
 * Tokens are 32 random bytes, base64url without padding; only their
 * SHA-256 (hex) is stored, and a presented token is compared with it in
 * constant time.
 *
 * The only file that includes OpenSSL's x509 headers; callers see X509
 * only as an opaque type.
 */
#ifndef PKI_H
#define PKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/types.h>

#define PKI_CA_DAYS		3650	/* CA certificate lifetime */
#define PKI_BACKDATE		300	/* seconds notBefore lies in the past */
#define PKI_MAX_DAYS		3650	/* longest leaf certificate */
#define PKI_HOST_ID_LEN		32	/* machine-id: lowercase hex digits */
#define PKI_HOST_URI		"urn:isms-agent:host:"
#define PKI_TOKEN_LEN		43	/* base64url of 32 bytes, no padding */
#define PKI_HASH_HEX_LEN	65	/* SHA-256 hex and a NUL */

struct pki_ca;

/*
 * Load dir/ca.key and dir/ca.pem, or create both if neither exists
 * (dir is made 0700 if missing).  A key file readable by group or other,
 * a key without its certificate (or the reverse), a key that does not
 * match the certificate or an expired CA are refused.
 */
int	 pki_ca_load_or_create(const char *dir, struct pki_ca **,
	     char **cause);
void	 pki_ca_free(struct pki_ca *);
/* The CA certificate, PEM (borrowed). */
const char *pki_ca_pem(struct pki_ca *);
/* The CA certificate (borrowed), e.g. for a TLS verify store. */
X509	*pki_ca_cert(struct pki_ca *);
/* base64 SHA-256 of the CA's SubjectPublicKeyInfo: ismsctl enroll --pin. */
char	*pki_ca_pin(struct pki_ca *);

/* Whether s is a machine-id: 32 lowercase hex digits, not all zero. */
int	 pki_host_id_valid(const char *);

/*
 * Issue a client certificate (PEM) for host_id, valid for days, from a
 * PEM CSR whose self-signature verifies and whose key is P-256, P-384,
 * Ed25519 or RSA >= 2048 bits.  serial_hex (caller frees) and not_after
 * may be NULL.  NULL with *cause on refusal.
 */
char	*pki_sign_csr(struct pki_ca *, const char *csr_pem,
	     const char *host_id, int days, char **serial_hex,
	     time_t *not_after, char **cause);

/*
 * Make sure dir/server.pem (certificate and CA chain) and dir/server.key
 * (0600) exist for the listener: an existing pair is kept if it is ours,
 * matches, covers every name and has more than a third of its lifetime
 * left; otherwise a new pair is written.  names are DNS names or IP
 * addresses (v4 or v6); the first is also the subject CN.
 */
int	 pki_server_cert(struct pki_ca *, const char *dir,
	     const char *const *names, size_t nnames, int days,
	     char **cause);

/*
 * The host_id bound in a client certificate issued by this CA, read
 * from its SAN URI only; NULL (and *cause if cause is not NULL) for a
 * certificate of another CA or without exactly one valid host URI.
 */
char	*pki_cert_host_id(struct pki_ca *, X509 *, char **cause);
/* The serial number as lowercase hex, the form the store keeps. */
char	*pki_cert_serial_hex(X509 *);

/* A new token (caller frees; explicit_bzero it) and its stored hash. */
char	*pki_token_new(char hash_hex[PKI_HASH_HEX_LEN]);
void	 pki_token_hash(const char *token, char hash_hex[PKI_HASH_HEX_LEN]);
/* 0 if token hashes to hash_hex, compared in constant time; else -1. */
int	 pki_token_check(const char *token, const char *hash_hex);

#endif
