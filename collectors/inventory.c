/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The inventory collector (A.5.9, A.8.1): what this host is.  The
 * machine id (which the agent also uses as its host id), host name,
 * operating system, kernel, DMI hardware identity, disks, network
 * interfaces and the number of installed packages.
 *
 * Everything is read from files under the root, including /sys, so a
 * fixture tree can carry its own sys/ directory.  On an image without
 * /sys the hardware facts are not applicable rather than wrong; the
 * kernel comes from uname(2) and so only on the live host.  The DMI
 * serial and UUID files are readable by root only: when they cannot be
 * read, only that field carries the error.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "dpkgstatus.h"
#include "facts.h"
#include "hostfiles.h"
#include "util.h"
#include "xmalloc.h"

#define INVENTORY_DMI		"/sys/class/dmi/id"
#define INVENTORY_BLOCK		"/sys/block"
#define INVENTORY_NET		"/sys/class/net"
#define INVENTORY_SECTOR	512	/* bytes; unit of /sys/block/X/size */

/* Reads a one-line sysfs or /etc file, trimmed; NULL with *cause. */
static char *
inventory_read_line(const char *root, const char *path, char **cause)
{
	char	*buf, *s;

	if (root_read_file(root, path, &buf, NULL, cause) != 0)
		return (NULL);
	s = xstrdup(str_trim(buf));
	free(buf);
	return (s);
}

/* A machine id is 32 lower-case hex digits (machine-id(5)). */
static int
inventory_machine_id_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return (0);
	}
	return (i == 32);
}

/* The machine id, exactly as recorded, or an error. */
static json_t *
inventory_machine(struct collector_ctx *ctx)
{
	json_t	*obj;
	char	*id, *cause = NULL;

	if ((id = inventory_read_line(ctx->root, "/etc/machine-id",
	    &cause)) == NULL)
		obj = fact_error_take(cause);
	else if (*id == '\0' || strcmp(id, "uninitialized") == 0)
		obj = fact_error(json_object(),
		    "/etc/machine-id: %s (not yet initialised by "
		    "systemd-machine-id-setup)", *id == '\0' ? "empty" : id);
	else if (!inventory_machine_id_valid(id))
		obj = fact_error(json_object(),
		    "/etc/machine-id: not 32 hexadecimal digits: \"%s\"", id);
	else {
		obj = json_object();
		fact_set_str(obj, "id", id);
	}
	free(id);
	fact_source(obj, "/etc/machine-id");
	return (obj);
}

/* The host name: gethostname() live, /etc/hostname on an image. */
static json_t *
inventory_hostname(struct collector_ctx *ctx)
{
	json_t	*obj;
	char	 host[HOST_NAME_MAX + 1], *name, *cause = NULL;

	if (ctx->live) {
		if (gethostname(host, sizeof host) == -1) {
			obj = fact_error(json_object(), "gethostname: %s",
			    strerror(errno));
		} else {
			host[sizeof host - 1] = '\0';
			obj = json_object();
			fact_set_str(obj, "name", host);
		}
		fact_source(obj, "gethostname()");
		return (obj);
	}
	if ((name = inventory_read_line(ctx->root, "/etc/hostname",
	    &cause)) == NULL)
		obj = fact_error_take(cause);
	else if (*name == '\0')
		obj = fact_error(json_object(), "/etc/hostname: empty");
	else {
		obj = json_object();
		fact_set_str(obj, "name", name);
	}
	free(name);
	fact_source(obj, "/etc/hostname");
	return (obj);
}

/* Sets key to s, or to JSON null when the field was absent. */
static void
inventory_set_opt(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s != NULL ? json_string(s) : json_null());
}

/* The operating system from os-release. */
static json_t *
inventory_os(struct collector_ctx *ctx)
{
	struct os_release	 osr;
	json_t			*obj;
	char			*cause = NULL;

	if (os_release_read(ctx->root, &osr, &cause) != 0) {
		obj = fact_error_take(cause);
		fact_source(obj, "/etc/os-release");
		return (obj);
	}
	obj = json_object();
	inventory_set_opt(obj, "id", osr.id);
	inventory_set_opt(obj, "name", osr.name);
	inventory_set_opt(obj, "pretty_name", osr.pretty_name);
	inventory_set_opt(obj, "version_id", osr.version_id);
	inventory_set_opt(obj, "codename", osr.codename);
	fact_source(obj, "%s", osr.source);
	os_release_clear(&osr);
	return (obj);
}

