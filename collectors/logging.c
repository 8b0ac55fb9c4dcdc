/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the logging collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
logging_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "logging collector not implemented"));
}

const struct collector collector_logging = {
	.name = "logging",
	.collect = logging_collect,
};
