/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Helpers shared by the test receivers (http-receiver, syslog-receiver):
 * a JSON-lines log written with one fsync per line, the port file, UTF-8
 * checks and the TLS context.  Test tools only; never linked into the
 * agent.
 */

#ifndef RECEIVER_H
#define RECEIVER_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/ssl.h>

#define RCV_EXIT_USAGE	2

long long	 rcv_number(const char *, const char *, long long, long long);
int		 rcv_log_open(const char *);
void		 rcv_log_write(int, json_t *);
void		 rcv_port_file(const char *, int);
int		 rcv_utf8_valid(const unsigned char *, size_t);
void		 rcv_json_bytes(json_t *, const char *, const void *, size_t);
void		 rcv_json_set_str(json_t *, const char *, const char *);
json_t		*rcv_json_now(void);
SSL_CTX		*rcv_tls_ctx(const char *, const char *, const char *);
char		*rcv_peer_subject(SSL *);

#endif
