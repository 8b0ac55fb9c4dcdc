/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit state from the file system (see systemd.h).  systemctl is-enabled
 * answers from the same symlinks; reading them directly works under
 * --root and costs a few directory reads.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "systemd.h"
#include "util.h"
#include "xmalloc.h"

#define SYSTEMD_ETC	"/etc/systemd/system"

static const char *const systemd_unit_dirs[] = {
	SYSTEMD_ETC, "/lib/systemd/system", "/usr/lib/systemd/system", NULL
};

/* Targets whose vendor .wants directories make a unit "static" enabled. */
static const char *const systemd_vendor_targets[] = {
	"sysinit.target", "multi-user.target", "basic.target",
	"sockets.target", "timers.target", "graphical.target", NULL
};

/* Whether name is unit or one of its aliases. */
static int
systemd_name_match(const char *name, const char *unit,
    const char *const *aliases)
{
	size_t	i;

	if (strcmp(name, unit) == 0)
		return (1);
	for (i = 0; aliases != NULL && aliases[i] != NULL; i++) {
		if (strcmp(name, aliases[i]) == 0)
			return (1);
	}
	return (0);
}

/* Whether a link in dir (a .wants or .requires directory) names the unit. */
static char *
systemd_scan_wants(const char *root, const char *dir, const char *unit,
    const char *const *aliases)
{
	char	**v, *path, *target, *base, *found = NULL;
	size_t	  i;

	if ((v = root_list_dir(root, dir, NULL)) == NULL)
		return (NULL);
	for (i = 0; v[i] != NULL && found == NULL; i++) {
		xasprintf(&path, "%s/%s", dir, v[i]);
		if (systemd_name_match(v[i], unit, aliases)) {
			found = path;
			break;
		}
		/* An alias-named link to the real unit file also counts. */
		if ((target = root_readlink(root, path)) != NULL) {
			base = strrchr(target, '/');
			base = base != NULL ? base + 1 : target;
			if (systemd_name_match(base, unit, aliases))
				found = path;
			free(target);
		}
		if (found == NULL)
			free(path);
	}
	strv_free(v);
	return (found);
}

int
systemd_unit_state(const char *root, const char *unit,
    const char *const *aliases, struct unit_state *st, char **cause)
{
	struct stat	  sb;
	char		**v, *path, *target, *full;
	const char	 *name;
	size_t		  i, j;

	memset(st, 0, sizeof *st);

	/* Masked: /etc/systemd/system/<unit> -> /dev/null. */
	xasprintf(&path, "%s/%s", SYSTEMD_ETC, unit);
	if ((target = root_readlink(root, path)) != NULL) {
		if (strcmp(target, "/dev/null") == 0)
			st->masked = 1;
		free(target);
	}
	free(path);

	/* Installed: a unit file under any of the unit directories. */
	for (i = 0; systemd_unit_dirs[i] != NULL && st->file == NULL; i++) {
		for (j = 0; ; j++) {
			name = j == 0 ? unit : aliases != NULL ?
			    aliases[j - 1] : NULL;
			if (name == NULL)
				break;
			xasprintf(&path, "%s/%s", systemd_unit_dirs[i], name);
			full = root_path(root, path);
			/*
			 * In /etc a symlink is an alias, a mask or a linked
			 * unit, not an installed unit: use lstat there.
			 */
			if ((i == 0 ? lstat(full, &sb) : stat(full, &sb)) == 0 &&
			    S_ISREG(sb.st_mode) && sb.st_size > 0) {
				st->file = path;
				free(full);
				break;
			}
			free(full);
			free(path);
		}
	}
	st->installed = st->file != NULL;

	/* Enabled by the administrator: any .wants/.requires link in /etc. */
	if (!root_exists(root, SYSTEMD_ETC))
		goto vendor;
	if ((v = root_list_dir(root, SYSTEMD_ETC, cause)) == NULL) {
		systemd_unit_clear(st);
		return (-1);
	}
	for (i = 0; v[i] != NULL && st->link == NULL; i++) {
		if (!str_endswith(v[i], ".wants") &&
		    !str_endswith(v[i], ".requires"))
			continue;
		xasprintf(&path, "%s/%s", SYSTEMD_ETC, v[i]);
		st->link = systemd_scan_wants(root, path, unit, aliases);
		free(path);
	}
	strv_free(v);

vendor:
	/* Enabled statically by the vendor's own .wants directories. */
	for (i = 1; systemd_unit_dirs[i] != NULL && st->link == NULL; i++) {
		for (j = 0; systemd_vendor_targets[j] != NULL; j++) {
			xasprintf(&path, "%s/%s.wants/%s", systemd_unit_dirs[i],
			    systemd_vendor_targets[j], unit);
			if (root_exists(root, path)) {
				st->link = path;
				break;
			}
			free(path);
		}
	}
	st->enabled = st->link != NULL && !st->masked;
	return (0);
}

void
systemd_unit_clear(struct unit_state *st)
{
	free(st->file);
	free(st->link);
	memset(st, 0, sizeof *st);
}
