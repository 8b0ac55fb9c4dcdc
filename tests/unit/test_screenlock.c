/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the screen_lock collector on the screenlock-* fixture
 * trees (dconf databases built by the real `dconf compile`) and on
 * small trees written here when a case needs mtimes or a mix of files.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>
#include <cmocka.h>

#include "collector.h"
#include "unit.h"
#include "util.h"
#include "xmalloc.h"

extern const struct collector collector_screen_lock;

static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_screen_lock, root, UNIT_NOW));
}

static json_t *
collect(const char *fixture)
{
	return (unit_collect(&collector_screen_lock, fixture, UNIT_NOW));
}

/* The users[] entry of name on desktop (NULL: any), or NULL. */
static json_t *
user(json_t *f, const char *name, const char *desktop)
{
	json_t	*u;
	size_t	 i;

	json_array_foreach(json_object_get(f, "users"), i, u) {
		if (strcmp(json_string_value(json_object_get(u, "name")),
		    name) != 0)
			continue;
		if (desktop == NULL || strcmp(json_string_value(
		    json_object_get(u, "desktop")), desktop) == 0)
			return (u);
	}
	return (NULL);
}

static const char *
setting_source(json_t *u, const char *key)
{
	json_t	*s;

	s = json_object_get(json_object_get(u, "settings"), key);
	if (s == NULL)
		fail_msg("setting %s missing", key);
	return (json_string_value(json_object_get(s, "source")));
}

/* Copies a fixture file into a temporary tree. */
static void
copy(const char *root, const char *from, const char *to)
{
	char	*buf, *cause = NULL, *full;
	size_t	 len;
	FILE	*fp;

	if (root_read_file(FIXTURES, from, &buf, &len, &cause) != 0)
		fail_msg("%s", cause);
	unit_put(root, to, "");
	xasprintf(&full, "%s%s", root, to);
	fp = fopen(full, "w");
	fwrite(buf, 1, len, fp);
	fclose(fp);
	free(full);
	free(buf);
}

static void
set_mtime(const char *root, const char *path, time_t t)
{
	struct utimbuf	 ub = { t, t };
	char		*full;

	xasprintf(&full, "%s%s", root, path);
	assert_int_equal(utime(full, &ub), 0);
	free(full);
}

static char *
tmptree(void)
{
	char	*d = unit_tmpdir("test_screenlock");

	unit_put(d, "/etc/passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\n"
	    "alice:x:1000:1000::/home/alice:/bin/bash\n"
	    "bob:x:1001:1001::/home/bob:/bin/bash\n");
	return (d);
}

/* Nothing set: the GNOME defaults, 300 s idle, lock on. */
static void
test_gnome_default(void **state)
{
	json_t	*f = collect("screenlock-gnome-default"), *u;

	assert_null(json_object_get(f, "_error"));
	assert_true(json_is_true(json_object_get(f, "desktop_installed")));
	u = user(f, "alice", "gnome");
	assert_non_null(u);
	assert_int_equal(unit_int(u, "idle_delay_s"), 300);
	assert_int_equal(unit_int(u, "effective_s"), 300);
	assert_true(json_is_true(json_object_get(u, "lock_enabled")));
	assert_true(json_is_false(json_object_get(u, "enforced")));
	assert_string_equal(setting_source(u,
	    "/org/gnome/desktop/session/idle-delay"), "default");
	/* Only interactive accounts: no daemon, no Debian-gdm. */
	assert_null(user(f, "daemon", NULL));
	assert_null(user(f, "Debian-gdm", NULL));
	assert_non_null(user(f, "root", NULL));
	json_decref(f);
}

/* The user's own idle-delay 0 wins over nothing locked: never. */
static void
test_gnome_user_override(void **state)
{
	json_t	*f = collect("screenlock-gnome-user-override"), *u;

	u = user(f, "alice", "gnome");
	assert_int_equal(unit_int(u, "idle_delay_s"), 0);
	assert_true(json_is_null(json_object_get(u, "effective_s")));
	assert_string_equal(setting_source(u,
	    "/org/gnome/desktop/session/idle-delay"), "user db");
	/* root has no user db: still the default. */
	assert_int_equal(unit_int(user(f, "root", NULL), "effective_s"), 300);
	json_decref(f);
}

