/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * The patch collector on the tests/fixtures/patch-* trees (built from
 * real apt lists, see patch-mkfixtures.py), and on temporary copies
 * of them where a case needs old file times or an extra file: git
 * does not keep modification times.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "aptlists.h"
#include "collector.h"
#include "unit.h"

extern const struct collector collector_patch;

static char	tmp[] = "/tmp/test_patch.XXXXXX";

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_patch, name, UNIT_NOW));
}

/* Copy a fixture to tmp/name, run a shell command in its root. */
static json_t *
collect_copy(const char *name, const char *cmd)
{
	char	root[512];

	unit_copy_fixture(tmp, name, cmd, root, sizeof root);
	return (unit_collect_root(&collector_patch, root, UNIT_NOW));
}

static int
setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(tmp));
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return (system(cmd));
}

static void
test_uptodate(void **state)
{
	json_t	*f;

	(void)state;
	f = collect("patch-uptodate");
	assert_null(unit_path(f, "_error"));
	assert_string_equal(unit_string(f, "manager"), "dpkg");
	assert_int_equal(unit_int(f, "installed_count"), 10);
	assert_null(unit_path(f, "updates._error"));
	assert_int_equal(unit_int(f, "updates.pending_count"), 0);
	assert_int_equal(unit_int(f, "updates.security_pending_count"), 0);
	assert_int_equal(json_array_size(unit_path(f, "updates.lists")), 3);
	assert_int_equal(json_array_size(unit_path(f, "updates.pending")), 0);
	/* The stamp exists: its time is the refresh time. */
	assert_non_null(strstr(unit_string(f, "metadata.method"),
	    "update-success-stamp"));
	/* 2026-11-20 06:25:09 (End-Date), read as UTC. */
	assert_int_equal(unit_int(f, "history.last_upgrade_at"), 1795155909);
	assert_int_equal(unit_int(f, "history.last_upgrade_age_s"),
	    UNIT_NOW - 1795155909);
	assert_false(unit_bool(f, "reboot.required"));
	assert_string_equal(unit_string(f, "kernels.newest_installed"),
	    "6.1.0-56-amd64");
	assert_non_null(strstr(unit_string(f, "kernels._na"), "live host"));
	assert_true(unit_bool(f, "unattended.installed"));
	assert_true(unit_bool(f, "unattended.update_lists"));
	assert_true(unit_bool(f, "unattended.unattended_upgrade"));
	assert_true(unit_bool(f, "unattended.security_origin"));
	assert_true(unit_bool(f, "unattended.scheduled"));
	assert_string_equal(unit_string(f, "os.codename"), "bookworm");
	assert_string_equal(unit_string(f, "os.eol_date"), "2028-06-30");
	assert_true(unit_int(f, "os.days_to_eol") > 500);
	json_decref(f);
}

/* Runs the collector on root with the memo m, as isms-agentd's worker. */
static json_t *
collect_memo(const char *root, json_t *m, int *changed)
{
	struct collector_ctx	 ctx;
	json_t			*f;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = UNIT_NOW;
	ctx.memo = m;
	f = collector_patch.collect(&ctx);
	*changed = ctx.memo_changed;
	return (f);
}

/*
 * The memo: a daemon's next run reuses the pending updates while the
 * dpkg status and every file in the lists directory are the same files,
 * and computes them again after any change to any of them.
 */
