/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Disk encryption (A.8.24, A.8.1): is every local filesystem and every
 * swap area on a dm-crypt layer?
 *
 * The verdict rests only on what the kernel reports, never on
 * /etc/crypttab or /etc/fstab (which say what should happen at boot,
 * not what did).  For each mount in /proc/self/mountinfo the backing
 * device's major:minor leads to /sys/dev/block/MAJ:MIN, a symlink into
 * /sys/devices; from there the "slaves" directories are walked down to
 * the physical disks, so LVM-on-LUKS, LUKS-on-LVM, RAID and nested
 * stacks all resolve.  A device-mapper layer is an encryption layer
 * when its dm/uuid starts with "CRYPT-" and the type that follows is a
 * cipher type: libcryptsetup names devices "CRYPT-<TYPE>-<uuid>-<name>"
 * (format "CRYPT-%s%s%s%s%s" in lib/libdevmapper.c), and uses the same
 * prefix for VERITY and INTEGRITY targets, which encrypt nothing.
 *
 * A device is encrypted when every path from it down to a leaf crosses
 * a crypt layer: an LV spanning one LUKS PV and one plain PV is not.
 * Anything that cannot be read marks that mount with "_error".
 *
 * Btrfs (and fuseblk) report an anonymous 0:NN device in mountinfo, so
 * they are resolved through the mount source (/dev/mapper/x, /dev/dm-N,
 * /dev/disk/by-uuid/...) and, for btrfs, every member device listed in
 * /sys/fs/btrfs/<fsid>/devices.  Swap files and loop devices are as
 * safe as the filesystem holding their backing file.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "facts.h"
#include "util.h"
#include "xmalloc.h"

#define DISK_MAX_DEPTH	16	/* layers below a mount; guards loops */
#define DISK_MAX_LINKS	40	/* symlinks followed resolving one path */

/* Filesystems that hold no local data at rest. */
static const char *disk_ignored_fs[] = {
	"tmpfs", "devtmpfs", "ramfs", "proc", "sysfs", "overlay", "squashfs",
	"iso9660", "udf", "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph",
	"glusterfs", "9p", "virtiofs", "afs", "davfs", "fuse.sshfs",
	"fuse.rclone", "fuse.s3fs", "fuse.gvfsd-fuse", "fuse.portal",
	"fuse.lxcfs", "autofs", "erofs", NULL
};

/* Mount points read before any key can be entered. */
static const char *disk_exempt[] = {
	"/boot", "/boot/efi", "/efi", "/boot/firmware", NULL
};

struct disk_walk {
	struct collector_ctx	*ctx;
	json_t			*chain;		/* layers, depth first */
	char			*cause;		/* first error, if any */
	int			 removable;
	int			 zram;
	char			*crypt_type;	/* top-most crypt layer */
	char			*crypt_name;
	char			*backing;	/* loop backing file */
};

struct disk_mount {
	char	*point;
	char	*fsroot;
	char	*fstype;
	char	*source;
	char	*devno;
	int	 major;
};

/* Is s one of the strings in v? */
static int
disk_in(const char *s, const char **v)
{
	for (; *v != NULL; v++) {
		if (strcmp(s, *v) == 0)
			return (1);
	}
	return (0);
}

/* Decodes the octal escapes (\040) of mountinfo and /proc/swaps in place. */
static char *
disk_unescape(char *s)
{
	char	*r = s, *w = s;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
		    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
			    (r[3] - '0'));
			r += 4;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (s);
}

/* Removes ".", ".." and repeated slashes from an absolute path in place. */
static void
disk_normalise(char *path)
{
	char	*r = path, *w = path, *seg;
	size_t	 len;

	while (*r != '\0') {
		while (*r == '/')
			r++;
		if (*r == '\0')
			break;
		seg = r;
		while (*r != '/' && *r != '\0')
			r++;
		len = r - seg;
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (w > path && *--w != '/')
				;
			continue;
		}
		*w++ = '/';
		memmove(w, seg, len);
		w += len;
	}
	if (w == path)
		*w++ = '/';
	*w = '\0';
}

/*
 * Follows the symlinks of the last component of a host path under the
 * root, lexically, so that absolute links stay inside the root.
 * Returns a new host path, or NULL with *cause set.
 */
