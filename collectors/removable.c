/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The removable media collector (A.7.10, A.8.12): can USB mass storage
 * be used on this host.  Two controls are recognised:
 *
 *  - the usb-storage kernel module disabled in modprobe.d(5) with an
 *    "install usb-storage /bin/false" (or /bin/true) override, so that
 *    any attempt to load it runs that command instead.  A "blacklist
 *    usb-storage" line is recorded too, but on its own it only stops
 *    loading by device alias: "modprobe usb-storage" still loads it,
 *    and so does any module that depends on it (uas);
 *  - USBGuard enabled with ImplicitPolicyTarget=block, so that devices
 *    no rule allows are refused.
 *
 * modprobe.d files are read the way kmod reads them: *.conf from
 * /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d,
 * /lib/modprobe.d and /usr/lib/modprobe.d, a file name in an earlier
 * directory hiding the same name in a later one, in name order.  Module
 * names treat '-' and '_' alike.  Whether the module is loaded now, or
 * built into the kernel (where no modprobe.d line can stop it), is
 * known only on the live host.  Desktop automounting (udisks) is out of
 * scope.
 */
#include <sys/types.h>
#include <sys/utsname.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "dpkgstatus.h"
#include "facts.h"
#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define REMOVABLE_MODULE	"usb_storage"
#define REMOVABLE_USBGUARD_CONF	"/etc/usbguard/usbguard-daemon.conf"
#define REMOVABLE_USBGUARD_UNIT	"usbguard.service"

static const char *const removable_dirs[] = { "/etc/modprobe.d",
	"/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d",
	"/usr/lib/modprobe.d", NULL };

struct removable_conf {
	char	*blacklist_in;	/* "file:line" of the first blacklist */
	char	*install_cmd;	/* the first install command */
	char	*install_in;
	int	 nfiles;
};

/* Whether a module name is usb-storage, spelt with '-' or '_'. */
static int
removable_is_module(const char *name)
{
	size_t	i;

	for (i = 0; REMOVABLE_MODULE[i] != '\0'; i++) {
		if (name[i] == REMOVABLE_MODULE[i])
			continue;
		if (name[i] == '-' && REMOVABLE_MODULE[i] == '_')
			continue;
		return (0);
	}
	return (name[i] == '\0');
}

/* Whether an install command stops the module loading: false or true. */
static int
removable_cmd_disables(const char *cmd)
{
	char	*word, *base;
	int	 r;

	word = xstrndup(cmd, strcspn(cmd, " \t;"));
	base = (base = strrchr(word, '/')) != NULL ? base + 1 : word;
	r = strcmp(base, "false") == 0 || strcmp(base, "true") == 0;
	free(word);
	/* Nothing may follow that would load it anyway. */
	return (r && strstr(cmd, "modprobe") == NULL &&
	    strstr(cmd, "insmod") == NULL);
}

/* Reads the blacklist and install lines of one modprobe.d file. */
static void
removable_conf_file(const char *root, const char *path,
    struct removable_conf *rc)
{
	char	*buf, *cur, *line, *word, *mod;
	int	 lineno = 0;

	if (root_read_file(root, path, &buf, NULL, NULL) != 0)
		return;
	rc->nfiles++;
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		lineno++;
		line = str_trim(line);
		if (*line == '#' || *line == '\0')
			continue;
		word = strsep(&line, " \t");
		if (line == NULL)
			continue;
		line = str_trim(line);
		mod = strsep(&line, " \t");
		if (!removable_is_module(mod))
			continue;
		if (strcmp(word, "blacklist") == 0 && rc->blacklist_in == NULL)
			xasprintf(&rc->blacklist_in, "%s:%d", path, lineno);
		else if (strcmp(word, "install") == 0 &&
		    rc->install_cmd == NULL && line != NULL) {
			rc->install_cmd = xstrdup(str_trim(line));
			xasprintf(&rc->install_in, "%s:%d", path, lineno);
		}
	}
	free(buf);
}