static void
test_memo(void **state)
{
	json_t	*m, *f, *g, *kept;
	char	 root[512], sh[1024];
	int	 changed;
	size_t	 i;
	static const char *const changes[] = {
		"touch var/lib/apt/lists/*bookworm-security_main*Packages",
		"touch var/lib/dpkg/status",
		"touch var/lib/apt/lists/new_Packages",
		"rm var/lib/apt/lists/*bookworm-updates_main*Packages",
		"cp -p var/lib/dpkg/status s && mv s var/lib/dpkg/status",
	};

	(void)state;
	/* No memo (ismsctl check): nothing kept. */
	unit_copy_fixture(tmp, "patch-security-pending", "true", root,
	    sizeof root);
	f = collect_memo(root, NULL, &changed);
	assert_false(changed);
	json_decref(f);

	m = json_object();
	f = collect_memo(root, m, &changed);
	assert_true(changed);
	kept = json_object_get(json_object_get(m, "patch.updates"), "value");
	assert_non_null(kept);
	assert_true(json_equal(kept, unit_path(f, "updates")));
	assert_int_equal(unit_int(f, "updates.pending_count"), 2);

	/* The same files: the kept value is what comes out (marked). */
	json_object_set_new(kept, "pending_count", json_integer(999));
	g = collect_memo(root, m, &changed);
	assert_false(changed);
	assert_int_equal(unit_int(g, "updates.pending_count"), 999);
	/* The rest is read every time: the refresh time among it. */
	assert_true(json_equal(unit_path(g, "metadata"),
	    unit_path(f, "metadata")));
	json_decref(g);

	/* Any change to any input: computed again, kept again. */
	for (i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		snprintf(sh, sizeof sh, "cd '%s' && sleep 0.01 && %s", root,
		    changes[i]);
		assert_int_equal(system(sh), 0);
		kept = json_object_get(json_object_get(m, "patch.updates"),
		    "value");
		json_object_set_new(kept, "pending_count", json_integer(999));
		g = collect_memo(root, m, &changed);
		if (!changed)
			fail_msg("memo reused after: %s", changes[i]);
		assert_int_not_equal(unit_int(g, "updates.pending_count"), 999);
		json_decref(g);
	}
	/* A read error is not kept: the next run tries again. */
	json_object_clear(m);
	snprintf(sh, sizeof sh, "cd '%s'/var/lib/apt/lists && "
	    "rm *bookworm_main*Packages && mkdir x_main_Packages", root);
	assert_int_equal(system(sh), 0);
	g = collect_memo(root, m, &changed);
	assert_non_null(unit_path(g, "updates._error"));
	assert_false(changed);
	assert_null(json_object_get(m, "patch.updates"));
	json_decref(g);
	json_decref(f);
	json_decref(m);
}

static void
test_security_pending(void **state)
{
	json_t	*f, *p, *lz;
	size_t	 i;

	(void)state;
	f = collect("patch-security-pending");
	assert_int_equal(unit_int(f, "updates.pending_count"), 2);
	assert_int_equal(unit_int(f, "updates.security_pending_count"), 2);
	p = unit_path(f, "updates.pending");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(unit_string(json_array_get(p, 0), "name"),
	    "libssl3");
	assert_string_equal(unit_string(json_array_get(p, 1), "name"),
	    "openssl");
	for (i = 0; i < 2; i++) {
		assert_string_equal(unit_string(json_array_get(p, i),
		    "installed"),
		    "3.0.20-1~deb12u2");
		assert_string_equal(unit_string(json_array_get(p, i),
		    "candidate"),
		    "3.0.22-1~deb12u2");
		assert_true(unit_bool(json_array_get(p, i), "security"));
		assert_string_equal(unit_string(json_array_get(p, i), "suite"),
		    "oldstable-security");
	}

	/* The same lists compressed with lz4 give the same answer. */
	lz = collect("patch-lz4-lists");
	assert_null(unit_path(lz, "updates._error"));
	assert_true(json_equal(unit_path(lz, "updates.pending"), p));
	assert_int_equal(unit_int(lz, "updates.list_entries"),
	    unit_int(f, "updates.list_entries"));
	assert_non_null(strstr(unit_string(json_array_get(unit_path(lz,
	    "updates.lists"), 0), "name"), ".lz4"));
	json_decref(lz);
	json_decref(f);
}

static void
test_no_lists(void **state)
{
	json_t	*f;

	(void)state;
	f = collect("patch-no-lists");
	assert_non_null(strstr(unit_string(f, "updates._error"),
	    "no package lists in /var/lib/apt/lists"));
	assert_null(unit_path(f, "updates.security_pending_count"));
	assert_non_null(unit_path(f, "metadata._error"));
	json_decref(f);
}

static void
test_eol(void **state)
{
	json_t	*f;

	(void)state;
	f = collect("patch-eol");
	assert_string_equal(unit_string(f, "os.version_id"), "10");
	assert_string_equal(unit_string(f, "os.eol_date"), "2024-06-30");
	assert_true(unit_int(f, "os.days_to_eol") < 0);
	assert_false(unit_bool(f, "os.supported"));
	json_decref(f);

	/* A release missing from the table is an error, never a pass. */
	f = collect_copy("patch-uptodate", "sed -i 's/VERSION_ID=\"12\"/"
	    "VERSION_ID=\"99\"/' etc/os-release");
	assert_non_null(strstr(unit_string(f, "os._error"), "debian 99"));
	json_decref(f);
}

