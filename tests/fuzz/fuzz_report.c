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
 * Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Parses one body and checks the result against the contract. */
static void
parse_one(const char *buf, size_t len)
{
	struct reportv		*rv;
	struct reportv_error	 err;
	json_t			*s;
	size_t			 i, n;

	if (reportv_parse(buf, len, &rv, &err) == 0) {
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
