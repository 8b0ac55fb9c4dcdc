/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The patch collector (A.8.8 management of technical vulnerabilities):
 * pending updates and security updates, how fresh the package
 * metadata is, when packages were last upgraded, whether a reboot is
 * pending, whether unattended upgrades are on, and whether the release
 * itself is still supported.
 *
 * Pending updates are computed without apt: the dpkg status file gives
 * the installed packages (a hash table on the name), then every apt
 * Packages list is streamed (plain or LZ4, one block at a time) and the
 * highest version of each installed (package, architecture) is kept.
 * Pinning and apt preferences are ignored, so a version that a pin
 * holds back still counts as pending; lists whose Release says
 * NotAutomatic (backports, experimental) are left out because apt never
 * upgrades to them by itself.  A package counts as a security update
 * when a security list (Label Debian-Security, a Suite ending in
 * -security, or such a list file name) has a newer version than the one
 * installed, even if a newer point release supersedes it.
 *
 * apt writes history.log in local time; it is read as UTC here, which
 * can shift ages by the host's UTC offset (hours, against thresholds
 * in days).
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aptlists.h"
#include "collector.h"
#include "debversion.h"
#include "facts.h"
#include "hostfiles.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define PATCH_PENDING_MAX	200	/* pending entries listed in facts */
#define PATCH_RELEASE_READ	16384	/* bytes of a Release header read */
#define PATCH_APTCONF_DEPTH	16	/* nesting of apt.conf scopes */

#define DPKG_STATUS	"/var/lib/dpkg/status"
#define APT_LISTS	"/var/lib/apt/lists"
#define APT_STAMP	"/var/lib/apt/periodic/update-success-stamp"
#define APT_CONF_D	"/etc/apt/apt.conf.d"

/* A Release file and what it says about its lists. */
struct aptrel {
	char	*prefix;	/* list file names it covers start with this */
	char	*origin;
	char	*label;
	char	*suite;
	char	*codename;
	int	 security;
	int	 not_automatic;
};

struct pkg {
	char			*name;
	char			*arch;
	char			*version;
	int			 hold;
	char			*cand;	/* highest newer version in any list */
	const struct aptrel	*cand_rel;
	char			*sec;	/* highest newer version, security list */
};

struct pkgtab {
	struct pkg	*v;
	size_t		 n;
	size_t		 cap;
	uint32_t	*slots;		/* index + 1, 0 is empty */
	size_t		 mask;
};

struct kernel {
	char	*release;	/* "6.1.0-41-amd64" */
	char	*version;	/* package version */
	char	*package;
};

struct status_scan {
	struct pkgtab	*tab;
	struct kernel	 kernel;
	int		 unattended;
};

struct list_scan {
	struct pkgtab		*tab;
	const struct aptrel	*rel;
	int			 security;
	size_t			 stanzas;
};

/* End-of-life dates: the last day the release gets security updates. */
static const struct {
	const char	*id;
	const char	*version_id;
	const char	*eol;
	const char	*support;
} patch_eol[] = {
	/*
	 * Debian: the end of Debian LTS (wiki.debian.org/LTS), which
	 * follows the end of regular security support by about two
	 * years; LTS covers the main architectures and most packages.
	 */
	{ "debian", "9", "2022-06-30", "lts" },
	{ "debian", "10", "2024-06-30", "lts" },
	{ "debian", "11", "2026-08-31", "lts" },
	{ "debian", "12", "2028-06-30", "lts" },
	{ "debian", "13", "2030-06-30", "lts" },
	/*
	 * Ubuntu LTS: the end of standard security maintenance of main
	 * (ubuntu.com/about/release-cycle), without Ubuntu Pro ESM.
	 * Canonical names only the month; public copies of its table
	 * disagree between April and June for 22.04 and 24.04, so these
	 * dates need re-checking against the release-cycle page.
	 */
	{ "ubuntu", "18.04", "2023-05-31", "standard" },
	{ "ubuntu", "20.04", "2025-05-31", "standard" },
	{ "ubuntu", "22.04", "2027-06-01", "standard" },
	{ "ubuntu", "24.04", "2029-05-31", "standard" },
};

static uint32_t
patch_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619U;
	}
	return (h);
}

/* Add an installed package; the table is built once, then looked up. */
static void
pkgtab_add(struct pkgtab *t, const char *name, const char *arch,
    const char *version, int hold)
{
	struct pkg	*p;

	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 1024 : t->cap * 2;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	p = &t->v[t->n++];
	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	p->arch = xstrdup(arch);
	p->version = xstrdup(version);
	p->hold = hold;
}