/* A locked system key beats the user's 3600. */
static void
test_gnome_locked(void **state)
{
	json_t	*f = collect("screenlock-gnome-locked"), *u, *sys;

	u = user(f, "alice", "gnome");
	assert_int_equal(unit_int(u, "idle_delay_s"), 600);
	assert_int_equal(unit_int(u, "effective_s"), 600);
	assert_true(json_is_true(json_object_get(u, "enforced")));
	assert_string_equal(setting_source(u,
	    "/org/gnome/desktop/session/idle-delay"), "locked system db local");
	sys = json_object_get(f, "system");
	assert_string_equal(json_string_value(json_object_get(sys, "profile")),
	    "/etc/dconf/profile/user");
	assert_int_equal(json_array_size(json_object_get(sys, "locks")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(sys, "databases"), 0), "state")), "compiled");
	json_decref(f);
}

/* A wrong-typed value is dropped by GSettings: default, and said so. */
static void
test_gnome_wrongtype(void **state)
{
	json_t	*f = collect("screenlock-gnome-wrongtype"), *u, *s;

	u = user(f, "alice", "gnome");
	assert_int_equal(unit_int(u, "idle_delay_s"), 300);
	s = json_object_get(json_object_get(u, "settings"),
	    "/org/gnome/desktop/session/idle-delay");
	assert_string_equal(json_string_value(json_object_get(s, "source")),
	    "default");
	assert_non_null(strstr(json_string_value(json_object_get(s,
	    "ignored")), "not of the schema type 'u'"));
	json_decref(f);
}

/* Keyfiles that were never compiled are used, and the fact says so. */
static void
test_gnome_uncompiled(void **state)
{
	json_t	*f = collect("screenlock-gnome-uncompiled"), *u, *db;

	u = user(f, "alice", "gnome");
	assert_int_equal(unit_int(u, "idle_delay_s"), 1800);
	assert_string_equal(setting_source(u,
	    "/org/gnome/desktop/session/idle-delay"),
	    "locked keyfile /etc/dconf/db/site.d/10-idle");
	db = json_array_get(json_object_get(json_object_get(f, "system"),
	    "databases"), 0);
	assert_string_equal(json_string_value(json_object_get(db, "state")),
	    "keyfiles");
	assert_non_null(strstr(json_string_value(json_object_get(db, "note")),
	    "missing"));
	json_decref(f);
}

/* Compiled db older than its keyfiles: keyfiles; newer: the db. */
static void
test_gnome_stale(void **state)
{
	char	*d = tmptree();
	json_t	*f, *db;

	unit_put(d, "/usr/share/xsessions/gnome.desktop", "[Desktop Entry]\n");
	unit_put(d, "/etc/dconf/profile/user",
	    "user-db:user\nsystem-db:local\n");
	copy(d, "/screenlock-gnome-locked/root/etc/dconf/db/local",
	    "/etc/dconf/db/local");
	unit_put(d, "/etc/dconf/db/local.d/00-idle",
	    "[org/gnome/desktop/session]\nidle-delay=uint32 120\n");
	set_mtime(d, "/etc/dconf/db/local.d/00-idle", 1700000000);
	set_mtime(d, "/etc/dconf/db/local.d", 1700000000);
	set_mtime(d, "/etc/dconf/db/local", 1600000000);
	f = collect_root(d);
	assert_int_equal(unit_int(user(f, "alice", NULL), "idle_delay_s"), 120);
	db = json_array_get(json_object_get(json_object_get(f, "system"),
	    "databases"), 0);
	assert_string_equal(json_string_value(json_object_get(db, "state")),
	    "keyfiles");
	assert_non_null(strstr(json_string_value(json_object_get(db, "note")),
	    "older"));
	json_decref(f);

	set_mtime(d, "/etc/dconf/db/local", 1800000000);
	f = collect_root(d);
	assert_int_equal(unit_int(user(f, "alice", NULL), "idle_delay_s"), 600);
	json_decref(f);
	unit_rmtree(d);
}

