/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * libFuzzer target for the collector's report parser (collectord/
 * reportv.c): every input is parsed as a report body; an input that
 * starts with the gzip magic is also inflated (the Content-Encoding:
 * gzip path) and what comes out is parsed.  Besides the sanitizers, the
 * target checks the parser's contract: a refusal has a status of 400,
 * 413 or 422, a sentence as detail that is valid UTF-8 (it goes into a
 * JSON answer), and a pointer; an acceptance has consistent counts.
 * Every input also goes through reportv_ingest, the jansson-free ingest
 * parser, which must agree with reportv_parse: the same verdict, status
 * and pointer, and for an accepted report the same fields and as sha256
 * the hash of jansson's compact, key-sorted serialisation.
 * Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "reportv.h"

#define FUZZ_MAX_OUT	(1024 * 1024)	/* bytes, as a small max_body */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Stops the run with a message: libFuzzer saves the input. */
static void
broken(const char *what, const struct reportv_error *err)
{
	fprintf(stderr, "contract broken: %s (status %d, pointer \"%s\", "
	    "detail \"%s\")\n", what, err->status, err->pointer, err->detail);
	abort();
}

/* 1 if detail is a sentence in valid UTF-8. */
static int
n_detail_ok(const char *detail)
{
	json_t	*s;
	size_t	 n = strlen(detail);

	if (n == 0 || detail[n - 1] != '.' || (s = json_string(detail)) == NULL)
		return (0);
	json_decref(s);
	return (1);
}

/* Checks reportv_ingest against reportv_parse's verdict r, rv, err. */
static void
differ(const char *buf, size_t len, int r, struct reportv *rv,
    const struct reportv_error *err)
{
	struct reportv		*fv;
	struct reportv_error	 ferr;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	char			*s, hex[65];
	size_t			 k;
	int			 fr;

	fr = reportv_ingest(buf, len, &fv, &ferr);
	/* Deliberate: jansson may let such a NUL byte through. */
	if (fr == -1 && strstr(ferr.detail, "NUL byte after a value") != NULL)
		return;
	if (fr != r || ferr.status != err->status ||
	    strcmp(ferr.pointer, err->pointer) != 0) {
		fprintf(stderr, "reportv_ingest: %d at \"%s\": %s\n",
		    ferr.status, ferr.pointer, ferr.detail);
		broken("reportv_ingest disagrees with reportv_parse", err);
	}
	if (r == -1) {
		if (fv != NULL)
			broken("ingest refused but returned a report", &ferr);
		if ((n_detail_ok(ferr.detail)) == 0)
			broken("ingest detail is not a UTF-8 sentence", &ferr);
		return;
	}
	if (strcmp(fv->report_id, rv->report_id) != 0 ||
	    fv->nresults != rv->nresults || fv->kind != rv->kind ||
	    fv->generated_at != rv->generated_at ||
	    memcmp(fv->summary, rv->summary, sizeof rv->summary) != 0)
		broken("ingest accepted different fields", err);
	for (k = 0; k < rv->nresults; k++)
		if (strcmp(fv->results[k].check, rv->results[k].check) != 0 ||
		    fv->results[k].status != rv->results[k].status ||
		    fv->results[k].severity != rv->results[k].severity ||
		    fv->results[k].message == NULL ||
		    fv->results[k].controls == NULL)
			broken("ingest accepted a different result", err);
	if ((s = json_dumps(rv->root, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		abort();
	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
		abort();
	for (i = 0; i < mdlen; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	if (strcmp(hex, fv->sha256) != 0)
		broken("ingest hash is not that of the canonical form", err);
	if (fv->canonical != (strlen(s) == len && memcmp(s, buf, len) == 0))
		broken("ingest canonical flag is wrong", err);
	free(s);
	reportv_free(fv);
}

/* Parses one body and checks the result against the contract. */
static void
parse_one(const char *buf, size_t len)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	json_t			*s;
	size_t			 i, n;
	int			 r;

	r = reportv_parse(buf, len, &rv, &err);
	differ(buf, len, r, rv, &err);
	if (r == 0) {
		if (rv == NULL || rv->nresults > REPORTV_MAX_RESULTS)
			broken("accepted with bad results", &err);
		for (i = n = 0; i < REPORTV_NSTATUS; i++)
			n += rv->summary[i];
		if (n != rv->nresults || strlen(rv->report_id) != 36)
			broken("accepted with inconsistent counts", &err);
		for (i = 0; i < rv->nresults; i++)
			if (rv->results[i].check == NULL ||
			    rv->results[i].obj == NULL)
				broken("accepted with an empty result", &err);
		reportv_free(rv);
		return;
	}
	if (rv != NULL)
		broken("refused but returned a report", &err);
	if (err.status != 400 && err.status != 413 && err.status != 422)
		broken("unexpected status", &err);
	if (err.status == 422 && err.pointer[0] != '\0' &&
	    err.pointer[0] != '/')
		broken("not a JSON pointer", &err);
	n = strlen(err.detail);
	if (n == 0 || err.detail[n - 1] != '.')
		broken("detail is not a sentence", &err);
	if ((s = json_string(err.detail)) == NULL)
		broken("detail is not valid UTF-8", &err);
	json_decref(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*out, *cause;
	size_t	 outlen;
	int	 r;

	parse_one((const char *)data, size);
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		r = reportv_gunzip(data, size, FUZZ_MAX_OUT, &out, &outlen,
		    &cause);
		if (r == 0) {
			if (outlen > FUZZ_MAX_OUT || out[outlen] != '\0')
				abort();
			parse_one(out, outlen);
			free(out);
		} else {
			if ((r != 400 && r != 413) || cause == NULL ||
			    out != NULL)
				abort();
			free(cause);
		}
	}
	return (0);
}