/* Index the packages by name (open addressing, load at most 1/2). */
static void
pkgtab_index(struct pkgtab *t)
{
	size_t		nslots = 64, i, j;
	struct pkg	*p;

	while (nslots < t->n * 2)
		nslots *= 2;
	t->slots = xcalloc(nslots, sizeof *t->slots);
	t->mask = nslots - 1;
	for (i = 0; i < t->n; i++) {
		p = &t->v[i];
		j = patch_hash(p->name, strlen(p->name)) & t->mask;
		while (t->slots[j] != 0)
			j = (j + 1) & t->mask;
		t->slots[j] = i + 1;
	}
}

/* The package with this name and arch (any arch if arch is NULL). */
static struct pkg *
pkgtab_find(struct pkgtab *t, const char *name, size_t len,
    const char *arch)
{
	size_t		 j;
	struct pkg	*p;

	j = patch_hash(name, len) & t->mask;
	for (; t->slots[j] != 0; j = (j + 1) & t->mask) {
		p = &t->v[t->slots[j] - 1];
		if (strncmp(p->name, name, len) != 0 || p->name[len] != '\0')
			continue;
		if (arch == NULL || strcmp(p->arch, arch) == 0)
			return (p);
	}
	return (NULL);
}

static void
pkgtab_free(struct pkgtab *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].arch);
		free(t->v[i].version);
		free(t->v[i].cand);
		free(t->v[i].sec);
	}
	free(t->v);
	free(t->slots);
}

/* One stanza of the dpkg status file. */
static int
patch_status_stanza(const struct aptlists_stanza *st, void *arg)
{
	struct status_scan	*ss = arg;
	const char		*name = st->value[0], *status = st->value[1];
	const char		*rel;
	char			*r;
	size_t			 len;

	if (!st->have[0] || !st->have[1] || !st->have[2])
		return (0);
	/* "install ok installed", "hold ok installed". */
	if (!str_endswith(status, " ok installed"))
		return (0);
	pkgtab_add(ss->tab, name, st->have[3] ? st->value[3] : "",
	    st->value[2], str_startswith(status, "hold "));
	if (strcmp(name, "unattended-upgrades") == 0)
		ss->unattended = 1;
	if (str_startswith(name, "linux-image-") &&
	    isdigit((unsigned char)name[12]) && !str_endswith(name, "-dbg")) {
		rel = name + 12;
		len = strlen(rel);
		if (str_endswith(rel, "-unsigned"))
			len -= strlen("-unsigned");
		if (ss->kernel.version == NULL || debversion_cmp(st->value[2],
		    ss->kernel.version) > 0) {
			r = xstrndup(rel, len);
			free(ss->kernel.release);
			free(ss->kernel.version);
			free(ss->kernel.package);
			ss->kernel.release = r;
			ss->kernel.version = xstrdup(st->value[2]);
			ss->kernel.package = xstrdup(name);
		}
	}
	return (0);
}

/* Package-line filter for the lists: only installed names are read. */
static int
patch_list_filter(const char *name, size_t len, void *arg)
{
	struct list_scan	*ls = arg;

	ls->stanzas++;
	return (pkgtab_find(ls->tab, name, len, NULL) != NULL);
}

/* One stanza of a Packages list whose name is installed. */
static int
patch_list_stanza(const struct aptlists_stanza *st, void *arg)
{
	struct list_scan	*ls = arg;
	struct pkg		*p;

	if (!st->have[0] || !st->have[1] || !st->have[2])
		return (0);
	p = pkgtab_find(ls->tab, st->value[0], st->len[0], st->value[2]);
	if (p == NULL || debversion_cmp(st->value[1], p->version) <= 0)
		return (0);
	if (p->cand == NULL || debversion_cmp(st->value[1], p->cand) > 0) {
		free(p->cand);
		p->cand = xstrdup(st->value[1]);
		p->cand_rel = ls->rel;
	}
	if (ls->security && (p->sec == NULL ||
	    debversion_cmp(st->value[1], p->sec) > 0)) {
		free(p->sec);
		p->sec = xstrdup(st->value[1]);
	}
	return (0);
}

