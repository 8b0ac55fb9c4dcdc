/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * A load generator for bench/collectord-ingest.sh: C simulated agents,
 * each one TLS 1.3 connection with its own client certificate (mTLS),
 * HTTP/1.1 keep-alive, posting gzip report/v1 documents to
 * /api/v1/reports one after the other (a closed loop: the next request
 * leaves when the answer is in).  One thread, epoll, non-blocking
 * OpenSSL, so it costs the machine it shares with the server little;
 * its own CPU time is measured and printed.
 *
 * Each request is the document an agent uploads (the canonical form:
 * compact, keys sorted, plus "report_id" and "kind") with a fresh UUID
 * v4 report_id, kind "run", the agent's own host_id and hostname and a
 * generated_at one second later than the connection's previous one.
 * Compressing ~32 KB per request would cost the generator more than the
 * server's inflate, so the gzip body is spliced: the part before
 * "generated_at" (per agent) and the part after "report_id" (per
 * template) are deflated once at start, the ~110 changing bytes go
 * between them as a stored block and the CRC is combined.
 *
 * usage: loadgen -a HOST:PORT -C CA -k CERTDIR [-c conns] [-d seconds]
 *            [-w warmup] [-p path] [-o file] template.json...
 * CERTDIR holds agent-N.pem, agent-N.key and agent-N.id (host_id) for
 * N = 0 .. conns-1.  -o writes agent 0's first body (gzip) and exits.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/random.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#define LG_RBUF		(64 * 1024)	/* bytes, answer buffer */
#define LG_DRAIN	10		/* seconds to wait for answers at end */
#define LG_MAXRETRY	5		/* reconnects of one agent */
#define LG_VAR		"\"generated_at\":\"G\",\"kind\":\"run\"," \
			    "\"report_id\":\"R\""

enum lg_state {
	LG_CONNECT,
	LG_HANDSHAKE,
	LG_SEND,
	LG_RECV,
	LG_IDLE,
	LG_DEAD
};

struct lg_tmpl {
	unsigned char	*suffix;	/* raw deflate, final block */
	size_t		 suffix_len;
	uLong		 suffix_crc;
	size_t		 suffix_raw;
};

struct lg_conn {
	int		 id;
	int		 fd;
	SSL		*ssl;
	enum lg_state	 state;
	uint32_t	 events;
	int		 retries;
	struct lg_tmpl	*tmpl;
	unsigned char	*prefix;	/* raw deflate, sync flushed */
	size_t		 prefix_len;
	uLong		 prefix_crc;
	size_t		 prefix_raw;
	long		 seq;		/* reports sent */
	char		*req;
	size_t		 req_len;
	size_t		 req_off;
	char		 rbuf[LG_RBUF];
	size_t		 rlen;
	double		 t_sent;
};

static SSL_CTX		*ctx;
static struct lg_conn	*conns;
static int		 nconns = 64, epfd;
static struct sockaddr_in sin_srv;
static const char	*host_hdr, *path = "/api/v1/reports";
static char		*certdir;
static time_t		 gen_base;
static uint64_t		 rng[2];
static uint32_t		*lat;		/* microseconds, measured window */
static size_t		 nlat, lat_cap;
static long		 status_count[600], errors, duplicates, ok_total;
static long		 handshakes, reconnects;
static double		 t_win0, t_win1;
static int		 sending = 1;

/* Prints a message and exits. */
static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "loadgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(2);
}

/* Monotonic time in seconds. */
static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* xoroshiro128+: UUIDs need to be unique, not secret. */
static uint64_t
rng_next(void)
{
	uint64_t	s0 = rng[0], s1 = rng[1], r = s0 + s1;

	s1 ^= s0;
	rng[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
	rng[1] = (s1 << 37) | (s1 >> 27);
	return (r);
}

/* Writes a random UUID v4 (36 characters and a NUL) into out. */
static void
uuid_v4(char out[37])
{
	unsigned char	b[16];
	uint64_t	x = rng_next(), y = rng_next();
	int		i;

	memcpy(b, &x, 8);
	memcpy(b + 8, &y, 8);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++)
		out += sprintf(out, "%s%02x", (i == 4 || i == 6 || i == 8 ||
		    i == 10) ? "-" : "", b[i]);
}

/* Raw-deflates len bytes of p with flush (Z_SYNC_FLUSH or Z_FINISH). */
static unsigned char *
deflate_part(const char *p, size_t len, int flush, size_t *outlen)
{
	z_stream	 z;
	unsigned char	*out;
	size_t		 cap;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		die("deflateInit2");
	cap = deflateBound(&z, len) + 64;
	if ((out = malloc(cap)) == NULL)
		die("out of memory");
	z.next_in = (unsigned char *)p;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = cap;
	if (deflate(&z, flush) == Z_STREAM_ERROR || z.avail_in != 0)
		die("deflate");
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return (out);
}

