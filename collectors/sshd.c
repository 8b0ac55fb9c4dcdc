/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The OpenSSH server: its effective configuration (sshdconf.c), where
 * each value came from, what Match blocks override, the algorithm lists
 * in force and whether PAM or AuthenticationMethods add a second factor.
 *
 * The configuration is parsed rather than asked of "sshd -T", which
 * needs root, host keys and the privilege separation directory, and
 * cannot explain where a value came from; the parser follows servconf.c
 * (first value wins, Includes read in place).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "facts.h"
#include "sshdconf.h"
#include "util.h"
#include "xmalloc.h"

#define SSHD_BINARY	"/usr/sbin/sshd"
#define SSHD_PAM	"/etc/pam.d/sshd"
#define SSHD_PAM_DEPTH	4	/* levels of @include followed */

/* PAM modules that add a second factor. */
static const char *sshd_mfa_modules[] = {
	"pam_u2f.so", "pam_oath.so", "pam_google_authenticator.so",
	"pam_duo.so", "pam_yubico.so", "pam_radius_auth.so",
};

/* Default host keys of Debian when no HostKey is set. */
static const char *sshd_default_hostkeys =
    "/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key "
    "/etc/ssh/ssh_host_ed25519_key";

/* Splits a separated list into a JSON array of strings. */
static json_t *
sshd_split(const char *value, const char *sep)
{
	json_t	*arr = json_array();
	char	*copy, *p, *item;

	p = copy = xstrdup(value);
	while ((item = strsep(&p, sep)) != NULL) {
		if (*item != '\0')
			json_array_append_new(arr, json_string(item));
	}
	free(copy);
	return (arr);
}

/*
 * Scans a PAM stack for second-factor modules, following "@include".
 * A missing included file is skipped as PAM does; other errors fail.
 */
static int
sshd_pam_scan(const char *root, const char *path, int depth, json_t *mods,
    json_t *obj, char **cause)
{
	char	*buf, *cursor, *line, *inc, *word, *p;
	size_t	 i;
	int	 r = 0;

	if (root_read_file(root, path, &buf, NULL, cause) != 0)
		return (-1);
	fact_source(obj, "%s", path);
	cursor = buf;
	while ((line = str_nextline(&cursor)) != NULL && r == 0) {
		line = str_trim(line);
		if (*line == '#' || *line == '\0')
			continue;
		if (str_startswith(line, "@include")) {
			p = str_trim(line + strlen("@include"));
			if (depth >= SSHD_PAM_DEPTH || *p == '\0')
				continue;
			if (*p == '/')
				inc = xstrdup(p);
			else
				xasprintf(&inc, "/etc/pam.d/%s", p);
			if (root_exists(root, inc))
				r = sshd_pam_scan(root, inc, depth + 1, mods,
				    obj, cause);
			free(inc);
			continue;
		}
		/* Only "auth" lines authenticate. */
		p = line;
		if (*p == '-')
			p++;
		if (!str_startswith(p, "auth"))
			continue;
		while ((word = strsep(&p, " \t")) != NULL) {
			for (i = 0; i < sizeof sshd_mfa_modules /
			    sizeof *sshd_mfa_modules; i++) {
				if (str_endswith(word, sshd_mfa_modules[i]))
					json_array_append_new(mods,
					    json_string(word));
			}
		}
	}
	free(buf);
	return (r);
}

/*
 * AuthenticationMethods requires two factors when every list (separated
 * by spaces) names at least two methods ("publickey,password").
 */
static int
sshd_methods_mfa(const char *value)
{
	char	*copy, *p, *list;
	int	 all = 1, n = 0;

	if (value == NULL || strcmp(value, "any") == 0)
		return (0);
	p = copy = xstrdup(value);
	while ((list = strsep(&p, " ")) != NULL) {
		if (*list == '\0')
			continue;
		n++;
		if (strchr(list, ',') == NULL)
			all = 0;
	}
	free(copy);
	return (n > 0 && all);
}

/* The "mfa" object: second-factor PAM modules and AuthenticationMethods. */
static json_t *
sshd_mfa(struct collector_ctx *ctx, const struct sshdconf *conf)
{
	json_t		*obj = json_object(), *mods = json_array();
	const char	*usepam, *methods;
	char		*cause = NULL;

	usepam = sshdconf_get(conf, "usepam", NULL);
	methods = sshdconf_get(conf, "authenticationmethods", NULL);
	fact_set_bool(obj, "authentication_methods_mfa",
	    sshd_methods_mfa(methods));
	if (usepam == NULL || strcmp(usepam, "yes") != 0) {
		json_decref(mods);
		json_object_set_new(obj, "pam_modules", json_array());
		fact_set_bool(obj, "pam_mfa", 0);
		fact_source(obj, "sshd_config UsePAM no");
		return (obj);
	}
	if (!root_exists(ctx->root, SSHD_PAM)) {
		json_decref(mods);
		json_object_set_new(obj, "pam_modules", json_array());
		fact_set_bool(obj, "pam_mfa", 0);
		fact_source(obj, "%s (absent)", SSHD_PAM);
		return (obj);
	}
	if (sshd_pam_scan(ctx->root, SSHD_PAM, 0, mods, obj, &cause) != 0) {
		json_decref(mods);
		fact_error(obj, "%s", cause);
		free(cause);
		return (obj);
	}
	fact_set_bool(obj, "pam_mfa", json_array_size(mods) > 0);
	json_object_set_new(obj, "pam_modules", mods);
	return (obj);
}