static char *
disk_resolve(const char *root, const char *path, int must_link, char **cause)
{
	char	 target[PATH_MAX], *cur, *full, *next, *slash;
	ssize_t	 n;
	int	 i;

	cur = xstrdup(path);
	for (i = 0; i < DISK_MAX_LINKS; i++) {
		full = root_path(root, cur);
		n = readlink(full, target, sizeof target - 1);
		free(full);
		if (n == -1) {
			/* Not a link: done; absent /dev node: use its name. */
			if ((errno == EINVAL && (i > 0 || !must_link)) ||
			    (errno == ENOENT && !must_link))
				return (cur);
			xasprintf(cause, "readlink %s: %s", cur,
			    strerror(errno));
			free(cur);
			return (NULL);
		}
		target[n] = '\0';
		if (target[0] == '/')
			next = xstrdup(target);
		else {
			if ((slash = strrchr(cur, '/')) != NULL)
				*slash = '\0';
			xasprintf(&next, "%s/%s", cur, target);
		}
		free(cur);
		disk_normalise(next);
		cur = next;
	}
	xasprintf(cause, "readlink %s: %s", path, strerror(ELOOP));
	free(cur);
	return (NULL);
}

/* Reads a one-line sysfs attribute; a new trimmed string or NULL. */
static char *
disk_attr(struct collector_ctx *ctx, const char *dir, const char *name,
    char **cause)
{
	char	*path, *buf, *val;

	xasprintf(&path, "%s/%s", dir, name);
	if (root_read_file(ctx->root, path, &buf, NULL, cause) != 0) {
		free(path);
		return (NULL);
	}
	free(path);
	val = xstrdup(str_trim(buf));
	free(buf);
	return (val);
}

/* Does sysfs directory dir have an entry called name? */
static int
disk_has(struct collector_ctx *ctx, const char *dir, const char *name)
{
	char	*path;
	int	 r;

	xasprintf(&path, "%s/%s", dir, name);
	r = root_exists(ctx->root, path);
	free(path);
	return (r);
}

/* Records the first error of a walk; takes ownership of cause. */
static void
disk_walk_error(struct disk_walk *w, char *cause)
{
	if (w->cause == NULL)
		w->cause = cause;
	else
		free(cause);
}

/*
 * Classifies a device-mapper layer by its dm/uuid.  Returns 1 for a
 * cipher layer (and sets *type to "LUKS2" etc.), else 0.
 */
static int
disk_dm_kind(const char *uuid, const char **kind, char **prefix, char **type)
{
	const char	*p;
	size_t		 len;

	*type = NULL;
	if (str_startswith(uuid, "CRYPT-")) {
		p = uuid + 6;
		len = strcspn(p, "-");
		*type = xstrndup(p, len);
		*prefix = xstrndup(uuid, 6 + len);
		if (strcmp(*type, "VERITY") == 0) {
			*kind = "verity";
			return (0);
		}
		if (strcmp(*type, "INTEGRITY") == 0 ||
		    strcmp(*type, "SUBDEV") == 0) {
			*kind = "integrity";
			return (0);
		}
		if (strcmp(*type, "TEMP") == 0) {
			*kind = "dm";
			return (0);
		}
		*kind = "crypt";
		return (1);
	}
	len = strcspn(uuid, "-");
	*prefix = xstrndup(uuid, len);
	if (strcmp(*prefix, "LVM") == 0)
		*kind = "lvm";
	else if (strcmp(*prefix, "mpath") == 0)
		*kind = "multipath";
	else if (str_startswith(*prefix, "part"))
		*kind = "part";
	else
		*kind = "dm";
	return (0);
}

/*
 * Walks one block device (kernel name) and everything below it.
 * Returns 1 if every path down to a leaf crosses a crypt layer, else 0;
 * read failures are recorded in w->cause.
 */
