/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The list of built-in collectors, and running them all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

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

/*
 * Memo.  A scheduled daemon sees the same inputs run after run: the
 * package lists change once a day, not once an hour.  A collector may
 * keep a value it derived from files together with a signature of
 * those files (device, inode, size, modification and change times to
 * the nanosecond), and reuse it while the signature is the same.  Any
 * write to a file changes its ctime, a replaced file has a new inode,
 * and a file added or removed changes the list, so a stale value is
 * never reused.  ismsctl passes no memo: every check reads everything.
 */
void
collector_memo_sig(char **sig, const char *root, const char *path)
{
	struct stat	 sb;
	char		*s;

	if (root_stat(root, path, &sb, NULL) == -1)
		xasprintf(&s, "%s%s:-%d;", *sig != NULL ? *sig : "", path,
		    errno);
	else
		xasprintf(&s, "%s%s:%llu:%llu:%lld:%lld.%09ld:%lld.%09ld;",
		    *sig != NULL ? *sig : "", path,
		    (unsigned long long)sb.st_dev,
		    (unsigned long long)sb.st_ino, (long long)sb.st_size,
		    (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
		    (long long)sb.st_ctim.tv_sec, sb.st_ctim.tv_nsec);
	free(*sig);
	*sig = s;
}

const json_t *
collector_memo_get(struct collector_ctx *ctx, const char *key,
    const char *sig)
{
	json_t		*m;
	const char	*s;

	if (ctx->memo == NULL || sig == NULL ||
	    (m = json_object_get(ctx->memo, key)) == NULL)
		return (NULL);
	s = json_string_value(json_object_get(m, "sig"));
	if (s == NULL || strcmp(s, sig) != 0)
		return (NULL);
	return (json_object_get(m, "value"));
}

void
collector_memo_put(struct collector_ctx *ctx, const char *key,
    const char *sig, const json_t *value)
{
	if (ctx->memo == NULL || sig == NULL)
		return;
	json_object_set_new(ctx->memo, key, json_pack("{s:s,s:o}", "sig",
	    sig, "value", json_deep_copy(value)));
	ctx->memo_changed = 1;
}
