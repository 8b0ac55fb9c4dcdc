/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Host firewall (A.8.20, A.8.21): for each framework Debian ships
 * (nftables, ufw, firewalld, iptables-persistent), whether it is
 * installed, enabled at boot and denies inbound traffic by default, for
 * IPv4 and IPv6 separately where the framework separates them.
 *
 * Everything is read from the configuration that is loaded at boot, so
 * the answer holds after the next reboot and under --root.  A chain
 * counts as default deny when its policy is drop, or when its last rule
 * is an unconditional drop or reject (the "policy accept ... -j DROP"
 * style many hand-written rule sets use).
 */
#include <sys/types.h>

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector.h"
#include "facts.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define FW_NFT_CONF		"/etc/nftables.conf"
#define FW_NFT_MAXDEPTH		8	/* nested includes */
#define FW_NFT_MAXTOK		32	/* tokens kept per statement */
#define FW_NFT_MAXNEST		16	/* brace depth */

/* Per-family verdicts found while parsing. */
struct fw_verdict {
	int	v4;		/* an input base chain denies by default */
	int	v6;
	int	chains;		/* input base chains seen */
	int	final_deny;	/* denied by a last drop/reject rule */
	char	policy[16];	/* policy of the first input chain */
};

/* One framework object with the unit facts filled in. */
static json_t *
fw_framework(struct collector_ctx *ctx, const char *name, const char *unit,
    struct unit_state *st)
{
	json_t	*f = json_object();
	char	*cause = NULL;

	fact_set_str(f, "name", name);
	fact_set_str(f, "unit", unit);
	if (systemd_unit_state(ctx->root, unit, NULL, st, &cause) == -1) {
		fact_error(f, "%s", cause);
		free(cause);
		memset(st, 0, sizeof *st);
		return (f);
	}
	if (st->file != NULL)
		fact_source(f, "%s", st->file);
	if (st->link != NULL)
		fact_source(f, "%s", st->link);
	fact_set_bool(f, "masked", st->masked);
	return (f);
}

/* Record the verdict on f. */
static void
fw_set_verdict(json_t *f, int v4, int v6, int separate)
{
	fact_set_bool(f, "default_deny_inbound", v4 && v6);
	fact_set_bool(f, "default_deny_inbound_v4", v4);
	fact_set_bool(f, "default_deny_inbound_v6", v6);
	fact_set_bool(f, "separate_ipv6", separate);
}

/*
 * Shell-style KEY=VALUE file (/etc/ufw/ufw.conf, /etc/default/ufw): the
 * last value of key, quotes removed, or NULL.  Returns a new string.
 */
static char *
fw_shell_get(const char *buf, const char *key)
{
	const char	*p = buf, *e;
	char		*v = NULL, *t;
	size_t		 klen = strlen(key);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			free(v);
			v = xstrndup(p + klen + 1, e - p - klen - 1);
			t = str_trim(v);
			if ((*t == '"' || *t == '\'') && strlen(t) >= 2 &&
			    t[strlen(t) - 1] == *t) {
				t[strlen(t) - 1] = '\0';
				t++;
			}
			memmove(v, t, strlen(t) + 1);
		}
		p = *e == '\n' ? e + 1 : e;
	}
	return (v);
}

/* --- nftables -------------------------------------------------------- */

enum fw_nft_ctx { NFT_OTHER, NFT_TABLE, NFT_CHAIN };

struct fw_nft_frame {
	enum fw_nft_ctx	 type;
	char		 family[8];
	int		 input;		/* a base chain on hook input */
	int		 drop_policy;
	int		 last_rule_deny;
	char		 policy[16];
};

struct fw_nft {
	struct collector_ctx	*ctx;
	json_t			*f;
	struct fw_verdict	 v;
	struct fw_nft_frame	 stack[FW_NFT_MAXNEST];
	int			 depth;
	char			*tok[FW_NFT_MAXTOK];
	int			 ntok;
	char			*error;
};

static void	fw_nft_file(struct fw_nft *, const char *, int);