static int
disk_walk(struct disk_walk *w, const char *name, int depth)
{
	struct collector_ctx	*ctx = w->ctx;
	json_t			*layer;
	char			*link, *dev, *uuid, *dmname, *prefix, *type;
	char			*val, *parent, *slash, **slaves, *cause = NULL;
	const char		*kind = "disk";
	int			 crypt = 0, all = 1, r;
	size_t			 i;

	if (depth >= DISK_MAX_DEPTH) {
		xasprintf(&cause, "block device stack below %s deeper than %d",
		    name, DISK_MAX_DEPTH);
		disk_walk_error(w, cause);
		return (0);
	}
	xasprintf(&link, "/sys/class/block/%s", name);
	dev = disk_resolve(ctx->root, link, 1, &cause);
	free(link);
	if (dev == NULL) {
		disk_walk_error(w, cause);
		return (0);
	}

	layer = json_object();
	fact_set_str(layer, "name", name);
	fact_set_int(layer, "depth", depth);
	json_array_append_new(w->chain, layer);

	if (str_startswith(name, "dm-")) {
		if ((uuid = disk_attr(ctx, dev, "dm/uuid", &cause)) == NULL) {
			disk_walk_error(w, cause);
			free(dev);
			return (0);
		}
		if ((dmname = disk_attr(ctx, dev, "dm/name", &cause)) == NULL)
			disk_walk_error(w, cause);
		else
			fact_set_str(layer, "dm_name", dmname);
		crypt = disk_dm_kind(uuid, &kind, &prefix, &type);
		fact_set_str(layer, "dm_uuid_prefix", prefix);
		if (type != NULL)
			fact_set_str(layer, "crypt_type", type);
		if (crypt && w->crypt_type == NULL) {
			w->crypt_type = xstrdup(type);
			w->crypt_name = xstrdup(dmname != NULL ? dmname : name);
		}
		free(prefix);
		free(type);
		free(dmname);
		free(uuid);
	} else if (str_startswith(name, "md") && disk_has(ctx, dev, "md")) {
		kind = "raid";
	} else if (str_startswith(name, "zram")) {
		kind = "zram";
		w->zram = 1;
	} else if (str_startswith(name, "loop")) {
		kind = "loop";
		if ((val = disk_attr(ctx, dev, "loop/backing_file",
		    &cause)) == NULL)
			disk_walk_error(w, cause);
		else {
			fact_set_str(layer, "backing_file", val);
			if (w->backing == NULL)
				w->backing = val;
			else
				free(val);
		}
	} else if (disk_has(ctx, dev, "partition")) {
		fact_set_str(layer, "kind", "part");
		/* A partition's parent disk is its parent sysfs directory. */
		parent = xstrdup(dev);
		if ((slash = strrchr(parent, '/')) != NULL)
			*slash = '\0';
		slash = strrchr(parent, '/');
		r = disk_walk(w, slash != NULL ? slash + 1 : parent, depth + 1);
		free(parent);
		free(dev);
		return (r);
	} else {
		if (strstr(dev, "/usb") != NULL) {
			w->removable = 1;
			fact_set_bool(layer, "usb", 1);
		}
		if ((val = disk_attr(ctx, dev, "removable", &cause)) == NULL)
			disk_walk_error(w, cause);
		else {
			if (strcmp(val, "1") == 0)
				w->removable = 1;
			fact_set_bool(layer, "removable", strcmp(val, "1") == 0);
			free(val);
		}
	}
	fact_set_str(layer, "kind", kind);

	xasprintf(&link, "%s/slaves", dev);
	slaves = root_list_dir(ctx->root, link, &cause);
	free(link);
	free(dev);
	if (slaves == NULL) {
		disk_walk_error(w, cause);
		return (crypt);
	}
	if (slaves[0] == NULL)
		all = 0;
	for (i = 0; slaves[i] != NULL; i++) {
		if (!disk_walk(w, slaves[i], depth + 1))
			all = 0;
	}
	strv_free(slaves);
	return (crypt || all);
}

/* Kernel name of a /dev path (following udev symlinks), or NULL. */
static char *
disk_dev_name(struct collector_ctx *ctx, const char *source, char **cause)
{
	char	*path, *name, **v, *dir, *dmname, *sys;
	size_t	 i;

	if ((path = disk_resolve(ctx->root, source, 0, cause)) == NULL)
		return (NULL);
	name = xstrdup(strrchr(path, '/') + 1);
	xasprintf(&sys, "/sys/class/block/%s", name);
	if (root_exists(ctx->root, sys)) {
		free(sys);
		free(path);
		return (name);
	}
	free(sys);
	/* /dev/mapper/NAME as a node, no /dev/dm-N: match dm/name. */
	if (str_startswith(path, "/dev/mapper/") &&
	    (v = root_list_dir(ctx->root, "/sys/block", NULL)) != NULL) {
		for (i = 0; v[i] != NULL; i++) {
			if (!str_startswith(v[i], "dm-"))
				continue;
			xasprintf(&dir, "/sys/block/%s", v[i]);
			dmname = disk_attr(ctx, dir, "dm/name", NULL);
			free(dir);
			if (dmname != NULL && strcmp(dmname, name) == 0) {
				free(dmname);
				free(name);
				name = xstrdup(v[i]);
				strv_free(v);
				free(path);
				return (name);
			}
			free(dmname);
		}
		strv_free(v);
	}
	xasprintf(cause, "no block device %s (from %s) in /sys/class/block",
	    name, source);
	free(name);
	free(path);
	return (NULL);
}