static void
test_reboot(void **state)
{
	json_t	*f, *pk;

	(void)state;
	f = collect_copy("patch-reboot-required",
	    "touch -d 2026-11-10T02:00:00Z run/reboot-required");
	assert_true(unit_bool(f, "reboot.required"));
	assert_true(unit_bool(f, "reboot.flag_file"));
	assert_int_equal(unit_int(f, "reboot.age_s"), 12 * 86400);
	pk = unit_path(f, "reboot.packages");
	assert_int_equal(json_array_size(pk), 1);
	assert_string_equal(json_string_value(json_array_get(pk, 0)),
	    "linux-image-6.1.0-56-amd64");
	json_decref(f);
}

static void
test_stale_metadata(void **state)
{
	json_t	*f;

	(void)state;
	f = collect_copy("patch-stale-metadata",
	    "touch -d 2026-11-01T02:00:00Z var/lib/apt/lists/* "
	    "var/lib/apt/periodic/update-success-stamp");
	assert_int_equal(unit_int(f, "metadata.lists_age_s"), 21 * 86400);
	json_decref(f);

	/* No stamp (apt.systemd.daily never ran): the newest Release. */
	f = collect_copy("patch-stale-metadata",
	    "rm var/lib/apt/periodic/update-success-stamp && "
	    "touch -d 2026-11-01T02:00:00Z var/lib/apt/lists/* && "
	    "touch -d 2026-11-15T02:00:00Z var/lib/apt/lists/*updates_InRelease");
	assert_int_equal(unit_int(f, "metadata.lists_age_s"), 7 * 86400);
	assert_non_null(strstr(unit_string(f, "metadata.method"), "Release"));
	json_decref(f);
}

static void
test_bad_lists(void **state)
{
	json_t	*f;

	(void)state;
	/* An xz list is refused by name, not ignored. */
	f = collect_copy("patch-uptodate", "xz -k var/lib/apt/lists/"
	    "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages");
	assert_non_null(strstr(unit_string(f, "updates._error"),
	    "bookworm_main_binary-amd64_Packages.xz: .xz compression"));
	json_decref(f);

	/* A truncated lz4 list is an error naming the file. */
	f = collect_copy("patch-lz4-lists", "f=var/lib/apt/lists/"
	    "deb.debian.org_debian-security_dists_bookworm-security_main_"
	    "binary-amd64_Packages.lz4 && head -c 500 $f > x && mv x $f");
	assert_non_null(strstr(unit_string(f, "updates._error"),
	    "bookworm-security_main_binary-amd64_Packages.lz4: truncated"));
	json_decref(f);

	/* NotAutomatic lists (backports) are not upgrade candidates. */
	f = collect_copy("patch-security-pending", "cd var/lib/apt/lists && "
	    "sed -i 's/^Suite: .*/&\\nNotAutomatic: yes/' "
	    "*security*InRelease");
	assert_int_equal(unit_int(f, "updates.pending_count"), 0);
	json_decref(f);
}

static void
test_aptconf(void **state)
{
	json_t	*f;

	(void)state;
	/* A later file wins, in nested-scope syntax. */
	f = collect_copy("patch-uptodate", "printf 'APT {\\n Periodic {\\n"
	    "  Unattended-Upgrade \"0\"; // off\\n };\\n};\\n' > "
	    "etc/apt/apt.conf.d/99local");
	assert_false(unit_bool(f, "unattended.unattended_upgrade"));
	assert_true(unit_bool(f, "unattended.update_lists"));
	json_decref(f);

	/* Files apt ignores do not count. */
	f = collect_copy("patch-uptodate", "printf 'APT::Periodic::"
	    "Unattended-Upgrade \"0\";\\n' > etc/apt/apt.conf.d/99local.bak");
	assert_true(unit_bool(f, "unattended.unattended_upgrade"));
	json_decref(f);

	/* No security origin left in the patterns. */
	f = collect_copy("patch-uptodate", "sed -i '/Security/d' "
	    "etc/apt/apt.conf.d/50unattended-upgrades");
	assert_false(unit_bool(f, "unattended.security_origin"));
	assert_true(unit_int(f, "unattended.origin_patterns") >= 1);
	json_decref(f);

	/* The timer masked: nothing runs the periodic job. */
	f = collect_copy("patch-uptodate", "rm etc/systemd/system/"
	    "timers.target.wants/apt-daily-upgrade.timer");
	assert_false(unit_bool(f, "unattended.scheduled"));
	json_decref(f);
}