/* Handle "include" with a glob pattern, relative to /etc. */
static void
fw_nft_include(struct fw_nft *n, const char *arg, int level)
{
	glob_t	 g;
	char	*pat, *full, *rootp;
	size_t	 i, rlen;

	if (*arg == '/')
		pat = xstrdup(arg);
	else
		xasprintf(&pat, "/etc/%s", arg);
	full = root_path(n->ctx->root, pat);
	rootp = root_path(n->ctx->root, "/");
	rlen = strcmp(rootp, "/") == 0 ? 0 : strlen(rootp);
	if (rlen > 0 && rootp[rlen - 1] == '/')
		rlen--;
	free(rootp);
	if (glob(full, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			fw_nft_file(n, g.gl_pathv[i] + rlen, level + 1);
		globfree(&g);
	} else if (strpbrk(pat, "*?[") == NULL)
		fw_nft_file(n, pat, level + 1);	/* reports the error */
	free(full);
	free(pat);
}

/* Whether tokens make an unconditional drop/reject rule. */
static int
fw_nft_deny_rule(struct fw_nft *n)
{
	int	i, deny = 0;

	for (i = 0; i < n->ntok; i++) {
		if (strcmp(n->tok[i], "drop") == 0 ||
		    strcmp(n->tok[i], "reject") == 0)
			deny = 1;
		else if (strcmp(n->tok[i], "counter") != 0 &&
		    strcmp(n->tok[i], "log") != 0 && !deny)
			return (0);
	}
	return (deny);
}

/* A statement ended (";", newline or "}"). */
static void
fw_nft_statement(struct fw_nft *n, int level)
{
	struct fw_nft_frame	*fr = &n->stack[n->depth];
	char			*arg;
	int			 i;

	if (n->ntok == 0)
		return;
	if (n->depth == 0 && strcmp(n->tok[0], "include") == 0 &&
	    n->ntok > 1) {
		/* The included file reuses the token buffer: empty it. */
		arg = xstrdup(n->tok[1]);
		for (i = 0; i < n->ntok; i++)
			free(n->tok[i]);
		n->ntok = 0;
		fw_nft_include(n, arg, level);
		free(arg);
		return;
	}
	if (fr->type != NFT_CHAIN)
		return;
	if (strcmp(n->tok[0], "type") == 0) {
		for (i = 0; i + 1 < n->ntok; i++)
			if (strcmp(n->tok[i], "hook") == 0 &&
			    strcmp(n->tok[i + 1], "input") == 0)
				fr->input = 1;
		for (i = 0; i + 1 < n->ntok; i++)
			if (strcmp(n->tok[i], "policy") == 0)
				goto policy;
		return;
	}
	if (strcmp(n->tok[0], "policy") == 0 && n->ntok > 1) {
		i = 0;
policy:
		strlcpy(fr->policy, n->tok[i + 1], sizeof fr->policy);
		fr->drop_policy = strcmp(n->tok[i + 1], "drop") == 0;
		return;
	}
	if (strcmp(n->tok[0], "comment") == 0 ||
	    strcmp(n->tok[0], "priority") == 0)
		return;
	fr->last_rule_deny = fw_nft_deny_rule(n);
}

/* "{" opens a table, a chain, or something else (set, map). */
static void
fw_nft_open(struct fw_nft *n)
{
	struct fw_nft_frame	*up = &n->stack[n->depth], *fr;
	int			 t = 0;

	if (n->depth + 1 >= FW_NFT_MAXNEST) {
		if (n->error == NULL)
			n->error = xstrdup("nesting too deep");
		return;
	}
	fr = &n->stack[++n->depth];
	memset(fr, 0, sizeof *fr);
	fr->type = NFT_OTHER;
	if (n->ntok > 0 && (strcmp(n->tok[0], "add") == 0 ||
	    strcmp(n->tok[0], "create") == 0))
		t = 1;	/* "add table ...", "add chain ..." */
	if (n->ntok <= t)
		goto out;
	if (strcmp(n->tok[t], "table") == 0 && up->type == NFT_OTHER &&
	    n->depth == 1) {
		fr->type = NFT_TABLE;
		strlcpy(fr->family, n->ntok - t >= 3 ? n->tok[t + 1] : "ip",
		    sizeof fr->family);
	} else if (strcmp(n->tok[t], "chain") == 0 && up->type == NFT_TABLE) {
		fr->type = NFT_CHAIN;
		strlcpy(fr->family, up->family, sizeof fr->family);
	} else if (strcmp(n->tok[t], "chain") == 0 && t == 1 &&
	    n->depth == 1) {
		fr->type = NFT_CHAIN;	/* add chain [family] table name { */
		strlcpy(fr->family, n->ntok - t >= 4 ? n->tok[t + 1] : "ip",
		    sizeof fr->family);
	}
out:
	strlcpy(fr->policy, "accept", sizeof fr->policy);
}

/* "}" closes the innermost block; a closed input chain gives a verdict. */
static void
fw_nft_close(struct fw_nft *n)
{
	struct fw_nft_frame	*fr = &n->stack[n->depth];
	int			 deny;

	if (n->depth == 0)
		return;
	if (fr->type == NFT_CHAIN && fr->input) {
		deny = fr->drop_policy || fr->last_rule_deny;
		if (!fr->drop_policy && fr->last_rule_deny)
			n->v.final_deny = 1;
		if (n->v.chains++ == 0)
			strlcpy(n->v.policy, fr->policy, sizeof n->v.policy);
		else if (deny)
			strlcpy(n->v.policy, fr->policy, sizeof n->v.policy);
		/*
		 * A packet must pass every input base chain of its family,
		 * so one chain that drops by default is enough.
		 */
		if (strcmp(fr->family, "inet") == 0) {
			n->v.v4 |= deny;
			n->v.v6 |= deny;
		} else if (strcmp(fr->family, "ip") == 0)
			n->v.v4 |= deny;
		else if (strcmp(fr->family, "ip6") == 0)
			n->v.v6 |= deny;
	}
	n->depth--;
}

/* Tokenise one nft file: words, strings, "{", "}", ";", newline. */
static void
fw_nft_file(struct fw_nft *n, const char *path, int level)
{
	char	*buf, *p, *start, *cause;
	int	 i;

	if (level > FW_NFT_MAXDEPTH) {
		if (n->error == NULL)
			xasprintf(&n->error, "%s: includes nested too deep",
			    path);
		return;
	}
	if (root_read_file(n->ctx->root, path, &buf, NULL, &cause) == -1) {
		if (n->error == NULL)
			n->error = cause;
		else
			free(cause);
		return;
	}
	fact_source(n->f, "%s", path);
	n->ntok = 0;
	for (p = buf; *p != '\0';) {
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (*p == '\\' && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (*p == ';' || *p == '\n' || *p == '{' || *p == '}') {
			fw_nft_statement(n, level);
			if (*p == '{')
				fw_nft_open(n);
			else if (*p == '}')
				fw_nft_close(n);
			for (i = 0; i < n->ntok; i++)
				free(n->tok[i]);
			n->ntok = 0;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '"') {
			start = ++p;
			while (*p != '\0' && *p != '"' && *p != '\n')
				p++;
		} else {
			start = p;
			while (*p != '\0' && !isspace((unsigned char)*p) &&
			    strchr(";{}#\"", *p) == NULL)
				p++;
		}
		if (n->ntok < FW_NFT_MAXTOK)
			n->tok[n->ntok++] = xstrndup(start, p - start);
		if (*p == '"')
			p++;
	}
	fw_nft_statement(n, level);
	for (i = 0; i < n->ntok; i++)
		free(n->tok[i]);
	n->ntok = 0;
	free(buf);
}

/* nftables: /etc/nftables.conf (loaded by nftables.service) and includes. */
static json_t *
fw_nftables(struct collector_ctx *ctx)
{
	struct unit_state	 st;
	struct fw_nft		 n;
	json_t			*f;

	f = fw_framework(ctx, "nftables", "nftables.service", &st);
	fact_set_bool(f, "installed", st.installed);
	fact_set_bool(f, "enabled", st.enabled);
	systemd_unit_clear(&st);
	fact_set_str(f, "source", FW_NFT_CONF);
	if (!root_exists(ctx->root, FW_NFT_CONF)) {
		fact_set_str(f, "source", NULL);
		fact_set_str(f, "input_policy", NULL);
		fw_set_verdict(f, 0, 0, 1);
		return (f);
	}
	memset(&n, 0, sizeof n);
	n.ctx = ctx;
	n.f = f;
	fw_nft_file(&n, FW_NFT_CONF, 0);
	if (n.error != NULL) {
		fact_error(f, "%s", n.error);
		free(n.error);
		return (f);
	}
	fact_set_int(f, "input_chains", n.v.chains);
	fact_set_str(f, "input_policy", n.v.chains > 0 ? n.v.policy : NULL);
	fact_set_bool(f, "input_final_rule_deny", n.v.final_deny);
	fw_set_verdict(f, n.v.v4, n.v.v6, 1);
	return (f);
}

/* --- ufw ------------------------------------------------------------- */

/* ufw: ENABLED= in ufw.conf, DEFAULT_INPUT_POLICY= and IPV6= in default. */
static json_t *
fw_ufw(struct collector_ctx *ctx)
{
	struct unit_state	 st;
	json_t			*f;
	char			*conf, *def, *cause, *en, *pol, *v6;
	int			 deny;

	f = fw_framework(ctx, "ufw", "ufw.service", &st);
	fact_set_bool(f, "installed", st.installed ||
	    root_exists(ctx->root, "/usr/sbin/ufw"));
	fact_set_str(f, "source", "/etc/ufw/ufw.conf");
	if (!json_is_true(json_object_get(f, "installed"))) {
		fact_set_bool(f, "enabled", 0);
		fw_set_verdict(f, 0, 0, 0);
		systemd_unit_clear(&st);
		return (f);
	}
	if (root_read_file(ctx->root, "/etc/ufw/ufw.conf", &conf, NULL,
	    &cause) == -1) {
		systemd_unit_clear(&st);
		fact_error(f, "%s", cause);
		free(cause);
		return (f);
	}
	fact_source(f, "/etc/ufw/ufw.conf");
	en = fw_shell_get(conf, "ENABLED");
	free(conf);
	/* ufw.service runs ufw-init, which loads the rules if ENABLED=yes. */
	fact_set_str(f, "enabled_setting", en);
	fact_set_bool(f, "enabled", st.enabled && en != NULL &&
	    strcasecmp(en, "yes") == 0);
	free(en);
	systemd_unit_clear(&st);

	if (root_read_file(ctx->root, "/etc/default/ufw", &def, NULL,
	    &cause) == -1) {
		fact_error(f, "%s", cause);
		free(cause);
		return (f);
	}
	fact_source(f, "/etc/default/ufw");
	pol = fw_shell_get(def, "DEFAULT_INPUT_POLICY");
	v6 = fw_shell_get(def, "IPV6");
	free(def);
	deny = pol != NULL && (strcasecmp(pol, "DROP") == 0 ||
	    strcasecmp(pol, "REJECT") == 0);
	fact_set_str(f, "input_policy", pol);
	fact_set_bool(f, "ipv6", v6 != NULL && strcasecmp(v6, "yes") == 0);
	/* IPV6=no leaves ip6tables untouched: IPv6 is not filtered. */
	fw_set_verdict(f, deny, deny && v6 != NULL &&
	    strcasecmp(v6, "yes") == 0, 0);
	free(pol);
	free(v6);
	return (f);
}

/* --- firewalld ------------------------------------------------------- */

/* The target= attribute of the <zone> element, or "default". */
static char *
fw_zone_target(const char *xml)
{
	const char	*z, *e, *t;

	if ((z = strstr(xml, "<zone")) == NULL)
		return (NULL);
	if ((e = strchr(z, '>')) == NULL)
		return (NULL);
	for (t = z; (t = strstr(t, "target")) != NULL && t < e; t++) {
		t += strlen("target");
		while (*t == ' ')
			t++;
		if (*t != '=')
			continue;
		t++;
		while (*t == ' ')
			t++;
		if (*t != '"' && *t != '\'')
			continue;
		return (xstrndup(t + 1, strcspn(t + 1, "\"'")));
	}
	return (xstrdup("default"));
}

/* firewalld: DefaultZone and that zone's target (default rejects). */
static json_t *
fw_firewalld(struct collector_ctx *ctx)
{
	static const char *const zdirs[] = {
		"/etc/firewalld/zones", "/usr/lib/firewalld/zones", NULL
	};
	struct unit_state	 st;
	json_t			*f;
	char			*conf = NULL, *cause, *zone, *path, *xml;
	char			*target = NULL;
	size_t			 i;
	int			 deny;

	f = fw_framework(ctx, "firewalld", "firewalld.service", &st);
	fact_set_bool(f, "installed", st.installed);
	fact_set_bool(f, "enabled", st.enabled);
	systemd_unit_clear(&st);
	fact_set_str(f, "source", "/etc/firewalld/firewalld.conf");
	if (!json_is_true(json_object_get(f, "installed"))) {
		fw_set_verdict(f, 0, 0, 0);
		return (f);
	}
	if (root_read_file(ctx->root, "/etc/firewalld/firewalld.conf",
	    &conf, NULL, &cause) == -1) {
		fact_error(f, "%s", cause);
		free(cause);
		return (f);
	}
	fact_source(f, "/etc/firewalld/firewalld.conf");
	/* firewalld.conf(5): without DefaultZone, "public" is used. */
	if ((zone = fw_shell_get(conf, "DefaultZone")) == NULL || *zone == '\0') {
		free(zone);
		zone = xstrdup("public");
	}
	free(conf);
	fact_set_str(f, "default_zone", zone);
	for (i = 0; zdirs[i] != NULL && target == NULL; i++) {
		xasprintf(&path, "%s/%s.xml", zdirs[i], zone);
		if (root_read_file(ctx->root, path, &xml, NULL, NULL) == 0) {
			fact_source(f, "%s", path);
			target = fw_zone_target(xml);
			free(xml);
		}
		free(path);
	}
	if (target == NULL) {
		fact_error(f, "zone %s: no %s.xml in /etc/firewalld/zones or "
		    "/usr/lib/firewalld/zones", zone, zone);
		free(zone);
		return (f);
	}
	free(zone);
	/* "default" rejects what the zone's services do not allow. */
	deny = strcmp(target, "ACCEPT") != 0;
	fact_set_str(f, "zone_target", target);
	fact_set_str(f, "input_policy", target);
	fw_set_verdict(f, deny, deny, 0);
	free(target);
	return (f);
}

/* --- iptables-persistent --------------------------------------------- */

/* rules.v4/v6 (iptables-save): INPUT policy or a final -A INPUT -j DROP. */
static int
fw_iptables_file(struct collector_ctx *ctx, json_t *f, const char *path,
    const char *key, int *deny)
{
	char	*buf, *cur, *line, *cause, pol[16] = "";
	int	 filter = 0, last_deny = 0;

	*deny = 0;
	if (root_read_file(ctx->root, path, &buf, NULL, &cause) == -1) {
		fact_error(f, "%s", cause);
		free(cause);
		return (-1);
	}
	fact_source(f, "%s", path);
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '*') {
			filter = strcmp(line, "*filter") == 0;
			continue;
		}
		if (!filter)
			continue;
		if (str_startswith(line, ":INPUT "))
			sscanf(line + 7, "%15s", pol);
		else if (str_startswith(line, "-A INPUT "))
			last_deny = strcmp(line, "-A INPUT -j DROP") == 0 ||
			    str_startswith(line, "-A INPUT -j REJECT");
	}
	free(buf);
	fact_set_str(f, key, pol[0] != '\0' ? pol : NULL);
	*deny = strcmp(pol, "DROP") == 0 || last_deny;
	return (0);
}