/* Kernel names of the other members of the btrfs holding device name. */
static char **
disk_btrfs_members(struct collector_ctx *ctx, const char *name)
{
	char	**fs, **dev, *dir;
	size_t	  i, j;

	if ((fs = root_list_dir(ctx->root, "/sys/fs/btrfs", NULL)) == NULL)
		return (NULL);
	for (i = 0; fs[i] != NULL; i++) {
		xasprintf(&dir, "/sys/fs/btrfs/%s/devices", fs[i]);
		dev = root_list_dir(ctx->root, dir, NULL);
		free(dir);
		if (dev == NULL)
			continue;
		for (j = 0; dev[j] != NULL; j++) {
			if (strcmp(dev[j], name) == 0) {
				strv_free(fs);
				return (dev);
			}
		}
		strv_free(dev);
	}
	strv_free(fs);
	return (NULL);
}

/* Fills a mount or swap object from a walk; frees the walk's strings. */
static void
disk_walk_finish(json_t *obj, struct disk_walk *w, int encrypted)
{
	json_object_set_new(obj, "chain", w->chain);
	fact_set_bool(obj, "removable", w->removable);
	if (w->cause != NULL) {
		fact_error(obj, "%s", w->cause);
		free(w->cause);
	} else
		fact_set_bool(obj, "encrypted", encrypted);
	if (w->crypt_type != NULL) {
		fact_set_str(obj, "crypt_type", w->crypt_type);
		fact_set_str(obj, "crypt_name", w->crypt_name);
	} else
		json_object_set_new(obj, "crypt_type", json_null());
	free(w->crypt_type);
	free(w->crypt_name);
}

/* The local mount holding a host path (longest mount point prefix). */
static json_t *
disk_holder(json_t *mounts, const char *path)
{
	json_t		*m, *best = NULL;
	const char	*p;
	size_t		 i, len, bestlen = 0;

	json_array_foreach(mounts, i, m) {
		p = json_string_value(json_object_get(m, "name"));
		if (p == NULL)
			continue;
		len = strlen(p);
		if (strcmp(p, "/") == 0)
			len = 0;
		else if (strncmp(path, p, len) != 0 ||
		    (path[len] != '/' && path[len] != '\0'))
			continue;
		if (best == NULL || len >= bestlen) {
			best = m;
			bestlen = len;
		}
	}
	return (best);
}

/*
 * Sets "encrypted" on obj from the filesystem holding file (swap files,
 * loop backing files).
 */
static void
disk_via_file(json_t *obj, json_t *mounts, const char *file)
{
	json_t	*m, *v;

	if ((m = disk_holder(mounts, file)) == NULL) {
		fact_error(obj, "no local filesystem holds %s", file);
		return;
	}
	fact_set_str(obj, "holder", json_string_value(json_object_get(m,
	    "name")));
	if ((v = json_object_get(m, "_error")) != NULL) {
		fact_error(obj, "%s", json_string_value(v));
		return;
	}
	if ((v = json_object_get(m, "encrypted")) == NULL) {
		fact_error(obj, "encryption of %s unknown", file);
		return;
	}
	json_object_set(obj, "encrypted", v);
	if ((v = json_object_get(m, "crypt_type")) != NULL)
		json_object_set(obj, "crypt_type", v);
}

/* One-line English summary of a mount's verdict, for messages. */
static void
disk_summary(json_t *obj, const char *what)
{
	json_t		*enc = json_object_get(obj, "encrypted");
	const char	*name, *type, *fstype;
	char		*s;

	name = json_string_value(json_object_get(obj, "name"));
	type = json_string_value(json_object_get(obj, "crypt_type"));
	fstype = json_string_value(json_object_get(obj, "fstype"));
	if (json_object_get(obj, "_error") != NULL)
		xasprintf(&s, "%s %s: encryption unknown", what, name);
	else if (json_is_true(enc) && type != NULL)
		xasprintf(&s, "%s %s is on dm-crypt (%s)", what, name, type);
	else if (json_is_true(enc))
		xasprintf(&s, "%s %s is on an encrypted filesystem", what,
		    name);
	else
		xasprintf(&s, "%s %s%s%s%s is not on any dm-crypt layer", what,
		    name, fstype != NULL ? " (" : "",
		    fstype != NULL ? fstype : "", fstype != NULL ? ")" : "");
	fact_set_str(obj, "summary", s);
	free(s);
}