/* Read the header fields of a Release or InRelease file. */
static void
patch_release_read(const char *root, const char *path, struct aptrel *r)
{
	char	*full, *buf, *cur, *line, *v, **dst;
	ssize_t	 n;
	int	 fd, in_pgp = 0;

	full = root_path(root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(full);
	if (fd == -1)
		return;
	buf = xmalloc(PATCH_RELEASE_READ + 1);
	n = read(fd, buf, PATCH_RELEASE_READ);
	close(fd);
	if (n <= 0) {
		free(buf);
		return;
	}
	buf[n] = '\0';
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (str_startswith(line, "-----BEGIN PGP")) {
			in_pgp = 1;
			continue;
		}
		if (in_pgp) {
			in_pgp = *line != '\0';
			continue;
		}
		if (str_startswith(line, "MD5Sum:") ||
		    str_startswith(line, "SHA256:") ||
		    str_startswith(line, "SHA1:") ||
		    str_startswith(line, "SHA512:"))
			break;
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		v = str_trim(v);
		dst = NULL;
		if (strcasecmp(line, "Origin") == 0)
			dst = &r->origin;
		else if (strcasecmp(line, "Label") == 0)
			dst = &r->label;
		else if (strcasecmp(line, "Suite") == 0)
			dst = &r->suite;
		else if (strcasecmp(line, "Codename") == 0)
			dst = &r->codename;
		else if (strcasecmp(line, "NotAutomatic") == 0)
			r->not_automatic |= strcasecmp(v, "yes") == 0;
		else if (strcasecmp(line, "ButAutomaticUpgrades") == 0 &&
		    strcasecmp(v, "yes") == 0)
			r->not_automatic = -1;
		if (dst != NULL && *dst == NULL)
			*dst = xstrdup(v);
	}
	free(buf);
	if (r->not_automatic == -1)
		r->not_automatic = 0;
	if ((r->label != NULL && strcmp(r->label, "Debian-Security") == 0) ||
	    (r->suite != NULL && str_endswith(r->suite, "-security")) ||
	    (r->codename != NULL && str_endswith(r->codename, "-security")))
		r->security = 1;
}

/* The Release that covers list file name: the longest matching prefix. */
static const struct aptrel *
patch_release_find(const struct aptrel *rels, size_t n, const char *name)
{
	const struct aptrel	*best = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (str_startswith(name, rels[i].prefix) && (best == NULL ||
		    strlen(rels[i].prefix) > strlen(best->prefix)))
			best = &rels[i];
	}
	return (best);
}

/* Compare pending packages: security first, then by name. */
static int
patch_pending_cmp(const void *a, const void *b)
{
	const struct pkg	*pa = *(struct pkg *const *)a;
	const struct pkg	*pb = *(struct pkg *const *)b;
	int			 r;

	if ((pa->sec != NULL) != (pb->sec != NULL))
		return (pa->sec != NULL ? -1 : 1);
	if ((r = strcmp(pa->name, pb->name)) != 0)
		return (r);
	return (strcmp(pa->arch, pb->arch));
}

static void
patch_set_time(json_t *o, const char *at, const char *age, time_t t,
    time_t now)
{
	fact_set_int(o, at, t);
	fact_set_int(o, age, t > now ? 0 : now - t);
}