/* A truncated user db: an error for that user, never a value. */
static void
test_corrupt_gvdb(void **state)
{
	json_t	*f = collect("screenlock-corrupt-gvdb"), *u;

	u = user(f, "alice", "gnome");
	assert_non_null(strstr(json_string_value(json_object_get(u,
	    "_error")), "/home/alice/.config/dconf/user: corrupt GVDB"));
	assert_null(json_object_get(u, "effective_s"));
	assert_null(json_object_get(user(f, "root", NULL), "_error"));
	json_decref(f);
}

/* No session files: not applicable. */
static void
test_headless(void **state)
{
	json_t	*f = collect("screenlock-headless");

	assert_string_equal(json_string_value(json_object_get(f, "_na")),
	    "no graphical desktop installed");
	assert_true(json_is_false(json_object_get(f, "desktop_installed")));
	json_decref(f);
}

/* MATE counts minutes. */
static void
test_mate(void **state)
{
	json_t	*f = collect("screenlock-mate"), *u;

	u = user(f, "alice", "mate");
	assert_int_equal(unit_int(u, "idle_delay_s"), 600);
	assert_int_equal(unit_int(u, "lock_delay_s"), 60);
	assert_int_equal(unit_int(u, "effective_s"), 660);
	json_decref(f);
}

/* KDE: Timeout 30 minutes plus the 5 s grace. */
static void
test_kde(void **state)
{
	json_t	*f = collect("screenlock-kde"), *u;

	u = user(f, "alice", "kde");
	assert_int_equal(unit_int(u, "idle_delay_s"), 1800);
	assert_int_equal(unit_int(u, "lock_delay_s"), 5);
	assert_int_equal(unit_int(u, "effective_s"), 1805);
	assert_int_equal(unit_int(user(f, "root", NULL), "effective_s"), 305);
	json_decref(f);
}

/* KDE: an immutable system group hides the user's file entirely. */
static void
test_kde_immutable(void **state)
{
	char	*d = tmptree();
	json_t	*f, *u;

	unit_put(d, "/usr/share/xsessions/plasma.desktop", "[Desktop Entry]\n");
	unit_put(d, "/etc/xdg/kscreenlockerrc", "[Daemon][$i]\nTimeout=10\n");
	unit_put(d, "/home/alice/.config/kscreenlockerrc",
	    "[Daemon]\nTimeout=60\nAutolock=false\n");
	unit_put(d, "/home/bob/.config/kscreenlockerrc",
	    "[Daemon]\nAutolock=false\n");
	f = collect_root(d);
	u = user(f, "alice", NULL);
	assert_int_equal(unit_int(u, "effective_s"), 605);
	assert_true(json_is_true(json_object_get(u, "lock_enabled")));
	assert_true(json_is_true(json_object_get(u, "enforced")));
	json_decref(f);

	/* Key-level immutability only pins that key. */
	unit_put(d, "/etc/xdg/kscreenlockerrc", "[Daemon]\nTimeout[$i]=10\n");
	f = collect_root(d);
	u = user(f, "alice", NULL);
	assert_int_equal(unit_int(u, "idle_delay_s"), 600);
	assert_true(json_is_false(json_object_get(u, "lock_enabled")));
	assert_true(json_is_null(json_object_get(u, "effective_s")));
	assert_true(json_is_false(json_object_get(u, "enforced")));
	json_decref(f);
	unit_rmtree(d);
}

/* XFCE: the locked system channel wins over alice's 45 minutes. */
static void
test_xfce(void **state)
{
	json_t	*f = collect("screenlock-xfce"), *u;

	u = user(f, "alice", "xfce");
	assert_int_equal(unit_int(u, "effective_s"), 600);
	assert_true(json_is_true(json_object_get(u, "enforced")));
	json_decref(f);
}