/* Reads a small file whole; strips a trailing newline. */
static char *
read_file(const char *fn)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(fn, "r")) == NULL)
		die("%s: %s", fn, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = calloc(1, n + 1)) == NULL)
		die("out of memory");
	if (fread(buf, 1, n, f) != (size_t)n)
		die("%s: short read", fn);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (buf);
}

/*
 * Makes agent c's document from template doc in canonical form and
 * splits it around LG_VAR: the prefix is deflated for c, the suffix
 * for the template (once).
 */
static void
prepare(struct lg_conn *c, json_t *doc, struct lg_tmpl *t)
{
	json_t	*d, *agent;
	char	*s, *v, fn[1024], *hid, hostname[64];
	size_t	 vlen = strlen(LG_VAR);

	snprintf(fn, sizeof fn, "%s/agent-%d.id", certdir, c->id);
	hid = read_file(fn);
	snprintf(hostname, sizeof hostname, "bench-agent-%d", c->id);
	d = json_deep_copy(doc);
	if ((agent = json_object_get(d, "agent")) == NULL)
		die("template without \"agent\"");
	json_object_set_new(agent, "host_id", json_string(hid));
	json_object_set_new(agent, "hostname", json_string(hostname));
	json_object_set_new(d, "generated_at", json_string("G"));
	json_object_set_new(d, "kind", json_string("run"));
	json_object_set_new(d, "report_id", json_string("R"));
	if ((s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		die("json_dumps");
	if ((v = strstr(s, LG_VAR)) == NULL)
		die("template: keys between generated_at and report_id");
	c->prefix_raw = v - s;
	c->prefix = deflate_part(s, c->prefix_raw, Z_SYNC_FLUSH,
	    &c->prefix_len);
	c->prefix_crc = crc32(0, (unsigned char *)s, c->prefix_raw);
	if (t->suffix == NULL) {
		t->suffix_raw = strlen(v + vlen);
		t->suffix = deflate_part(v + vlen, t->suffix_raw, Z_FINISH,
		    &t->suffix_len);
		t->suffix_crc = crc32(0, (unsigned char *)v + vlen,
		    t->suffix_raw);
	}
	c->tmpl = t;
	free(s);
	free(hid);
	json_decref(d);
}

/* Builds c's next request (headers and spliced gzip body) in c->req. */
static void
build_request(struct lg_conn *c)
{
	static const unsigned char gzhdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0,
	    0, 0, 3 };
	struct lg_tmpl	*t = c->tmpl;
	char		 var[160], uuid[37], when[32], hdr[512];
	unsigned char	*p, tail[8];
	size_t		 vlen, blen, hlen, total;
	time_t		 g = gen_base + c->seq;
	struct tm	 tm;
	uLong		 crc;
	uint32_t	 isize;

	uuid_v4(uuid);
	gmtime_r(&g, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	vlen = snprintf(var, sizeof var, "\"generated_at\":\"%s\",\"kind\":"
	    "\"run\",\"report_id\":\"%s\"", when, uuid);
	blen = 10 + c->prefix_len + 5 + vlen + t->suffix_len + 8;
	hlen = snprintf(hdr, sizeof hdr, "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: isms-agent/0.1.0\r\nAccept: */*\r\n"
	    "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
	    "Content-Length: %zu\r\n\r\n", path, host_hdr, blen);
	total = hlen + blen;
	if (c->req == NULL && (c->req = malloc(total + 256)) == NULL)
		die("out of memory");
	p = (unsigned char *)c->req;
	memcpy(p, hdr, hlen);
	p += hlen;
	memcpy(p, gzhdr, sizeof gzhdr);
	p += sizeof gzhdr;
	memcpy(p, c->prefix, c->prefix_len);
	p += c->prefix_len;
	/* A stored block, not final: BFINAL 0, BTYPE 00, LEN, NLEN. */
	*p++ = 0;
	*p++ = vlen & 0xff;
	*p++ = vlen >> 8;
	*p++ = ~vlen & 0xff;
	*p++ = (~vlen >> 8) & 0xff;
	memcpy(p, var, vlen);
	p += vlen;
	memcpy(p, t->suffix, t->suffix_len);
	p += t->suffix_len;
	crc = crc32_combine(c->prefix_crc, crc32(0, (unsigned char *)var,
	    vlen), vlen);
	crc = crc32_combine(crc, t->suffix_crc, t->suffix_raw);
	isize = c->prefix_raw + vlen + t->suffix_raw;
	tail[0] = crc & 0xff;
	tail[1] = (crc >> 8) & 0xff;
	tail[2] = (crc >> 16) & 0xff;
	tail[3] = (crc >> 24) & 0xff;
	tail[4] = isize & 0xff;
	tail[5] = (isize >> 8) & 0xff;
	tail[6] = (isize >> 16) & 0xff;
	tail[7] = (isize >> 24) & 0xff;
	memcpy(p, tail, 8);
	c->req_len = total;
	c->req_off = 0;
	c->seq++;
}

/* Sets the epoll interest of c to ev (EPOLLIN or EPOLLOUT). */
static void
want(struct lg_conn *c, uint32_t ev)
{
	struct epoll_event	e;

	if (c->events == ev)
		return;
	memset(&e, 0, sizeof e);
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(epfd, c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    c->fd, &e) == -1)
		die("epoll_ctl: %s", strerror(errno));
	c->events = ev;
}

/* Opens c's TCP connection and its SSL with the agent's certificate. */
static void
conn_open(struct lg_conn *c)
{
	char	fn[1024];
	int	one = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (struct sockaddr *)&sin_srv, sizeof sin_srv) ==
	    -1 && errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	if ((c->ssl = SSL_new(ctx)) == NULL)
		die("SSL_new");
	snprintf(fn, sizeof fn, "%s/agent-%d.pem", certdir, c->id);
	if (SSL_use_certificate_chain_file(c->ssl, fn) != 1)
		die("%s: certificate", fn);
	snprintf(fn, sizeof fn, "%s/agent-%d.key", certdir, c->id);
	if (SSL_use_PrivateKey_file(c->ssl, fn, SSL_FILETYPE_PEM) != 1 ||
	    SSL_check_private_key(c->ssl) != 1)
		die("%s: key", fn);
	SSL_set_fd(c->ssl, c->fd);
	c->state = LG_CONNECT;
	c->events = 0;
	c->rlen = 0;
	want(c, EPOLLOUT);
}