/* Whether name was already seen in an earlier directory. */
static int
removable_hidden(char **seen, size_t nseen, const char *name)
{
	size_t	i;

	for (i = 0; i < nseen; i++) {
		if (strcmp(seen[i], name) == 0)
			return (1);
	}
	return (0);
}

/* Orders "dir/name" strings by name, as kmod applies them. */
static int
removable_cmp(const void *a, const void *b)
{
	const char	*x = *(char *const *)a, *y = *(char *const *)b;

	return (strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1));
}

/* Whether usb_storage is loaded now (live only): /proc/modules. */
static json_t *
removable_loaded(struct collector_ctx *ctx, json_t *obj)
{
	char	*buf, *cur, *line, *cause = NULL;
	int	 loaded = 0;

	if (!ctx->live)
		return (fact_na_ja(fact_na(json_object(),
		    "measurable only on the live host"),
		    "稼働中のホストでのみ測定できる"));
	if (!root_exists("", "/proc/modules")) {
		/* A kernel without loadable modules: only sysfs can tell. */
		fact_source(obj, "/sys/module/" REMOVABLE_MODULE);
		return (json_boolean(root_exists("",
		    "/sys/module/" REMOVABLE_MODULE)));
	}
	fact_source(obj, "/proc/modules");
	if (root_read_file("", "/proc/modules", &buf, NULL, &cause) != 0)
		return (fact_error_take(cause));
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (str_startswith(line, REMOVABLE_MODULE " "))
			loaded = 1;
	}
	free(buf);
	return (json_boolean(loaded));
}

/* Whether usb-storage is built into the running kernel (live only). */
static json_t *
removable_builtin(struct collector_ctx *ctx, json_t *obj)
{
	struct utsname	 u;
	char		*path, *buf, *cause = NULL;
	json_t		*v;

	if (!ctx->live)
		return (fact_na_ja(fact_na(json_object(),
		    "measurable only on the live host"),
		    "稼働中のホストでのみ測定できる"));
	if (uname(&u) == -1)
		return (fact_error(json_object(), "uname: %s",
		    strerror(errno)));
	xasprintf(&path, "/lib/modules/%s/modules.builtin", u.release);
	fact_source(obj, "%s", path);
	if (!root_exists("", path))
		v = fact_na_ja(fact_na(json_object(), "no %s (kernel not "
		    "installed from a package)", path), "%s がない(カーネルが"
		    "パッケージからインストールされていない)", path);
	else if (root_read_file("", path, &buf, NULL, &cause) != 0)
		v = fact_error_take(cause);
	else {
		v = json_boolean(strstr(buf, "/usb-storage.ko\n") != NULL);
		free(buf);
	}
	free(path);
	return (v);
}