/* XFCE: an unlocked system channel yields to the user's file. */
static void
test_xfce_unlocked(void **state)
{
	char	*d = tmptree(), *p;
	json_t	*f, *u;

	unit_put(d, "/usr/share/xsessions/xfce.desktop", "[Desktop Entry]\n");
	unit_put(d, "/usr/bin/xfce4-screensaver", "");
	unit_put(d, "/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/"
	    "xfce4-screensaver.xml",
	    "<channel name=\"xfce4-screensaver\" version=\"1.0\">\n"
	    " <property name=\"lock\" type=\"empty\">\n"
	    "  <property name=\"enabled\" type=\"bool\" value=\"false\"/>\n"
	    " </property>\n</channel>\n");
	f = collect_root(d);
	u = user(f, "alice", NULL);
	assert_true(json_is_false(json_object_get(u, "lock_enabled")));
	assert_true(json_is_null(json_object_get(u, "effective_s")));
	u = user(f, "bob", NULL);
	assert_int_equal(unit_int(u, "effective_s"), 300);
	json_decref(f);

	/* Without xfce4-screensaver the locker cannot be read. */
	xasprintf(&p, "%s/usr/bin/xfce4-screensaver", d);
	assert_int_equal(unlink(p), 0);
	free(p);
	f = collect_root(d);
	assert_non_null(strstr(json_string_value(json_object_get(user(f,
	    "alice", NULL), "_error")), "xfce4-screensaver not installed"));
	json_decref(f);
	unit_rmtree(d);
}

/* XFCE: a property locked in the system file pins only that one. */
static void
test_xfce_property_lock(void **state)
{
	char	*d = tmptree();
	json_t	*f, *u;

	unit_put(d, "/usr/share/xsessions/xfce.desktop", "[Desktop Entry]\n");
	unit_put(d, "/usr/bin/xfce4-screensaver", "");
	unit_put(d, "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/"
	    "xfce4-screensaver.xml",
	    "<channel name=\"xfce4-screensaver\" version=\"1.0\">\n"
	    " <property name=\"saver\" type=\"empty\">\n"
	    "  <property name=\"idle-activation\" type=\"empty\">\n"
	    "   <property name=\"delay\" type=\"int\" value=\"3\" "
	    "locked=\"bob;@admins\"/>\n"
	    "  </property>\n </property>\n</channel>\n");
	unit_put(d, "/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/"
	    "xfce4-screensaver.xml",
	    "<channel name=\"xfce4-screensaver\" version=\"1.0\">\n"
	    " <property name=\"saver\" type=\"empty\">\n"
	    "  <property name=\"idle-activation\" type=\"empty\">\n"
	    "   <property name=\"delay\" type=\"int\" value=\"20\"/>\n"
	    "  </property>\n </property>\n</channel>\n");
	unit_put(d, "/home/bob/.config/xfce4/xfconf/xfce-perchannel-xml/"
	    "xfce4-screensaver.xml",
	    "<channel name=\"xfce4-screensaver\" version=\"1.0\">\n"
	    " <property name=\"saver\" type=\"empty\">\n"
	    "  <property name=\"idle-activation\" type=\"empty\">\n"
	    "   <property name=\"delay\" type=\"int\" value=\"20\"/>\n"
	    "  </property>\n </property>\n</channel>\n");
	f = collect_root(d);
	u = user(f, "alice", NULL);	/* not in the locked list */
	assert_int_equal(unit_int(u, "idle_delay_s"), 1200);
	u = user(f, "bob", NULL);
	assert_int_equal(unit_int(u, "idle_delay_s"), 180);
	assert_true(json_is_false(json_object_get(u, "enforced")));
	json_decref(f);
	unit_rmtree(d);
}