/* Stream every Packages list and fill the pending updates object. */
static json_t *
patch_updates(struct collector_ctx *ctx, struct pkgtab *tab, json_t *meta)
{
	json_t			*o, *arr, *e, *lists = NULL;
	const json_t		*memo = NULL;
	char			**names, *cause = NULL, *path, *sig = NULL;
	struct aptrel		*rels = NULL;
	const struct aptrel	*rel;
	struct list_scan	 ls;
	struct pkg		**pend;
	struct stat		 sb;
	size_t			 nrels = 0, nlists = 0, i, npend = 0, nsec = 0;
	time_t			 newest = 0;
	const char		*ext;
	static const char *const fields[] = { "Package", "Version",
	    "Architecture" };

	o = json_object();
	names = root_list_dir(ctx->root, APT_LISTS, &cause);
	if (names == NULL) {
		fact_error(meta, "%s", cause);
		json_decref(o);
		return (fact_error_take(cause));
	}
	fact_source(o, "%s", APT_LISTS);

	/*
	 * What follows depends only on the dpkg status and the files in
	 * the lists directory: a daemon keeps it while none of them
	 * changed (collector_memo_get).
	 */
	if (ctx->memo != NULL) {
		collector_memo_sig(&sig, ctx->root, DPKG_STATUS);
		for (i = 0; names[i] != NULL; i++) {
			xasprintf(&path, "%s/%s", APT_LISTS, names[i]);
			collector_memo_sig(&sig, ctx->root, path);
			free(path);
		}
		memo = collector_memo_get(ctx, "patch.updates", sig);
	}

	/* Release files first: they say which lists are security. */
	for (i = 0; names[i] != NULL; i++) {
		if (!str_endswith(names[i], "_InRelease") &&
		    !str_endswith(names[i], "_Release"))
			continue;
		xasprintf(&path, "%s/%s", APT_LISTS, names[i]);
		if (memo == NULL) {
			rels = xreallocarray(rels, nrels + 1, sizeof *rels);
			memset(&rels[nrels], 0, sizeof *rels);
			rels[nrels].prefix = xstrndup(names[i],
			    strrchr(names[i], '_') + 1 - names[i]);
			patch_release_read(ctx->root, path, &rels[nrels]);
			nrels++;
		}
		if (root_stat(ctx->root, path, &sb, NULL) == 0 &&
		    sb.st_mtime > newest)
			newest = sb.st_mtime;
		free(path);
	}
	if (newest != 0 && !json_is_integer(json_object_get(meta,
	    "lists_refreshed_at"))) {
		patch_set_time(meta, "lists_refreshed_at", "lists_age_s",
		    newest, ctx->now);
		fact_set_str(meta, "method", "newest Release file in "
		    APT_LISTS);
		fact_source(meta, "%s/*Release", APT_LISTS);
	}
	if (memo != NULL) {
		json_decref(o);
		o = json_deep_copy(memo);
		goto out;
	}

	lists = json_array();
	memset(&ls, 0, sizeof ls);
	ls.tab = tab;
	for (i = 0; names[i] != NULL; i++) {
		if (strstr(names[i], "_Packages") == NULL)
			continue;
		xasprintf(&path, "%s/%s", APT_LISTS, names[i]);
		if ((ext = aptlists_unsupported(names[i])) != NULL) {
			fact_error(o, "read %s: %s compression not supported",
			    path, ext);
			free(path);
			goto out;
		}
		if (!str_endswith(names[i], "_Packages") &&
		    !str_endswith(names[i], "_Packages.lz4")) {
			free(path);
			continue;	/* .diff_Index and the like */
		}
		rel = patch_release_find(rels, nrels, names[i]);
		if (rel != NULL && rel->not_automatic) {
			free(path);
			continue;
		}
		ls.rel = rel;
		ls.security = (rel != NULL && rel->security) ||
		    strstr(names[i], "debian-security") != NULL ||
		    strstr(names[i], "-security_") != NULL;
		if (aptlists_stanzas(ctx->root, path, fields, 3,
		    patch_list_filter, patch_list_stanza, &ls, &cause) != 0) {
			fact_error(o, "%s", cause);
			free(cause);
			free(path);
			goto out;
		}
		e = json_object();
		fact_set_str(e, "name", path);
		fact_set_bool(e, "security", ls.security);
		if (rel != NULL && rel->suite != NULL)
			fact_set_str(e, "suite", rel->suite);
		json_array_append_new(lists, e);
		fact_source(o, "%s", path);
		free(path);
		nlists++;
	}
	if (nlists == 0) {
		fact_error(o, "no package lists in %s: apt-get update has "
		    "not run", APT_LISTS);
		goto out;
	}
	json_object_set(o, "lists", lists);
	fact_set_int(o, "list_entries", ls.stanzas);

	pend = xreallocarray(NULL, tab->n + 1, sizeof *pend);
	for (i = 0; i < tab->n; i++) {
		if (tab->v[i].cand == NULL)
			continue;
		pend[npend++] = &tab->v[i];
		if (tab->v[i].sec != NULL)
			nsec++;
	}
	qsort(pend, npend, sizeof *pend, patch_pending_cmp);
	arr = json_array();
	for (i = 0; i < npend && i < PATCH_PENDING_MAX; i++) {
		e = json_object();
		fact_set_str(e, "name", pend[i]->name);
		fact_set_str(e, "arch", pend[i]->arch);
		fact_set_str(e, "installed", pend[i]->version);
		fact_set_str(e, "candidate", pend[i]->cand);
		fact_set_bool(e, "security", pend[i]->sec != NULL);
		if (pend[i]->sec != NULL && strcmp(pend[i]->sec,
		    pend[i]->cand) != 0)
			fact_set_str(e, "security_version", pend[i]->sec);
		if (pend[i]->hold)
			fact_set_bool(e, "held", 1);
		rel = pend[i]->cand_rel;
		if (rel != NULL && rel->origin != NULL)
			fact_set_str(e, "origin", rel->origin);
		if (rel != NULL && rel->suite != NULL)
			fact_set_str(e, "suite", rel->suite);
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "pending", arr);
	fact_set_int(o, "pending_count", npend);
	fact_set_int(o, "security_pending_count", nsec);
	fact_set_bool(o, "pending_truncated", npend > PATCH_PENDING_MAX);
	free(pend);
	collector_memo_put(ctx, "patch.updates", sig, o);
out:
	json_decref(lists);
	for (i = 0; i < nrels; i++) {
		free(rels[i].prefix);
		free(rels[i].origin);
		free(rels[i].label);
		free(rels[i].suite);
		free(rels[i].codename);
	}
	free(rels);
	free(sig);
	strv_free(names);
	return (o);
}

struct history_scan {
	time_t	last;
};

/* Parse "2026-05-09  07:28:50" (apt) or "2026-05-09 07:28:50" (dpkg). */
static int
patch_parse_stamp(const char *s, time_t *t)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm);
	return (*t == (time_t)-1 ? -1 : 0);
}

