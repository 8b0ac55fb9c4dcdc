/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the disk collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
disk_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "disk collector not implemented"));
}

const struct collector collector_disk = {
	.name = "disk",
	.collect = disk_collect,
};