/* The running kernel: uname(2), so only on the live host. */
static json_t *
inventory_kernel(struct collector_ctx *ctx)
{
	struct utsname	 u;
	json_t		*obj;

	if (!ctx->live)
		return (fact_na_ja(fact_na(json_object(),
		    "measurable only on the live host"),
		    "稼働中のホストでのみ測定できる"));
	if (uname(&u) == -1)
		return (fact_error(json_object(), "uname: %s",
		    strerror(errno)));
	obj = json_object();
	fact_set_str(obj, "release", u.release);
	fact_set_str(obj, "version", u.version);
	fact_set_str(obj, "arch", u.machine);
	fact_source(obj, "uname(2)");
	return (obj);
}

/* No /sys in an image is not applicable; on the live host, an error. */
static json_t *
inventory_sys_missing(struct collector_ctx *ctx, const char *dir, char *cause)
{
	json_t	*obj;

	if (!ctx->live) {
		obj = fact_na(json_object(), "%s not present in the image "
		    "(measurable only on the live host)", dir);
		fact_na_ja(obj, "イメージに %s がない(稼働中のホストでのみ"
		    "測定できる)", dir);
		free(cause);
	} else
		obj = fact_error_take(cause);
	fact_source(obj, "%s", dir);
	return (obj);
}

/* DMI identity; a field that cannot be read carries its own error. */
static json_t *
inventory_hw(struct collector_ctx *ctx)
{
	static const char *const fields[] = { "sys_vendor", "product_name",
	    "product_version", "product_serial", "product_uuid",
	    "bios_vendor", "bios_version", "bios_date", "board_vendor",
	    "board_name", "chassis_type", NULL };
	json_t	*obj;
	char	*path, *v, *cause = NULL;
	size_t	 i;

	if (!root_exists(ctx->root, INVENTORY_DMI)) {
		/* Not every machine has SMBIOS (many ARM boards, some VMs). */
		obj = fact_na(json_object(), "no DMI table (%s absent)%s",
		    INVENTORY_DMI, ctx->live ? "" :
		    "; measurable only on the live host");
		fact_na_ja(obj, "DMI テーブルがない(%s がない)%s",
		    INVENTORY_DMI, ctx->live ? "" :
		    "。稼働中のホストでのみ測定できる");
		fact_source(obj, INVENTORY_DMI);
		return (obj);
	}
	obj = json_object();
	for (i = 0; fields[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", INVENTORY_DMI, fields[i]);
		cause = NULL;
		if (!root_exists(ctx->root, path))
			json_object_set_new(obj, fields[i], json_null());
		else if ((v = inventory_read_line(ctx->root, path,
		    &cause)) != NULL) {
			fact_set_str(obj, fields[i], v);
			free(v);
		} else
			json_object_set_new(obj, fields[i],
			    fact_error_take(cause));
		free(path);
	}
	fact_source(obj, INVENTORY_DMI);
	return (obj);
}

/* Block devices that are disks: not loop, ram or zram. */
static json_t *
inventory_disks(struct collector_ctx *ctx)
{
	json_t		*obj, *arr, *d;
	char		**names, *path, *v, *cause = NULL, *end;
	long long	 sectors;
	size_t		 i;

	if ((names = root_list_dir(ctx->root, INVENTORY_BLOCK,
	    &cause)) == NULL)
		return (inventory_sys_missing(ctx, INVENTORY_BLOCK, cause));
	obj = json_object();
	arr = json_array();
	for (i = 0; names[i] != NULL; i++) {
		if (str_startswith(names[i], "loop") ||
		    str_startswith(names[i], "ram") ||
		    str_startswith(names[i], "zram"))
			continue;
		d = json_object();
		fact_set_str(d, "name", names[i]);

		xasprintf(&path, "%s/%s/size", INVENTORY_BLOCK, names[i]);
		if ((v = inventory_read_line(ctx->root, path, NULL)) != NULL) {
			errno = 0;
			sectors = strtoll(v, &end, 10);
			if (errno == 0 && *end == '\0' && sectors >= 0)
				fact_set_int(d, "size_bytes",
				    sectors * INVENTORY_SECTOR);
		}
		free(v);
		free(path);

		xasprintf(&path, "%s/%s/device/model", INVENTORY_BLOCK,
		    names[i]);
		v = inventory_read_line(ctx->root, path, NULL);
		inventory_set_opt(d, "model", v);
		free(v);
		free(path);

		xasprintf(&path, "%s/%s/removable", INVENTORY_BLOCK, names[i]);
		if ((v = inventory_read_line(ctx->root, path, NULL)) != NULL)
			fact_set_bool(d, "removable", strcmp(v, "1") == 0);
		free(v);
		free(path);

		json_array_append_new(arr, d);
	}
	strv_free(names);
	json_object_set_new(obj, "devices", arr);
	fact_source(obj, INVENTORY_BLOCK);
	return (obj);
}

/* Network interfaces and their hardware addresses, except lo. */
static json_t *
inventory_net(struct collector_ctx *ctx)
{
	json_t	*obj, *arr, *d;
	char	**names, *path, *v, *cause = NULL;
	size_t	 i;

	if ((names = root_list_dir(ctx->root, INVENTORY_NET, &cause)) == NULL)
		return (inventory_sys_missing(ctx, INVENTORY_NET, cause));
	obj = json_object();
	arr = json_array();
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], "lo") == 0)
			continue;
		xasprintf(&path, "%s/%s/address", INVENTORY_NET, names[i]);
		v = inventory_read_line(ctx->root, path, NULL);
		free(path);
		d = json_object();
		fact_set_str(d, "name", names[i]);
		inventory_set_opt(d, "mac", v);
		json_array_append_new(arr, d);
		free(v);
	}
	strv_free(names);
	json_object_set_new(obj, "interfaces", arr);
	fact_source(obj, INVENTORY_NET);
	return (obj);
}

