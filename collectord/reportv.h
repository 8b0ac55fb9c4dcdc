/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Parsing and validating a report an agent posts to the collector: the
 * isms-agent/report/v1 document plus "report_id" and "kind".  Pure: no
 * I/O, no clock, no logging, so it can be fuzzed and called from any
 * process.  Everything the collector later relies on is checked here;
 * fields it does not know are kept and ignored (forward compatible
 * within v1).  The host is never taken from the body: agent.host_id is
 * kept only so that the caller can compare it with the certificate's.
 */
#ifndef REPORTV_H
#define REPORTV_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define REPORTV_SCHEMA		"isms-agent/report/v1"
#define REPORTV_MAX_SIZE	(64 * 1024 * 1024) /* bytes, hard ceiling */
#define REPORTV_MAX_DEPTH	32	/* nesting of arrays and objects */
#define REPORTV_MAX_RESULTS	2000
#define REPORTV_MAX_CHECK_ID	128	/* bytes */
#define REPORTV_MAX_TEXT	4096	/* bytes: title, message, remediation */
#define REPORTV_MAX_EVIDENCE	(64 * 1024) /* bytes, compact JSON */
#define REPORTV_MAX_CONTROLS	20
#define REPORTV_MAX_CONTROLS_2013 40
#define REPORTV_MAX_VERSION	64	/* bytes of agent.version */
#define REPORTV_MAX_HOSTNAME	253	/* bytes, as DNS */

struct jp;

enum reportv_kind {
	REPORTV_RUN,
	REPORTV_CATCH_UP
};

enum reportv_status {
	REPORTV_PASS,
	REPORTV_FAIL,
	REPORTV_ERROR,
	REPORTV_NOT_APPLICABLE
};
#define REPORTV_NSTATUS	4

enum reportv_severity {
	REPORTV_LOW,
	REPORTV_MEDIUM,
	REPORTV_HIGH,
	REPORTV_CRITICAL
};

/* One result; the pointers are borrowed from the parsed document. */
struct reportv_result {
	const char		*check;
	enum reportv_status	 status;
	enum reportv_severity	 severity;
	json_t			*obj;		/* the whole result object */
	/* Set by reportv_ingest only (obj is NULL there): */
	const char		*message;
	const char		*controls;	/* compact JSON array */
};

struct reportv {
	json_t			*root;		/* the whole document (owned) */
	char			 report_id[37];	/* lower case */
	enum reportv_kind	 kind;
	time_t			 generated_at;
	const char		*generated_at_str;
	const char		*agent_version;
	const char		*host_id;	/* NULL: the agent sent null */
	const char		*hostname;	/* NULL if absent or null */
	size_t			 nresults;
	struct reportv_result	*results;	/* in document order */
	unsigned int		 summary[REPORTV_NSTATUS];
	/* Set by reportv_ingest only (root is NULL there): */
	char			 sha256[65];	/* hex, see reportv_ingest */
	int			 canonical;	/* the body was canonical */
	struct jp		*doc;		/* its parsed document */
};

struct reportv_error {
	int	status;		/* 400 malformed, 413 too large, 422 schema */
	int	line;		/* 400: where the JSON parser stopped */
	int	column;
	char	pointer[256];	/* 422: RFC 6901 pointer of the violation */
	char	detail[320];	/* one English sentence */
};

/*
 * Parses and validates len bytes of buf (which need not be terminated).
 * Returns 0 and a new *out (free with reportv_free), or -1 and fills
 * *err.  Rules are checked in a fixed order -- schema, report_id, kind,
 * generated_at, agent, results one by one in document order, duplicate
 * check ids, summary -- and the first violation is reported.  The caller
 * compares generated_at with its clock and host_id with the client
 * certificate's; jansson seeds its hash function from /dev/urandom on
 * first use, so a chrooted caller calls json_object_seed() before.
 */
int	 reportv_parse(const char *buf, size_t len, struct reportv **out,
	    struct reportv_error *err);
void	 reportv_free(struct reportv *);

/*
 * The same contract as reportv_parse, with the same statuses and
 * pointers, but without jansson: a single-pass parser into one arena.
 * root and results[].obj stay NULL; results[].message and .controls
 * (the array as compact JSON) are set instead, and sha256 is the hash
 * of the document as compact JSON with sorted keys (jansson's json_dumps
 * with JSON_COMPACT | JSON_SORT_KEYS, as the agent sends it).  When the
 * body already is that form, checked while parsing, the body itself is
 * hashed (canonical = 1); otherwise jansson serialises it once.
 */
int	 reportv_ingest(const char *buf, size_t len, struct reportv **out,
	    struct reportv_error *err);

const char	*reportv_status_name(enum reportv_status);
const char	*reportv_severity_name(enum reportv_severity);
const char	*reportv_kind_name(enum reportv_kind);

/*
 * Inflates a gzip body (one or more members) into a new NUL-terminated
 * buffer of at most max_out bytes.  Returns 0 with *out and *outlen set,
 * 413 if the output would exceed max_out (a gzip bomb stops there), or
 * 400 if the input is not complete, valid gzip; on error *cause is a new
 * string the caller frees.
 */
int	 reportv_gunzip(const void *in, size_t inlen, size_t max_out,
	    char **out, size_t *outlen, char **cause);

#endif