/* Closes c; opens it again unless the run is over or it failed too often. */
static void
conn_reset(struct lg_conn *c, const char *why)
{
	if (c->state == LG_SEND || c->state == LG_RECV ||
	    c->state == LG_HANDSHAKE || c->state == LG_CONNECT) {
		errors++;
		fprintf(stderr, "loadgen: agent %d: %s\n", c->id, why);
		ERR_print_errors_fp(stderr);
	}
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	c->events = 0;
	if (!sending || ++c->retries > LG_MAXRETRY) {
		c->state = LG_DEAD;
		return;
	}
	reconnects++;
	conn_open(c);
}

/*
 * Parses the answer in c->rbuf: 1 when complete (counted), 0 when more
 * is needed, -1 when malformed.  *close is set on "Connection: close".
 */
static int
parse_answer(struct lg_conn *c, int *close_it)
{
	char	*end, *h, *line;
	long	 clen = -1;
	int	 code;
	size_t	 hlen;
	double	 t;

	c->rbuf[c->rlen] = '\0';
	if ((end = strstr(c->rbuf, "\r\n\r\n")) == NULL)
		return (c->rlen >= LG_RBUF - 1 ? -1 : 0);
	hlen = end + 4 - c->rbuf;
	if (strncmp(c->rbuf, "HTTP/1.", 7) != 0 ||
	    sscanf(c->rbuf + 9, "%3d", &code) != 1 || code < 100 || code > 599)
		return (-1);
	*close_it = 0;
	for (h = strstr(c->rbuf, "\r\n"); h != NULL && h < end;
	    h = strstr(h + 2, "\r\n")) {
		line = h + 2;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtol(line + 15, NULL, 10);
		else if (strncasecmp(line, "Connection:", 11) == 0 &&
		    strncasecmp(line + 11 + strspn(line + 11, " "), "close",
		    5) == 0)
			*close_it = 1;
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			return (-1);	/* chunked: not expected here */
	}
	if (clen == -1)
		clen = (code == 204 || code == 304) ? 0 : -1;
	if (clen < 0)
		return (-1);
	if (c->rlen < hlen + (size_t)clen)
		return (hlen + clen >= LG_RBUF - 1 ? -1 : 0);
	t = now_s();
	status_count[code]++;
	if (code == 200 || code == 204)
		ok_total++;
	else {
		errors++;
		if (errors <= 10)
			fprintf(stderr, "loadgen: agent %d: %d %.*s\n", c->id,
			    code, (int)clen, c->rbuf + hlen);
	}
	if (code == 200 && memmem(c->rbuf + hlen, clen, "\"duplicate\"",
	    11) != NULL)
		duplicates++;
	if (t >= t_win0 && t < t_win1) {
		if (nlat == lat_cap) {
			lat_cap = lat_cap ? lat_cap * 2 : 65536;
			if ((lat = realloc(lat, lat_cap * sizeof *lat)) ==
			    NULL)
				die("out of memory");
		}
		lat[nlat++] = (uint32_t)((t - c->t_sent) * 1e6);
	}
	c->rlen = 0;
	return (1);
}