/*
 * Installed software: a count of "install ok installed" packages.  The
 * status file's size is recorded as a cheap change indicator; the list is not
 * hashed (a hash would need the whole list, and the count is the fact).
 */
static json_t *
inventory_software(struct collector_ctx *ctx)
{
	struct stat	 sb;
	json_t		*obj;
	size_t		 n;
	char		*cause = NULL;

	if (!root_exists(ctx->root, "/var/lib/dpkg")) {
		obj = fact_na(json_object(), "no dpkg database "
		    "(/var/lib/dpkg absent): not a Debian-based system");
		fact_na_ja(obj, "dpkg データベースがない(/var/lib/dpkg が"
		    "ない): Debian 系のシステムではない");
		fact_source(obj, DPKG_STATUS_PATH);
		return (obj);
	}
	if (dpkg_status_scan(ctx->root, NULL, NULL, &n, &cause) != 0 ||
	    root_stat(ctx->root, DPKG_STATUS_PATH, &sb, &cause) != 0) {
		obj = fact_error_take(cause);
		fact_source(obj, DPKG_STATUS_PATH);
		return (obj);
	}
	obj = json_object();
	fact_set_str(obj, "manager", "dpkg");
	fact_set_int(obj, "installed", (int64_t)n);
	fact_set_int(obj, "status_size", (int64_t)sb.st_size);
	fact_source(obj, DPKG_STATUS_PATH);
	return (obj);
}

/* Returns the inventory facts; never NULL. */
static json_t *
inventory_collect(struct collector_ctx *ctx)
{
	json_t	*obj;

	obj = json_object();
	json_object_set_new(obj, "machine", inventory_machine(ctx));
	json_object_set_new(obj, "hostname", inventory_hostname(ctx));
	json_object_set_new(obj, "os", inventory_os(ctx));
	json_object_set_new(obj, "kernel", inventory_kernel(ctx));
	json_object_set_new(obj, "hw", inventory_hw(ctx));
	json_object_set_new(obj, "disks", inventory_disks(ctx));
	json_object_set_new(obj, "network", inventory_net(ctx));
	json_object_set_new(obj, "software", inventory_software(ctx));
	return (obj);
}

const struct collector collector_inventory = {
	.name = "inventory",
	.collect = inventory_collect,
};