/* Resolves one mount to its device stack; returns a new mount object. */
static json_t *
disk_mount_facts(struct collector_ctx *ctx, struct disk_mount *dm)
{
	struct disk_walk	 w;
	json_t			*obj;
	char			*cause = NULL, *name = NULL, *link, *dev;
	char			**members = NULL, *devno = NULL;
	int			 enc = 1;
	size_t			 i;

	obj = json_object();
	fact_set_str(obj, "name", dm->point);
	fact_set_str(obj, "fstype", dm->fstype);
	fact_set_str(obj, "source", dm->source);
	fact_set_str(obj, "devno", dm->devno);
	if (strcmp(dm->fsroot, "/") != 0)
		fact_set_str(obj, "fsroot", dm->fsroot);
	if (disk_in(dm->point, disk_exempt)) {
		fact_set_bool(obj, "exempt", 1);
		fact_set_str(obj, "exempt_reason", "boot files are read by the "
		    "firmware and boot loader before any key can be entered");
	} else
		fact_set_bool(obj, "exempt", 0);

	if (strcmp(dm->fstype, "zfs") == 0) {
		fact_error(obj, "ZFS dataset %s: native encryption is not "
		    "visible in sysfs (zfs get encryption)", dm->source);
		return (obj);
	}

	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.chain = json_array();
	if (dm->major != 0) {
		xasprintf(&link, "/sys/dev/block/%s", dm->devno);
		if ((dev = disk_resolve(ctx->root, link, 1, &cause)) != NULL)
			name = xstrdup(strrchr(dev, '/') + 1);
		free(dev);
		free(link);
	} else {
		/* Anonymous device (btrfs, fuseblk): go by the source. */
		if ((name = disk_dev_name(ctx, dm->source, &cause)) != NULL) {
			xasprintf(&link, "/sys/class/block/%s", name);
			devno = disk_attr(ctx, link, "dev", &cause);
			free(link);
			if (devno != NULL) {
				fact_set_str(obj, "block_devno", devno);
				free(devno);
			}
		}
		if (name != NULL && strcmp(dm->fstype, "btrfs") == 0)
			members = disk_btrfs_members(ctx, name);
	}
	if (name == NULL) {
		disk_walk_error(&w, cause);
		enc = 0;
	} else if (members != NULL) {
		for (i = 0; members[i] != NULL; i++) {
			if (!disk_walk(&w, members[i], 0))
				enc = 0;
		}
		if (i > 1)
			fact_set_int(obj, "btrfs_devices", i);
		strv_free(members);
	} else
		enc = disk_walk(&w, name, 0);
	free(name);
	if (w.backing != NULL) {
		fact_set_str(obj, "backing_file", w.backing);
		free(w.backing);
	}
	disk_walk_finish(obj, &w, enc);
	return (obj);
}

/* Is this mountinfo entry a local filesystem worth checking? */
static int
disk_local(struct disk_mount *dm)
{
	if (disk_in(dm->fstype, disk_ignored_fs))
		return (0);
	if (str_startswith(dm->fstype, "fuse.") ||
	    str_startswith(dm->fstype, "cgroup"))
		return (0);
	if (dm->major != 0)
		return (1);
	if (strcmp(dm->fstype, "zfs") == 0)
		return (1);
	return (str_startswith(dm->source, "/dev/"));
}

/*
 * Parses one mountinfo line (proc(5)): id parent maj:min root point
 * options [optional...] - fstype source superoptions.  Fields point
 * into the line.  Returns 0, or -1 if malformed.
 */