/* One history.log entry: Start-Date, End-Date, Upgrade, Install. */
static int
patch_history_stanza(const struct aptlists_stanza *st, void *arg)
{
	struct history_scan	*hs = arg;
	time_t			 t;

	if (!st->have[2] && !st->have[3])
		return (0);
	if ((st->have[1] && patch_parse_stamp(st->value[1], &t) == 0) ||
	    (st->have[0] && patch_parse_stamp(st->value[0], &t) == 0)) {
		if (t > hs->last)
			hs->last = t;
	}
	return (0);
}

/* One dpkg.log line: "DATE TIME upgrade ..." or "... status installed". */
static int
patch_dpkglog_line(const char *line, size_t len, void *arg)
{
	struct history_scan	*hs = arg;
	char			 buf[64];
	time_t			 t;

	if (len < 28)
		return (0);
	if (strncmp(line + 20, "upgrade ", 8) != 0 &&
	    (len < 37 || strncmp(line + 20, "status installed ", 17) != 0))
		return (0);
	memcpy(buf, line, 19);
	buf[19] = '\0';
	if (patch_parse_stamp(buf, &t) == 0 && t > hs->last)
		hs->last = t;
	return (0);
}

/* When packages were last upgraded or installed. */
static json_t *
patch_history(struct collector_ctx *ctx)
{
	static const char *const hist[] = { "/var/log/apt/history.log",
	    "/var/log/apt/history.log.1" };
	static const char *const dlog[] = { "/var/log/dpkg.log",
	    "/var/log/dpkg.log.1" };
	static const char *const fields[] = { "Start-Date", "End-Date",
	    "Upgrade", "Install" };
	struct history_scan	 hs;
	json_t			*o;
	char			*cause = NULL, *first = NULL;
	size_t			 i;

	o = json_object();
	memset(&hs, 0, sizeof hs);
	for (i = 0; i < 2; i++) {
		if (aptlists_stanzas(ctx->root, hist[i], fields, 4, NULL,
		    patch_history_stanza, &hs, &cause) == 0)
			fact_source(o, "%s", hist[i]);
		else if (first == NULL)
			first = cause;
		else
			free(cause);
		cause = NULL;
	}
	if (hs.last == 0) {
		for (i = 0; i < 2; i++) {
			if (aptlists_lines(ctx->root, dlog[i],
			    patch_dpkglog_line, &hs, &cause) == 0)
				fact_source(o, "%s", dlog[i]);
			free(cause);
			cause = NULL;
		}
	}
	if (hs.last == 0) {
		if (first != NULL)
			fact_error(o, "%s", first);
		else
			fact_error(o, "no upgrade or install recorded in "
			    "%s or %s", hist[0], dlog[0]);
	} else
		patch_set_time(o, "last_upgrade_at", "last_upgrade_age_s",
		    hs.last, ctx->now);
	free(first);
	return (o);
}

/* The reboot-required flag that Debian's kernel hooks leave. */
static json_t *
patch_reboot(struct collector_ctx *ctx, const struct kernel *k, json_t *kern)
{
	json_t		*o, *arr;
	struct stat	 sb;
	const char	*flag = NULL;
	char		*buf, *cur, *line, *path, *full;
	size_t		 len;
	int		 mismatch;

	o = json_object();
	if (root_stat(ctx->root, "/run/reboot-required", &sb, NULL) == 0)
		flag = "/run/reboot-required";
	else {
		/*
		 * /var/run is a symlink to /run on current systems; under
		 * --root an absolute link would lead out of the image.
		 */
		full = root_path(ctx->root, "/var/run");
		if ((ctx->live || (lstat(full, &sb) == 0 &&
		    S_ISDIR(sb.st_mode))) && root_stat(ctx->root,
		    "/var/run/reboot-required", &sb, NULL) == 0)
			flag = "/var/run/reboot-required";
		free(full);
	}
	fact_source(o, "/run/reboot-required");
	fact_set_bool(o, "flag_file", flag != NULL);
	mismatch = json_is_true(json_object_get(kern, "reboot_needed"));
	fact_set_bool(o, "required", flag != NULL || mismatch);
	if (flag != NULL) {
		patch_set_time(o, "since_at", "age_s", sb.st_mtime, ctx->now);
		xasprintf(&path, "%s.pkgs", flag);
		arr = json_array();
		if (root_read_file(ctx->root, path, &buf, &len, NULL) == 0) {
			cur = buf;
			while ((line = str_nextline(&cur)) != NULL) {
				line = str_trim(line);
				if (*line != '\0')
					json_array_append_new(arr,
					    json_string(line));
			}
			free(buf);
		}
		json_object_set_new(o, "packages", arr);
		free(path);
	} else if (mismatch && k->package != NULL) {
		/* Since the newest kernel was unpacked. */
		xasprintf(&path, "/var/lib/dpkg/info/%s.list", k->package);
		if (root_stat(ctx->root, path, &sb, NULL) == 0)
			patch_set_time(o, "since_at", "age_s", sb.st_mtime,
			    ctx->now);
		else
			fact_set_int(o, "age_s", 0);
		free(path);
	} else
		fact_set_int(o, "age_s", 0);
	return (o);
}