/* The recorded session picks the desktop; otherwise every desktop. */
static void
test_session_choice(void **state)
{
	char	*d = tmptree();
	json_t	*f;

	unit_put(d, "/usr/share/xsessions/plasma.desktop", "[Desktop Entry]\n");
	unit_put(d, "/usr/share/wayland-sessions/gnome.desktop",
	    "[Desktop Entry]\n");
	unit_put(d, "/var/lib/AccountsService/users/alice",
	    "[User]\nSession=plasma\nSystemAccount=false\n");
	f = collect_root(d);
	assert_non_null(user(f, "alice", "kde"));
	assert_null(user(f, "alice", "gnome"));
	assert_non_null(user(f, "bob", "kde"));
	assert_non_null(user(f, "bob", "gnome"));
	assert_null(user(f, "root", NULL));	/* nologin */
	json_decref(f);
	unit_rmtree(d);
}

/* Vendor schema overrides replace the upstream default. */
static void
test_schema_override(void **state)
{
	char	*d = tmptree();
	json_t	*f, *u;

	unit_put(d, "/usr/share/xsessions/gnome.desktop", "[Desktop Entry]\n");
	unit_put(d, "/usr/share/glib-2.0/schemas/10_vendor.gschema.override",
	    "[org.gnome.desktop.session]\nidle-delay=1200\n"
	    "[org.gnome.desktop.screensaver]\nlock-delay=30\n");
	unit_put(d, "/usr/share/glib-2.0/schemas/20_site.gschema.override",
	    "# later files win\n[org.gnome.desktop.session]\n"
	    "idle-delay=600\n");
	f = collect_root(d);
	u = user(f, "alice", NULL);
	assert_int_equal(unit_int(u, "idle_delay_s"), 600);
	assert_int_equal(unit_int(u, "lock_delay_s"), 30);
	assert_int_equal(unit_int(u, "effective_s"), 630);
	assert_non_null(strstr(setting_source(u,
	    "/org/gnome/desktop/session/idle-delay"), "20_site"));
	json_decref(f);
	unit_rmtree(d);
}

/* A dconf profile naming a service-db cannot be read: error. */
static void
test_service_db(void **state)
{
	char	*d = tmptree();
	json_t	*f;

	unit_put(d, "/usr/share/xsessions/gnome.desktop", "[Desktop Entry]\n");
	unit_put(d, "/etc/dconf/profile/user",
	    "# comment\nservice-db:keyfile/user\nsystem-db:local\n");
	f = collect_root(d);
	assert_non_null(strstr(json_string_value(json_object_get(user(f,
	    "alice", NULL), "_error")), "service-db:keyfile/user"));
	json_decref(f);
	unit_rmtree(d);
}

/* A user file we cannot stat is an error, not "defaults apply". */
static void
test_unreadable_home(void **state)
{
	char	*d = tmptree(), *p;
	json_t	*f;

	unit_put(d, "/usr/share/xsessions/gnome.desktop", "[Desktop Entry]\n");
	unit_put(d, "/home/bob/x", "");
	xasprintf(&p, "%s/home/bob/.config", d);
	assert_int_equal(symlink(".config", p), 0);	/* ELOOP */
	free(p);
	f = collect_root(d);
	assert_non_null(strstr(json_string_value(json_object_get(user(f,
	    "bob", NULL), "_error")), "stat /home/bob/.config/dconf/user"));
	assert_null(json_object_get(user(f, "alice", NULL), "_error"));
	json_decref(f);
	unit_rmtree(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gnome_default),
		cmocka_unit_test(test_gnome_user_override),
		cmocka_unit_test(test_gnome_locked),
		cmocka_unit_test(test_gnome_wrongtype),
		cmocka_unit_test(test_gnome_uncompiled),
		cmocka_unit_test(test_gnome_stale),
		cmocka_unit_test(test_corrupt_gvdb),
		cmocka_unit_test(test_headless),
		cmocka_unit_test(test_mate),
		cmocka_unit_test(test_kde),
		cmocka_unit_test(test_kde_immutable),
		cmocka_unit_test(test_xfce),
		cmocka_unit_test(test_xfce_unlocked),
		cmocka_unit_test(test_xfce_property_lock),
		cmocka_unit_test(test_session_choice),
		cmocka_unit_test(test_schema_override),
		cmocka_unit_test(test_service_db),
		cmocka_unit_test(test_unreadable_home),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