static int
disk_parse_mountinfo(char *line, struct disk_mount *dm)
{
	char	*f[6], *p, *sep;
	int	 i;

	p = line;
	for (i = 0; i < 6; i++) {
		while (*p == ' ')
			p++;
		f[i] = p;
		if ((p = strchr(p, ' ')) == NULL)
			return (-1);
		*p++ = '\0';
	}
	if ((sep = strstr(p, " - ")) == NULL &&
	    !(str_startswith(p, "- ") && (sep = p - 1) != NULL))
		return (-1);
	p = sep + 3;
	dm->fstype = p;
	if ((p = strchr(p, ' ')) == NULL)
		return (-1);
	*p++ = '\0';
	dm->source = p;
	if ((p = strchr(p, ' ')) != NULL)
		*p = '\0';
	dm->devno = f[2];
	dm->major = atoi(f[2]);
	if (strchr(f[2], ':') == NULL)
		return (-1);
	dm->fsroot = disk_unescape(f[3]);
	dm->point = disk_unescape(f[4]);
	disk_unescape(dm->source);
	return (0);
}

/* Every local mount, by mount point (an overmount replaces). */
static json_t *
disk_mounts(struct collector_ctx *ctx, json_t *top, char **cause)
{
	struct disk_mount	 dm;
	const char		*file = "/proc/self/mountinfo";
	char			*buf, *cur, *line, *c2 = NULL;
	json_t			*mounts, *m, *old;
	size_t			 i;

	if (root_read_file(ctx->root, file, &buf, NULL, cause) != 0) {
		file = "/proc/1/mountinfo";
		if (root_read_file(ctx->root, file, &buf, NULL, &c2) != 0) {
			free(c2);
			return (NULL);
		}
		free(*cause);
		*cause = NULL;
	}
	fact_source(top, "%s", file);
	mounts = json_array();
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (*line == '\0' || disk_parse_mountinfo(line, &dm) != 0)
			continue;
		if (!disk_local(&dm))
			continue;
		m = disk_mount_facts(ctx, &dm);
		json_array_foreach(mounts, i, old) {
			if (strcmp(json_string_value(json_object_get(old,
			    "name")), dm.point) == 0) {
				json_array_remove(mounts, i);
				break;
			}
		}
		json_array_append_new(mounts, m);
	}
	free(buf);

	/* Loop devices are as safe as the filesystem holding the file. */
	json_array_foreach(mounts, i, m) {
		const char *bf;

		if (json_object_get(m, "_error") != NULL ||
		    json_is_true(json_object_get(m, "encrypted")) ||
		    (bf = json_string_value(json_object_get(m,
		    "backing_file"))) == NULL)
			continue;
		disk_via_file(m, mounts, bf);
	}
	json_array_foreach(mounts, i, m)
		disk_summary(m, strcmp(json_string_value(json_object_get(m,
		    "name")), "/") == 0 ? "root filesystem" : "filesystem");
	return (mounts);
}

/* Every active swap area from /proc/swaps. */
static json_t *
disk_swaps(struct collector_ctx *ctx, json_t *mounts)
{
	struct disk_walk	 w;
	json_t			*swap, *devs, *obj;
	char			*buf, *cur, *line, *cause = NULL, *name, *type;
	int			 enc, first = 1, ok;

	swap = json_object();
	fact_source(swap, "/proc/swaps");
	if (root_read_file(ctx->root, "/proc/swaps", &buf, NULL,
	    &cause) != 0) {
		fact_error(swap, "%s", cause);
		free(cause);
		return (swap);
	}
	devs = json_array();
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		if (first) {		/* "Filename Type Size Used Priority" */
			first = 0;
			continue;
		}
		if ((name = strtok(line, " \t")) == NULL ||
		    (type = strtok(NULL, " \t")) == NULL)
			continue;
		disk_unescape(name);
		obj = json_object();
		fact_set_str(obj, "name", name);
		fact_set_str(obj, "type", type);
		json_array_append_new(devs, obj);
		if (strcmp(type, "file") == 0) {
			fact_set_str(obj, "kind", "file");
			fact_set_bool(obj, "needs_encryption", 1);
			disk_via_file(obj, mounts, name);
		} else {
			memset(&w, 0, sizeof w);
			w.ctx = ctx;
			w.chain = json_array();
			if ((name = disk_dev_name(ctx, name, &cause)) == NULL) {
				disk_walk_error(&w, cause);
				enc = 0;
			} else
				enc = disk_walk(&w, name, 0);
			free(name);
			free(w.backing);
			fact_set_str(obj, "kind", w.zram ? "zram" : "partition");
			/* zram lives in RAM and is gone at power-off. */
			fact_set_bool(obj, "needs_encryption", !w.zram);
			disk_walk_finish(obj, &w, enc);
		}
		if (json_object_get(obj, "_error") == NULL) {
			ok = json_is_true(json_object_get(obj, "encrypted")) ||
			    json_is_false(json_object_get(obj,
			    "needs_encryption"));
			fact_set_bool(obj, "ok", ok);
		}
	}
	free(buf);
	fact_set_int(swap, "count", json_array_size(devs));
	json_object_set_new(swap, "devices", devs);
	return (swap);
}