/* Running and newest installed kernels. */
static json_t *
patch_kernels(struct collector_ctx *ctx, const struct kernel *k)
{
	json_t		*o;
	struct utsname	 u;

	o = json_object();
	fact_source(o, "%s", DPKG_STATUS);
	if (k->release == NULL)
		return (fact_na_ja(fact_na(o, "no linux-image package "
		    "installed"), "linux-image パッケージがインストールされて"
		    "いない"));
	fact_set_str(o, "newest_installed", k->release);
	fact_set_str(o, "newest_version", k->version);
	if (!ctx->live)
		return (fact_na_ja(fact_na(o, "the running kernel is "
		    "measurable only on the live host"), "稼働中のカーネルは"
		    "稼働中のホストでのみ測定できる"));
	if (uname(&u) == -1)
		return (fact_error(o, "uname: %s", strerror(errno)));
	fact_source(o, "uname(2)");
	fact_set_str(o, "running", u.release);
	fact_set_bool(o, "reboot_needed", strcmp(u.release, k->release) != 0);
	return (o);
}

struct aptconf {
	char	*update_lists;
	char	*unattended;
	char	*enable;
	int	 security_origin;
	int	 origins;
};

/* Record one apt.conf setting; the last one read wins, as in apt. */
static void
patch_aptconf_set(struct aptconf *ac, const char *key, const char *val)
{
	char	**dst = NULL;

	if (strcasecmp(key, "APT::Periodic::Update-Package-Lists") == 0)
		dst = &ac->update_lists;
	else if (strcasecmp(key, "APT::Periodic::Unattended-Upgrade") == 0)
		dst = &ac->unattended;
	else if (strcasecmp(key, "APT::Periodic::Enable") == 0)
		dst = &ac->enable;
	else if (strcasecmp(key, "Unattended-Upgrade::Origins-Pattern") == 0 ||
	    strcasecmp(key, "Unattended-Upgrade::Allowed-Origins") == 0) {
		ac->origins++;
		if (strcasestr(val, "security") != NULL)
			ac->security_origin = 1;
	}
	if (dst != NULL) {
		free(*dst);
		*dst = xstrdup(val);
	}
}

/*
 * Parse one apt.conf file: "A::B "v";", nested "A { B "v"; };", lists
 * of bare strings inside a scope, and //, /\* *\/ and # comments.
 */
static void
patch_aptconf_parse(struct aptconf *ac, char *p)
{
	char	*scope[PATCH_APTCONF_DEPTH], *key = NULL, *tok, *full, *s;
	int	 depth = 0, i, kind;
	size_t	 len;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == '#') {	/* comments, #clear and #include */
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			s = strstr(p + 2, "*/");
			p = s != NULL ? s + 2 : p + strlen(p);
			continue;
		}
		if (*p == '{' || *p == '}' || *p == ';') {
			kind = *p++;
			tok = NULL;
		} else if (*p == '"') {
			len = strcspn(p + 1, "\"");
			tok = xstrndup(p + 1, len);
			p += len + 1 + (p[len + 1] == '"');
			kind = 's';
		} else {
			len = strcspn(p, " \t\r\n{};\"");
			tok = xstrndup(p, len);
			p += len;
			kind = key == NULL ? 'k' : 's';
		}
		full = NULL;
		if (kind == 's' || (kind == ';' && key != NULL)) {
			/* key "value", or a bare "value" in a list scope. */
			len = 0;
			for (i = 0; i < depth; i++)
				len += strlen(scope[i]) + 2;
			full = xcalloc(1, len + (key ? strlen(key) : 0) + 1);
			for (i = 0; i < depth; i++) {
				strcat(full, scope[i]);
				if (i + 1 < depth || key != NULL)
					strcat(full, "::");
			}
			if (key != NULL)
				strcat(full, key);
			patch_aptconf_set(ac, full, tok != NULL ? tok : "");
			free(full);
			free(key);
			key = NULL;
		} else if (kind == 'k')
			key = xstrdup(tok);
		else if (kind == '{') {
			if (depth < PATCH_APTCONF_DEPTH)
				scope[depth++] = key != NULL ? key :
				    xstrdup("");
			else
				free(key);
			key = NULL;
		} else if (kind == '}') {
			if (depth > 0)
				free(scope[--depth]);
			free(key);
			key = NULL;
		}
		free(tok);
	}
	free(key);
	while (depth > 0)
		free(scope[--depth]);
}