/* iptables-persistent: netfilter-persistent restores /etc/iptables/rules.*. */
static json_t *
fw_iptables(struct collector_ctx *ctx)
{
	struct unit_state	 st;
	json_t			*f;
	int			 v4 = 0, v6 = 0;

	f = fw_framework(ctx, "iptables-persistent",
	    "netfilter-persistent.service", &st);
	fact_set_bool(f, "installed", st.installed);
	fact_set_bool(f, "enabled", st.enabled);
	systemd_unit_clear(&st);
	fact_set_str(f, "source", "/etc/iptables/rules.v4");
	if (!json_is_true(json_object_get(f, "installed"))) {
		fw_set_verdict(f, 0, 0, 1);
		return (f);
	}
	if (root_exists(ctx->root, "/etc/iptables/rules.v4") &&
	    fw_iptables_file(ctx, f, "/etc/iptables/rules.v4",
	    "input_policy", &v4) == -1)
		return (f);
	if (root_exists(ctx->root, "/etc/iptables/rules.v6") &&
	    fw_iptables_file(ctx, f, "/etc/iptables/rules.v6",
	    "input_policy_v6", &v6) == -1)
		return (f);
	fw_set_verdict(f, v4, v6, 1);
	return (f);
}

/* Returns the "firewall" facts; never NULL. */
static json_t *
firewall_collect(struct collector_ctx *ctx)
{
	json_t	*facts = json_object(), *fw = json_array(), *f;
	json_t	*en = json_array(), *dn = json_array();
	size_t	 i;

	json_array_append_new(fw, fw_nftables(ctx));
	json_array_append_new(fw, fw_ufw(ctx));
	json_array_append_new(fw, fw_firewalld(ctx));
	json_array_append_new(fw, fw_iptables(ctx));
	json_array_foreach(fw, i, f) {
		if (!json_is_true(json_object_get(f, "enabled")))
			continue;
		json_array_append(en, json_object_get(f, "name"));
		if (json_is_true(json_object_get(f, "default_deny_inbound")))
			json_array_append(dn, json_object_get(f, "name"));
	}
	json_object_set_new(facts, "frameworks", fw);
	/* Enabled ones, and enabled ones that deny inbound by default. */
	fact_set_int(facts, "enabled_count", json_array_size(en));
	fact_set_int(facts, "default_deny_count", json_array_size(dn));
	json_object_set_new(facts, "enabled", en);
	json_object_set_new(facts, "default_deny", dn);
	return (facts);
}

const struct collector collector_firewall = {
	.name = "firewall",
	.collect = firewall_collect,
};
