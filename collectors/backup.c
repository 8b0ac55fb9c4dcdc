/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the backup collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
backup_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "backup collector not implemented"));
}

const struct collector collector_backup = {
	.name = "backup",
	.collect = backup_collect,
};