/* Files apt itself reads from apt.conf.d (apt.conf(5)). */
static int
patch_aptconf_name_ok(const char *name)
{
	const char	*c, *dot;

	for (c = name; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' &&
		    *c != '.')
			return (0);
	}
	dot = strrchr(name, '.');
	return (dot == NULL || strcmp(dot, ".conf") == 0);
}

/* A periodic interval that means "on": a positive number or "always". */
static int
patch_periodic_on(const char *v)
{
	if (v == NULL)
		return (0);
	if (strcasecmp(v, "always") == 0)
		return (1);
	return (atoi(v) > 0);
}

/* Unattended upgrades: package, periodic settings, origins, timers. */
static json_t *
patch_unattended(struct collector_ctx *ctx, int installed)
{
	struct aptconf		 ac;
	struct unit_state	 us;
	json_t			*o;
	char			**names, *cause = NULL, *path, *buf;
	size_t			 i, len;
	int			 timer, cron;

	o = json_object();
	memset(&ac, 0, sizeof ac);
	fact_set_bool(o, "installed", installed);
	names = root_list_dir(ctx->root, APT_CONF_D, &cause);
	if (names == NULL) {
		fact_error(o, "%s", cause);
		free(cause);
		return (o);
	}
	fact_source(o, "%s", APT_CONF_D);
	for (i = 0; names[i] != NULL; i++) {
		if (!patch_aptconf_name_ok(names[i]))
			continue;
		xasprintf(&path, "%s/%s", APT_CONF_D, names[i]);
		if (root_read_file(ctx->root, path, &buf, &len, NULL) == 0) {
			patch_aptconf_parse(&ac, buf);
			free(buf);
		}
		free(path);
	}
	strv_free(names);
	if (root_read_file(ctx->root, "/etc/apt/apt.conf", &buf, &len,
	    NULL) == 0) {
		fact_source(o, "/etc/apt/apt.conf");
		patch_aptconf_parse(&ac, buf);
		free(buf);
	}
	if (ac.enable != NULL && !patch_periodic_on(ac.enable) &&
	    strcmp(ac.enable, "0") == 0) {
		fact_set_str(o, "periodic_enable", ac.enable);
		fact_set_bool(o, "update_lists", 0);
		fact_set_bool(o, "unattended_upgrade", 0);
	} else {
		fact_set_bool(o, "update_lists",
		    patch_periodic_on(ac.update_lists));
		fact_set_bool(o, "unattended_upgrade",
		    patch_periodic_on(ac.unattended));
	}
	if (ac.update_lists != NULL)
		fact_set_str(o, "update_lists_value", ac.update_lists);
	if (ac.unattended != NULL)
		fact_set_str(o, "unattended_upgrade_value", ac.unattended);
	fact_set_int(o, "origin_patterns", ac.origins);
	fact_set_bool(o, "security_origin", ac.security_origin);

	/* apt.systemd.daily runs from apt-daily-upgrade.timer (or cron). */
	memset(&us, 0, sizeof us);
	timer = 0;
	if (systemd_unit_state(ctx->root, "apt-daily-upgrade.timer", NULL,
	    &us, NULL) == 0)
		timer = us.installed && us.enabled && !us.masked;
	cron = !us.installed && root_exists(ctx->root,
	    "/etc/cron.daily/apt-compat");
	systemd_unit_clear(&us);
	fact_source(o, "systemd:apt-daily-upgrade.timer");
	fact_set_bool(o, "scheduled", timer || cron);
	free(ac.update_lists);
	free(ac.unattended);
	free(ac.enable);
	return (o);
}