/* The usb-storage module's configuration and state. */
static json_t *
removable_usb_storage(struct collector_ctx *ctx)
{
	struct removable_conf	  rc;
	json_t			 *obj;
	char			**names, **files = NULL, **seen = NULL;
	size_t			  i, j, nfiles = 0;

	memset(&rc, 0, sizeof rc);
	obj = json_object();
	for (i = 0; removable_dirs[i] != NULL; i++) {
		fact_source(obj, "%s/*.conf", removable_dirs[i]);
		if ((names = root_list_dir(ctx->root, removable_dirs[i],
		    NULL)) == NULL)
			continue;
		for (j = 0; names[j] != NULL; j++) {
			if (!str_endswith(names[j], ".conf") ||
			    removable_hidden(seen, nfiles, names[j]))
				continue;
			files = xreallocarray(files, nfiles + 1, sizeof *files);
			seen = xreallocarray(seen, nfiles + 1, sizeof *seen);
			xasprintf(&files[nfiles], "%s/%s", removable_dirs[i],
			    names[j]);
			seen[nfiles] = strrchr(files[nfiles], '/') + 1;
			nfiles++;
		}
		strv_free(names);
	}
	if (nfiles > 0)
		qsort(files, nfiles, sizeof *files, removable_cmp);
	for (i = 0; i < nfiles; i++) {
		removable_conf_file(ctx->root, files[i], &rc);
		free(files[i]);
	}
	free(files);
	free(seen);
	removable_conf_file(ctx->root, "/etc/modprobe.conf", &rc);

	fact_set_int(obj, "conf_files", rc.nfiles);
	fact_set_bool(obj, "blacklisted", rc.blacklist_in != NULL);
	if (rc.blacklist_in != NULL)
		fact_set_str(obj, "blacklisted_in", rc.blacklist_in);
	json_object_set_new(obj, "install_command", rc.install_cmd != NULL ?
	    json_string(rc.install_cmd) : json_null());
	if (rc.install_in != NULL)
		fact_set_str(obj, "install_in", rc.install_in);
	fact_set_bool(obj, "disabled", rc.install_cmd != NULL &&
	    removable_cmd_disables(rc.install_cmd));
	json_object_set_new(obj, "loaded", removable_loaded(ctx, obj));
	json_object_set_new(obj, "builtin", removable_builtin(ctx, obj));
	free(rc.blacklist_in);
	free(rc.install_cmd);
	free(rc.install_in);
	return (obj);
}

/* USBGuard: installed, enabled, and its implicit policy. */
static json_t *
removable_usbguard(struct collector_ctx *ctx)
{
	static const char *const pkgs[] = { "usbguard", NULL };
	struct unit_state	 us;
	json_t			*obj;
	char			*buf, *cur, *line, *cause = NULL, *target = NULL;
	char			*eq;
	int			 inst[1];

	obj = json_object();
	fact_source(obj, DPKG_STATUS_PATH);
	if (dpkg_status_scan(ctx->root, pkgs, inst, NULL, &cause) != 0) {
		if (root_exists(ctx->root, "/var/lib/dpkg"))
			return (fact_error_take(cause));
		free(cause);
		cause = NULL;
		/* Not Debian: a configuration file shows an installation. */
		inst[0] = root_exists(ctx->root, REMOVABLE_USBGUARD_CONF);
	}
	fact_set_bool(obj, "installed", inst[0]);
	if (!inst[0]) {
		fact_set_bool(obj, "enabled", 0);
		return (obj);
	}

	fact_source(obj, "systemd unit %s", REMOVABLE_USBGUARD_UNIT);
	if (systemd_unit_state(ctx->root, REMOVABLE_USBGUARD_UNIT, NULL, &us,
	    &cause) != 0)
		json_object_set_new(obj, "enabled", fact_error_take(cause));
	else {
		fact_set_bool(obj, "enabled", us.enabled);
		if (us.link != NULL)
			fact_set_str(obj, "enabled_via", us.link);
		systemd_unit_clear(&us);
	}

	fact_source(obj, REMOVABLE_USBGUARD_CONF);
	cause = NULL;
	if (root_read_file(ctx->root, REMOVABLE_USBGUARD_CONF, &buf, NULL,
	    &cause) != 0) {
		json_object_set_new(obj, "implicit_policy_target",
		    fact_error_take(cause));
		return (obj);
	}
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(str_trim(line), "ImplicitPolicyTarget") == 0) {
			/* The daemon keeps the last assignment. */
			free(target);
			target = xstrdup(str_trim(eq + 1));
		}
	}
	free(buf);
	json_object_set_new(obj, "implicit_policy_target", target != NULL ?
	    json_string(target) : json_null());
	free(target);
	return (obj);
}

/* Returns the removable media facts; never NULL. */
static json_t *
removable_collect(struct collector_ctx *ctx)
{
	json_t	*obj;

	obj = json_object();
	json_object_set_new(obj, "usb_storage", removable_usb_storage(ctx));
	json_object_set_new(obj, "usbguard", removable_usbguard(ctx));
	return (obj);
}

const struct collector collector_removable = {
	.name = "removable",
	.collect = removable_collect,
};
