/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * PLACEHOLDER: the firewall collector is being written; until then its facts
 * are an error, so no check that reads them can pass.
 */
#include "collector.h"
#include "facts.h"

static json_t *
firewall_collect(struct collector_ctx *ctx)
{
	return (fact_error(json_object(), "firewall collector not implemented"));
}

const struct collector collector_firewall = {
	.name = "firewall",
	.collect = firewall_collect,
};