/* The algorithm lists and host keys in force, as arrays. */
static json_t *
sshd_crypto(const struct sshdconf *conf)
{
	static const char	*lists[] = { "ciphers", "macs", "kexalgorithms",
	    "hostkeyalgorithms", "pubkeyacceptedalgorithms" };
	json_t			*obj = json_object();
	const char		*v;
	size_t			 i;

	for (i = 0; i < sizeof lists / sizeof *lists; i++) {
		if ((v = sshdconf_get(conf, lists[i], NULL)) != NULL)
			json_object_set_new(obj, lists[i], sshd_split(v, ","));
	}
	if ((v = sshdconf_get(conf, "hostkey", NULL)) == NULL)
		v = sshd_default_hostkeys;
	json_object_set_new(obj, "hostkeys", sshd_split(v, " "));
	return (obj);
}

/* Every option a Match block sets, named after the block. */
static json_t *
sshd_match_overrides(const struct sshdconf *conf)
{
	json_t				*arr = json_array(), *o;
	const struct sshdconf_match	*m;
	size_t				 i, j;
	char				*name;

	for (i = 0; i < conf->nmatches; i++) {
		m = &conf->matches[i];
		for (j = 0; j < m->nopts; j++) {
			o = json_object();
			xasprintf(&name, "Match %s: %s %s (%s)", m->criteria,
			    m->opts[j].key, m->opts[j].value,
			    m->opts[j].source);
			fact_set_str(o, "name", name);
			free(name);
			fact_set_str(o, "match", m->criteria);
			fact_set_str(o, "match_source", m->source);
			fact_set_str(o, "key", m->opts[j].key);
			fact_set_str(o, "value", m->opts[j].value);
			fact_set_str(o, "source", m->opts[j].source);
			json_array_append_new(arr, o);
		}
	}
	return (arr);
}

/* Collects the sshd facts; never NULL. */
static json_t *
sshd_collect(struct collector_ctx *ctx)
{
	struct sshdconf	 conf;
	json_t		*facts = json_object(), *eff, *src, *arr;
	char		*cause = NULL;
	const char	*v;
	int		 binary;
	size_t		 i;

	binary = root_exists(ctx->root, SSHD_BINARY);
	fact_source(facts, "%s", SSHDCONF_PATH);
	if (!root_exists(ctx->root, SSHDCONF_PATH)) {
		if (!binary) {
			fact_set_bool(facts, "installed", 0);
			return (fact_na_ja(fact_na(facts, "OpenSSH server not "
			    "installed"), "OpenSSH サーバがインストールされて"
			    "いない"));
		}
		return (fact_error(facts, "open %s: %s", SSHDCONF_PATH,
		    strerror(ENOENT)));
	}
	fact_set_bool(facts, "installed", 1);
	fact_set_bool(facts, "binary", binary);
	if (sshdconf_read(ctx->root, &conf, &cause) != 0) {
		fact_error(facts, "%s", cause);
		free(cause);
		return (facts);
	}

	eff = json_object();
	src = json_object();
	for (i = 0; i < conf.nopts; i++) {
		v = conf.opts[i].value;
		/* Counts and times as numbers, so conditions compare them. */
		if (*v != '\0' && strlen(v) < 10 &&
		    strspn(v, "0123456789") == strlen(v))
			fact_set_int(eff, conf.opts[i].key, strtoll(v, NULL, 10));
		else
			fact_set_str(eff, conf.opts[i].key, v);
		fact_set_str(src, conf.opts[i].key, conf.opts[i].source);
	}
	json_object_set_new(facts, "effective", eff);
	json_object_set_new(facts, "sources", src);
	fact_set_int(facts, "match_blocks", conf.nmatches);
	json_object_set_new(facts, "match_overrides",
	    sshd_match_overrides(&conf));
	arr = json_array();
	for (i = 0; i < conf.nfiles; i++) {
		json_array_append_new(arr, json_string(conf.files[i]));
		fact_source(facts, "%s", conf.files[i]);
	}
	json_object_set_new(facts, "files", arr);
	arr = json_array();
	for (i = 0; i < conf.nwarnings; i++)
		json_array_append_new(arr, json_string(conf.warnings[i]));
	json_object_set_new(facts, "warnings", arr);
	json_object_set_new(facts, "crypto", sshd_crypto(&conf));
	json_object_set_new(facts, "mfa", sshd_mfa(ctx, &conf));
	sshdconf_clear(&conf);
	return (facts);
}

const struct collector collector_sshd = {
	.name = "sshd",
	.collect = sshd_collect,
};
