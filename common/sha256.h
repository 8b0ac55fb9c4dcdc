/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * SHA-256 (FIPS 180-4) for content addresses and the run hash chain.
 *
 * The daemon's parent and engine link no TLS library: libcrypto alone
 * costs them about 3.5 MB of memory while idle, for one hash function.
 * TLS, certificates and signatures stay with OpenSSL in the processes
 * that need them.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN	32

struct sha256 {
	uint32_t	h[8];
	uint64_t	len;		/* bytes hashed */
	unsigned char	buf[64];
	size_t		nbuf;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, unsigned char[SHA256_DIGEST_LEN]);
/* The digest of data as 64 lower-case hex digits and a NUL. */
void	sha256_hex(const void *, size_t, char[65]);

#endif
