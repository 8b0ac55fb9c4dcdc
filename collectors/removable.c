/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the removable collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
removable_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "removable collector not implemented"));
}

const struct collector collector_removable = {
	.name = "removable",
	.collect = removable_collect,
};
