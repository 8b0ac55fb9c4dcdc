/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the time collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
time_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "time collector not implemented"));
}

const struct collector collector_time = {
	.name = "time",
	.collect = time_collect,
};