/* Starts c's next request, or leaves it idle when the run is over. */
static void
next_request(struct lg_conn *c)
{
	if (!sending) {
		c->state = LG_IDLE;
		return;
	}
	build_request(c);
	c->t_sent = now_s();
	c->state = LG_SEND;
}

/* Advances c's state machine as far as the socket allows. */
static void
conn_step(struct lg_conn *c)
{
	int	r, e, done, close_it;
	socklen_t sl;

	for (;;) {
		switch (c->state) {
		case LG_CONNECT:
			sl = sizeof e;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) ==
			    -1 || e != 0) {
				conn_reset(c, e ? strerror(e) : "connect");
				return;
			}
			c->state = LG_HANDSHAKE;
			break;
		case LG_HANDSHAKE:
			if ((r = SSL_connect(c->ssl)) == 1) {
				handshakes++;
				c->retries = 0;
				next_request(c);
				break;
			}
			goto wait;
		case LG_SEND:
			r = SSL_write(c->ssl, c->req + c->req_off,
			    c->req_len - c->req_off);
			if (r <= 0)
				goto wait;
			c->req_off += r;
			if (c->req_off == c->req_len)
				c->state = LG_RECV;
			break;
		case LG_RECV:
			r = SSL_read(c->ssl, c->rbuf + c->rlen,
			    LG_RBUF - 1 - c->rlen);
			if (r <= 0)
				goto wait;
			c->rlen += r;
			close_it = 0;
			if ((done = parse_answer(c, &close_it)) == -1) {
				conn_reset(c, "malformed answer");
				return;
			}
			if (done == 0)
				break;
			next_request(c);
			if (close_it) {
				if (c->state == LG_SEND)
					c->state = LG_IDLE;
				conn_reset(c, "closed");
				return;
			}
			break;
		case LG_IDLE:
			if (c->events != EPOLLIN)
				want(c, EPOLLIN);
			/* Only a close (or junk) can arrive now. */
			r = SSL_read(c->ssl, c->rbuf, LG_RBUF - 1);
			if (r > 0 || (SSL_get_error(c->ssl, r) !=
			    SSL_ERROR_WANT_READ && SSL_get_error(c->ssl, r) !=
			    SSL_ERROR_WANT_WRITE)) {
				c->state = LG_DEAD;
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
				c->events = 0;
			}
			return;
		case LG_DEAD:
			return;
		}
	}
 wait:
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		want(c, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		want(c, EPOLLOUT);
		return;
	case SSL_ERROR_ZERO_RETURN:
		conn_reset(c, "closed by the server");
		return;
	default:
		conn_reset(c, c->state == LG_HANDSHAKE ? "TLS handshake failed" :
		    "TLS error or connection reset");
		return;
	}
}