/* The release and its end of security support. */
static json_t *
patch_os(struct collector_ctx *ctx)
{
	struct os_release	 osr;
	json_t			*o;
	char			*cause = NULL, at[RFC3339_LEN];
	time_t			 eol;
	size_t			 i;

	o = json_object();
	memset(&osr, 0, sizeof osr);
	if (os_release_read(ctx->root, &osr, &cause) != 0) {
		fact_error(o, "%s", cause);
		free(cause);
		return (o);
	}
	fact_source(o, "%s", osr.source);
	if (osr.id != NULL)
		fact_set_str(o, "id", osr.id);
	if (osr.version_id != NULL)
		fact_set_str(o, "version_id", osr.version_id);
	if (osr.codename != NULL)
		fact_set_str(o, "codename", osr.codename);
	for (i = 0; i < sizeof patch_eol / sizeof patch_eol[0]; i++) {
		if (osr.id != NULL && osr.version_id != NULL &&
		    strcmp(osr.id, patch_eol[i].id) == 0 &&
		    strcmp(osr.version_id, patch_eol[i].version_id) == 0)
			break;
	}
	if (i == sizeof patch_eol / sizeof patch_eol[0]) {
		fact_error(o, "no end-of-life date known for %s %s",
		    osr.id != NULL ? osr.id : "(no ID)",
		    osr.version_id != NULL ? osr.version_id : "(no VERSION_ID)");
		os_release_clear(&osr);
		return (o);
	}
	/* The support ends at the end of the EOL day. */
	snprintf(at, sizeof at, "%sT23:59:59Z", patch_eol[i].eol);
	if (time_parse_rfc3339(at, &eol) != 0)
		eol = 0;
	fact_set_str(o, "eol_date", patch_eol[i].eol);
	fact_set_str(o, "support", patch_eol[i].support);
	fact_set_int(o, "eol_at", eol);
	fact_set_int(o, "days_to_eol", eol >= ctx->now ?
	    (eol - ctx->now) / 86400 : -((ctx->now - eol + 86399) / 86400));
	fact_set_bool(o, "supported", eol >= ctx->now);
	fact_source(o, "built-in end-of-life table");
	os_release_clear(&osr);
	return (o);
}

/* Hosts without dpkg: rpm is counted live only. */
static void
patch_rpm(struct collector_ctx *ctx, json_t *facts)
{
	FILE	*f;
	char	 line[512];
	int	 n = 0;

	fact_set_str(facts, "manager", "rpm");
	json_object_set_new(facts, "updates", fact_error(json_object(),
	    "pending updates on rpm systems are not collected"));
	if (!ctx->live) {
		fact_error(facts, "rpm packages are measurable only on the "
		    "live host");
		return;
	}
	f = popen("rpm -qa --qf '%{NAME}\\n' 2>/dev/null", "r");
	if (f == NULL) {
		fact_error(facts, "rpm -qa: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f) != NULL)
		n++;
	if (pclose(f) != 0 || n == 0) {
		fact_error(facts, "rpm -qa failed");
		return;
	}
	fact_source(facts, "rpm -qa");
	fact_set_int(facts, "installed_count", n);
}

static json_t *
patch_collect(struct collector_ctx *ctx)
{
	static const char *const fields[] = { "Package", "Status", "Version",
	    "Architecture" };
	struct status_scan	 ss;
	struct pkgtab		 tab;
	struct stat		 sb;
	json_t			*facts, *meta, *kern;
	char			*cause = NULL;

	facts = json_object();
	memset(&tab, 0, sizeof tab);
	memset(&ss, 0, sizeof ss);
	ss.tab = &tab;
	json_object_set_new(facts, "os", patch_os(ctx));

	if (!root_exists(ctx->root, DPKG_STATUS) &&
	    (root_exists(ctx->root, "/var/lib/rpm") ||
	    root_exists(ctx->root, "/usr/lib/sysimage/rpm"))) {
		patch_rpm(ctx, facts);
		return (facts);
	}
	fact_set_str(facts, "manager", "dpkg");
	if (aptlists_stanzas(ctx->root, DPKG_STATUS, fields, 4, NULL,
	    patch_status_stanza, &ss, &cause) != 0) {
		fact_error(facts, "%s", cause);
		free(cause);
		return (facts);
	}
	fact_source(facts, "%s", DPKG_STATUS);
	fact_set_int(facts, "installed_count", tab.n);
	pkgtab_index(&tab);

	meta = json_object();
	fact_source(meta, "%s", APT_STAMP);
	if (root_stat(ctx->root, APT_STAMP, &sb, NULL) == 0) {
		patch_set_time(meta, "lists_refreshed_at", "lists_age_s",
		    sb.st_mtime, ctx->now);
		fact_set_str(meta, "method", "mtime of " APT_STAMP);
	}
	json_object_set_new(facts, "updates", patch_updates(ctx, &tab, meta));
	if (json_object_get(meta, "lists_refreshed_at") == NULL &&
	    json_object_get(meta, "_error") == NULL)
		fact_error(meta, "no %s and no Release file in %s", APT_STAMP,
		    APT_LISTS);
	json_object_set_new(facts, "metadata", meta);
	json_object_set_new(facts, "history", patch_history(ctx));
	kern = patch_kernels(ctx, &ss.kernel);
	json_object_set_new(facts, "reboot", patch_reboot(ctx, &ss.kernel,
	    kern));
	json_object_set_new(facts, "kernels", kern);
	json_object_set_new(facts, "unattended",
	    patch_unattended(ctx, ss.unattended));

	free(ss.kernel.release);
	free(ss.kernel.version);
	free(ss.kernel.package);
	pkgtab_free(&tab);
	return (facts);
}

const struct collector collector_patch = {
	.name = "patch",
	.collect = patch_collect,
};
