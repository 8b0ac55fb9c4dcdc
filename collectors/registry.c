/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The list of built-in collectors, and running them all.
 */
#include <string.h>

#include "collector.h"
#include "log.h"

extern const struct collector collector_accounts;
extern const struct collector collector_backup;
extern const struct collector collector_disk;
extern const struct collector collector_firewall;
extern const struct collector collector_inventory;
extern const struct collector collector_logging;
extern const struct collector collector_malware;
extern const struct collector collector_patch;
extern const struct collector collector_removable;
extern const struct collector collector_screen_lock;
extern const struct collector collector_session;
extern const struct collector collector_sshd;
extern const struct collector collector_sudo;
extern const struct collector collector_time;

const struct collector *const collectors[] = {
	&collector_inventory,
	&collector_disk,
	&collector_screen_lock,
	&collector_session,
	&collector_patch,
	&collector_backup,
	&collector_sshd,
	&collector_accounts,
	&collector_sudo,
	&collector_time,
	&collector_firewall,
	&collector_logging,
	&collector_malware,
	&collector_removable,
	NULL
};

const struct collector *
collector_find(const char *name)
{
	size_t	i;

	for (i = 0; collectors[i] != NULL; i++)
		if (strcmp(collectors[i]->name, name) == 0)
			return (collectors[i]);
	return (NULL);
}

json_t *
collector_run_one(const struct collector *c, struct collector_ctx *ctx)
{
	json_t	*facts;

	if (c->init != NULL && c->init(ctx) == -1)
		return (json_pack("{s:s}", "_error",
		    "collector failed to start"));
	facts = c->collect(ctx);
	if (facts == NULL || !json_is_object(facts))
		fatalx("%s: collector %s returned no object", __func__,
		    c->name);
	if (c->cleanup != NULL)
		c->cleanup();
	return (facts);
}

json_t *
collectors_run(struct collector_ctx *ctx)
{
	json_t	*all;
	size_t	 i;

	all = json_object();
	for (i = 0; collectors[i] != NULL; i++)
		json_object_set_new(all, collectors[i]->name,
		    collector_run_one(collectors[i], ctx));
	return (all);
}