/* Orders latencies. */
static int
lat_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* CPU seconds (user + system) of this process. */
static double
cpu_s(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: loadgen -a host:port -C ca.pem -k certdir "
	    "[-c conns] [-d seconds]\n               [-w warmup] [-p path] "
	    "[-o file] template.json...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	struct lg_tmpl		*tmpls;
	json_t			**docs;
	json_error_t		 jerr;
	const char		*addr = NULL, *ca = NULL, *out = NULL;
	char			*host, *colon, codes[4096];
	double			 dur = 10, warm = 2, t0, t, c0 = 0, c1 = 0;
	double			 rate, secs;
	int			 ch, i, n, ntmpl, live;
	size_t			 off;
	FILE			*f;

	while ((ch = getopt(argc, argv, "a:c:C:d:k:o:p:w:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'c':
			nconns = atoi(optarg);
			break;
		case 'C':
			ca = optarg;
			break;
		case 'd':
			dur = atof(optarg);
			break;
		case 'k':
			certdir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			path = optarg;
			break;
		case 'w':
			warm = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (addr == NULL || ca == NULL || certdir == NULL || argc < 1 ||
	    nconns < 1 || nconns > 100000 || dur <= 0 || warm < 0)
		usage();
	host_hdr = addr;
	if ((host = strdup(addr)) == NULL || (colon = strrchr(host, ':')) ==
	    NULL)
		usage();
	*colon = '\0';
	memset(&sin_srv, 0, sizeof sin_srv);
	sin_srv.sin_family = AF_INET;
	sin_srv.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin_srv.sin_addr) != 1)
		die("%s: an IPv4 address is expected", host);
	if (getrandom(rng, sizeof rng, 0) != sizeof rng)
		die("getrandom");
	gen_base = time(NULL) - 3600;

	ntmpl = argc;
	docs = calloc(ntmpl, sizeof *docs);
	tmpls = calloc(ntmpl, sizeof *tmpls);
	conns = calloc(nconns, sizeof *conns);
	if (docs == NULL || tmpls == NULL || conns == NULL)
		die("out of memory");
	for (i = 0; i < ntmpl; i++)
		if ((docs[i] = json_load_file(argv[i], 0, &jerr)) == NULL)
			die("%s:%d: %s", argv[i], jerr.line, jerr.text);
	for (i = 0; i < nconns; i++) {
		conns[i].id = i;
		conns[i].fd = -1;
		prepare(&conns[i], docs[i % ntmpl], &tmpls[i % ntmpl]);
	}
	if (out != NULL) {
		build_request(&conns[0]);
		off = strstr(conns[0].req, "\r\n\r\n") + 4 - conns[0].req;
		if ((f = fopen(out, "w")) == NULL ||
		    fwrite(conns[0].req + off, 1, conns[0].req_len - off, f) !=
		    conns[0].req_len - off || fclose(f) != 0)
			die("%s: %s", out, strerror(errno));
		return (0);
	}

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		die("%s: CA", ca);
	if ((epfd = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));

	t0 = now_s();
	t_win0 = t0 + warm;
	t_win1 = t_win0 + dur;
	for (i = 0; i < nconns; i++)
		conn_open(&conns[i]);
	for (;;) {
		t = now_s();
		if (c0 == 0 && t >= t_win0)
			c0 = cpu_s();
		if (sending && t >= t_win1) {
			c1 = cpu_s();
			sending = 0;
			for (i = 0; i < nconns; i++)
				if (conns[i].state == LG_IDLE)
					conn_step(&conns[i]);
		}
		if (!sending) {
			for (i = live = 0; i < nconns; i++)
				if (conns[i].state != LG_IDLE &&
				    conns[i].state != LG_DEAD)
					live++;
			if (live == 0 || t >= t_win1 + LG_DRAIN)
				break;
		}
		n = epoll_wait(epfd, evs, 256, 50);
		if (n == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++)
			conn_step(evs[i].data.ptr);
	}
	for (i = 0; i < nconns; i++)
		if (conns[i].state != LG_IDLE && conns[i].state != LG_DEAD) {
			errors++;
			fprintf(stderr, "loadgen: agent %d: no answer after "
			    "%d s\n", i, LG_DRAIN);
		}

	qsort(lat, nlat, sizeof *lat, lat_cmp);
	secs = dur;
	rate = nlat / secs;
	codes[0] = '\0';
	for (i = 100, off = 0; i < 600; i++)
		if (status_count[i] > 0)
			off += snprintf(codes + off, sizeof codes - off,
			    " %d:%ld", i, status_count[i]);
	printf("loadgen: %d agents, %.0f s after %.0f s warm-up: %zu answers, "
	    "%.1f/s\n", nconns, dur, warm, nlat, rate);
	printf("loadgen: latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f\n",
	    nlat ? lat[nlat / 2] / 1e3 : 0, nlat ? lat[nlat * 9 / 10] / 1e3 : 0,
	    nlat ? lat[nlat * 99 / 100] / 1e3 : 0,
	    nlat ? lat[nlat - 1] / 1e3 : 0);
	printf("loadgen: status%s; errors %ld, duplicates %ld, handshakes %ld, "
	    "reconnects %ld\n", codes[0] ? codes : " none", errors, duplicates,
	    handshakes, reconnects);
	printf("loadgen: own CPU %.2f s in the window (%.0f%% of one core)\n",
	    c1 - c0, (c1 - c0) * 100 / dur);
	printf("RESULT rate=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	    "ok_total=%ld errors=%ld duplicates=%ld cpu_s=%.2f\n", rate,
	    nlat ? lat[nlat / 2] / 1e3 : 0,
	    nlat ? lat[nlat * 99 / 100] / 1e3 : 0,
	    nlat ? lat[nlat - 1] / 1e3 : 0, ok_total, errors, duplicates,
	    c1 - c0);
	return (errors > 0 ? 1 : 0);
}