static void
test_history(void **state)
{
	json_t	*f;

	(void)state;
	/* No history.log: dpkg.log "upgrade" and "status installed". */
	f = collect_copy("patch-uptodate", "rm var/log/apt/history.log && "
	    "printf '2026-11-02 10:00:00 startup archives unpack\\n"
	    "2026-11-02 10:00:01 upgrade tzdata:all 2026b-0+deb12u1 "
	    "2026f-0+deb12u1\\n2026-11-02 10:00:03 status installed "
	    "tzdata:all 2026f-0+deb12u1\\n2026-11-03 11:00:00 "
	    "status half-configured x:all 1\\n' > var/log/dpkg.log");
	assert_int_equal(unit_int(f, "history.last_upgrade_at"),
	    1793613603);	/* 2026-11-02T10:00:03Z */
	json_decref(f);

	/* Entries without Upgrade/Install (a removal) do not count. */
	f = collect_copy("patch-uptodate", "printf '\\nStart-Date: "
	    "2026-11-21  09:00:00\\nRemove: x:amd64 (1)\\nEnd-Date: "
	    "2026-11-21  09:00:01\\n' >> var/log/apt/history.log");
	assert_int_equal(unit_int(f, "history.last_upgrade_at"), 1795155909);
	json_decref(f);

	/* Nothing at all: an error, not an old date. */
	f = collect_copy("patch-uptodate", "rm var/log/apt/history.log");
	assert_non_null(unit_path(f, "history._error"));
	json_decref(f);
}

struct tally {
	size_t		n;
	size_t		installed;
	uint32_t	sum;
};

static int
tally_filter(const char *name, size_t len, void *arg)
{
	/* Skip every third package to exercise the skipping scanner. */
	return (len % 3 != 0);
}

static int
tally_stanza(const struct aptlists_stanza *st, void *arg)
{
	struct tally	*t = arg;
	size_t		 i, j;

	t->n++;
	for (i = 0; i < 3; i++) {
		if (!st->have[i])
			continue;
		for (j = 0; j < st->len[i]; j++)
			t->sum = t->sum * 31 + (unsigned char)st->value[i][j];
	}
	if (st->have[3] && strstr(st->value[3], "installed") != NULL)
		t->installed++;
	return (0);
}

/*
 * A list much larger than one read or one LZ4 block, with a very long
 * line, gives the same stanzas plain and compressed, whatever the
 * chunk boundaries, and matches awk's count.
 */
static void
test_aptlists_chunks(void **state)
{
	static const char *const fields[] = { "Package", "Version",
	    "Architecture", "Status" };
	struct tally	 a, b;
	char		 cmd[2048], *cause = NULL;
	FILE		*f;
	int		 want;

	(void)state;
	if (system("command -v lz4 >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof cmd, "cd %s && L=%s/patch-uptodate/root/var/lib/"
	    "apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-"
	    "amd64_Packages && for i in $(seq 1 300); do sed \"s/^Package: "
	    "/Package: p$i-/\" $L; echo; if [ $i = 7 ]; then printf 'Package: long\\n"
	    "Depends: %%070000d\\nVersion: 1\\nArchitecture: all\\n\\n' 0; fi; "
	    "done > big && lz4 -q -f -B4 -BD big big.lz4 && "
	    "awk '/^Package: /' big | wc -l > count", tmp, FIXTURES);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s/count", tmp);
	f = fopen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &want), 1);
	fclose(f);

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(aptlists_stanzas(tmp, "/big", fields, 4, NULL,
	    tally_stanza, &a, &cause), 0);
	assert_int_equal(a.n, want);
	assert_int_equal(aptlists_stanzas(tmp, "/big.lz4", fields, 4, NULL,
	    tally_stanza, &b, &cause), 0);
	assert_int_equal(b.n, a.n);
	assert_int_equal(b.sum, a.sum);

	/* With a filter: the same stanzas survive in both forms. */
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(aptlists_stanzas(tmp, "/big", fields, 4,
	    tally_filter, tally_stanza, &a, &cause), 0);
	assert_int_equal(aptlists_stanzas(tmp, "/big.lz4", fields, 4,
	    tally_filter, tally_stanza, &b, &cause), 0);
	assert_true(a.n > 0 && a.n < (size_t)want);
	assert_int_equal(b.n, a.n);
	assert_int_equal(b.sum, a.sum);

	/* Missing file: the host path and strerror. */
	assert_int_equal(aptlists_stanzas(tmp, "/nonexistent", fields, 4,
	    NULL, tally_stanza, &a, &cause), -1);
	assert_string_equal(cause, "open /nonexistent: No such file or "
	    "directory");
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uptodate),
		cmocka_unit_test(test_security_pending),
		cmocka_unit_test(test_no_lists),
		cmocka_unit_test(test_eol),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_stale_metadata),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_aptconf),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_aptlists_chunks),
		cmocka_unit_test(test_memo),
	};
	return (cmocka_run_group_tests(tests, setup, teardown));
}
