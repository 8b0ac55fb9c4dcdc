/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * One check run, as "ismsctl check" does it: load the policy and the
 * configuration, run the collectors, evaluate, print and store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Loads policies and configuration; on any error prints all of them
 * and returns -1.
 */
int
check_load(struct check_opts *o, struct policy **pp, struct agent_conf **cp)
{
	struct yerrors	 e = { NULL, 0 };
	struct policy	*p;
	struct agent_conf *conf;
	char		*path;
	size_t		 i;

	p = policy_new();
	if (o->npolicies == 0)
		policy_load_builtin(p, &e);
	for (i = 0; i < o->npolicies; i++) {
		if (strcmp(o->policies[i], "builtin") == 0)
			policy_load_builtin(p, &e);
		else
			policy_load_file(p, o->policies[i], &e);
	}
	path = o->config != NULL ? xstrdup(o->config) :
	    config_default_path(o->root);
	conf = config_load(path, o->config != NULL, p, &e);
	free(path);
	if (e.n != 0) {
		yerrors_print(&e);
		fprintf(stderr, "%zu error%s in configuration or policy\n",
		    e.n, e.n == 1 ? "" : "s");
		yerrors_clear(&e);
		config_free(conf);
		policy_free(p);
		return (-1);
	}
	*pp = p;
	*cp = conf;
	return (0);
}

int
check_main(struct check_opts *o)
{
	struct policy		*p;
	struct agent_conf	*conf;
	struct collector_ctx	 ctx;
	struct results		 rs;
	struct store		*st;
	json_t			*facts, *doc, *doc_en;
	char			*cause, *path;
	int			 rc;

	if (check_load(o, &p, &conf) == -1)
		return (EXIT_USAGE);

	memset(&ctx, 0, sizeof ctx);
	ctx.root = o->root;
	ctx.live = *o->root == '\0';
	ctx.now = o->now;
	ctx.backup_targets = conf->backup_targets;
	ctx.nbackup_targets = conf->nbackup_targets;
	facts = collectors_run(&ctx);
	evaluate(p, facts, o->now, &rs);

	doc = report_build(&rs, facts, o->now, o->lang);
	if (o->json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else
		report_print_text(stdout, doc, o->lang, o->colour);
	fflush(stdout);

	rc = rs.count[STATUS_FAIL] + rs.count[STATUS_ERROR] > 0 ? EXIT_FAIL :
	    EXIT_PASS;
	if (o->store) {
		/* The stored document is always the English one. */
		doc_en = o->lang == LANG_EN ? json_incref(doc) :
		    report_build(&rs, facts, o->now, LANG_EN);
		path = o->store_path != NULL ? xstrdup(o->store_path) :
		    conf->store_path != NULL ? xstrdup(conf->store_path) :
		    config_default_store();
		if ((st = store_open(path, &cause)) == NULL ||
		    store_put_run(st, doc_en, &cause) == -1) {
			log_warnx("run not stored: %s", cause);
			free(cause);
			rc = EXIT_INTERNAL;
		}
		store_close(st);
		free(path);
		json_decref(doc_en);
	}
	json_decref(doc);
	json_decref(facts);
	results_clear(&rs);
	config_free(conf);
	policy_free(p);
	return (rc);
}
