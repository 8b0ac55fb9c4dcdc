/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the screen_lock collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
screen_lock_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "screen_lock collector not implemented"));
}

const struct collector collector_screen_lock = {
	.name = "screen_lock",
	.collect = screen_lock_collect,
};