/* /etc/crypttab as supporting evidence (never used for the verdict). */
static json_t *
disk_crypttab(struct collector_ctx *ctx)
{
	json_t	*ct, *entries, *e;
	char	*buf, *cur, *line, *cause = NULL, *f[4];
	int	 i;

	ct = json_object();
	fact_source(ct, "/etc/crypttab");
	if (root_read_file(ctx->root, "/etc/crypttab", &buf, NULL,
	    &cause) != 0) {
		if (!root_exists(ctx->root, "/etc/crypttab"))
			fact_na_ja(fact_na(ct, "no /etc/crypttab"),
			    "/etc/crypttab がない");
		else
			fact_error(ct, "%s", cause);
		free(cause);
		return (ct);
	}
	entries = json_array();
	cur = buf;
	while ((line = str_nextline(&cur)) != NULL) {
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		for (i = 0; i < 4; i++)
			f[i] = strtok(i == 0 ? line : NULL, " \t");
		if (f[0] == NULL || f[1] == NULL)
			continue;
		e = json_object();
		fact_set_str(e, "name", f[0]);
		fact_set_str(e, "device", f[1]);
		if (f[2] != NULL)
			fact_set_str(e, "keyfile", f[2]);
		if (f[3] != NULL)
			fact_set_str(e, "options", f[3]);
		json_array_append_new(entries, e);
	}
	free(buf);
	json_object_set_new(ct, "entries", entries);
	return (ct);
}

/* A copy of a mount object labelled for a role ("home"). */
static json_t *
disk_role(json_t *m, const char *what)
{
	json_t	*c = json_deep_copy(m);

	disk_summary(c, what);
	return (c);
}

/*
 * Collect callback: returns {mounts, root, home, swap, data, removable,
 * crypttab}; "_error" on the whole object if mountinfo is unreadable.
 */
static json_t *
disk_collect(struct collector_ctx *ctx)
{
	json_t		*top, *mounts, *m, *data, *rem, *home, *root = NULL;
	const char	*name;
	char		*cause = NULL;
	size_t		 i;

	top = json_object();
	if ((mounts = disk_mounts(ctx, top, &cause)) == NULL) {
		fact_error(top, "%s", cause);
		free(cause);
		return (top);
	}
	fact_source(top, "/sys/dev/block");
	fact_source(top, "/sys/class/block");

	data = json_array();
	rem = json_array();
	home = NULL;
	json_array_foreach(mounts, i, m) {
		name = json_string_value(json_object_get(m, "name"));
		if (strcmp(name, "/") == 0)
			root = m;
		if (strcmp(name, "/home") == 0)
			home = m;
		if (json_is_true(json_object_get(m, "removable")))
			json_array_append(rem, m);
		else if (strcmp(name, "/") != 0 && strcmp(name, "/home") != 0 &&
		    !json_is_true(json_object_get(m, "exempt")))
			json_array_append(data, m);
	}
	if (root == NULL)
		json_object_set_new(top, "root", fact_error(json_object(),
		    "no / filesystem in mountinfo"));
	else
		json_object_set_new(top, "root", disk_role(root,
		    "root filesystem"));
	if (home == NULL && (home = disk_holder(mounts, "/home")) != NULL &&
	    json_is_true(json_object_get(home, "removable")))
		home = NULL;
	if (home == NULL)
		json_object_set_new(top, "home", fact_error(json_object(),
		    "no filesystem holds /home"));
	else {
		m = disk_role(home, "/home on filesystem");
		fact_set_bool(m, "separate", strcmp(json_string_value(
		    json_object_get(home, "name")), "/home") == 0);
		json_object_set_new(top, "home", m);
	}
	json_object_set_new(top, "swap", disk_swaps(ctx, mounts));
	json_object_set_new(top, "data", data);
	json_object_set_new(top, "removable", rem);
	json_object_set_new(top, "mounts", mounts);
	json_object_set_new(top, "crypttab", disk_crypttab(ctx));
	return (top);
}

const struct collector collector_disk = {
	.name = "disk",
	.collect = disk_collect,
};
