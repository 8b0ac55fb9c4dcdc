/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * Unit tests for the firewall collector on tests/fixtures/firewall-*,
 * plus nftables layouts written to a temporary root.
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
#include <cmocka.h>

#include "collector.h"

extern const struct collector collector_firewall;

/* Collects the firewall facts under root. */
static json_t *
collect_root(const char *root)
{
	struct collector_ctx	 ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.root = root;
	ctx.now = 1795317600;	/* 2026-11-22T02:00:00Z */
	return (collector_firewall.collect(&ctx));
}

static json_t *
collect(const char *name)
{
	char	root[1024];

	snprintf(root, sizeof root, "%s/%s/root", FIXTURES, name);
	return (collect_root(root));
}

/* The framework named name; fails the test if absent. */
static json_t *
fw(json_t *f, const char *name)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(json_object_get(f, "frameworks"), i, v) {
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    name) == 0)
			return (v);
	}
	fail_msg("no framework %s", name);
	return (NULL);
}

static int
is_true(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		fail_msg("no %s (error: %s)", key, json_string_value(
		    json_object_get(o, "_error")));
	return (json_is_true(v));
}

static int64_t
count(json_t *f, const char *key)
{
	return (json_integer_value(json_object_get(f, key)));
}

static void
test_nft_drop(void **state)
{
	json_t	*f = collect("firewall-nft-drop"), *n = fw(f, "nftables");

	assert_true(is_true(n, "enabled"));
	assert_true(is_true(n, "default_deny_inbound"));
	assert_string_equal(json_string_value(json_object_get(n,
	    "input_policy")), "drop");
	/* The included set file was read and did not upset the parser. */
	assert_int_equal(json_array_size(json_object_get(n, "_sources")), 4);
	assert_int_equal(count(f, "default_deny_count"), 1);
	json_decref(f);
}

static void
test_nft_workstation(void **state)
{
	json_t	*f = collect("firewall-nft-workstation");
	json_t	*n = fw(f, "nftables");

	/* Policy accept, but the chain ends in "counter drop". */
	assert_string_equal(json_string_value(json_object_get(n,
	    "input_policy")), "accept");
	assert_true(is_true(n, "input_final_rule_deny"));
	assert_true(is_true(n, "default_deny_inbound"));
	json_decref(f);
}

static void
test_nft_debian_default(void **state)
{
	json_t	*f = collect("firewall-nft-accept"), *n = fw(f, "nftables");

	assert_true(is_true(n, "enabled"));
	assert_false(is_true(n, "default_deny_inbound"));
	assert_int_equal(count(n, "input_chains"), 1);
	assert_int_equal(count(f, "enabled_count"), 1);
	assert_int_equal(count(f, "default_deny_count"), 0);
	json_decref(f);
}

static void
test_ufw(void **state)
{
	json_t	*f = collect("firewall-ufw"), *u = fw(f, "ufw");

	assert_true(is_true(u, "enabled"));
	assert_true(is_true(u, "default_deny_inbound"));
	assert_true(is_true(u, "default_deny_inbound_v6"));
	assert_int_equal(count(f, "default_deny_count"), 1);
	json_decref(f);

	/* Installed as shipped: ENABLED=no, so not enabled. */
	f = collect("firewall-none");
	u = fw(f, "ufw");
	assert_true(is_true(u, "installed"));
	assert_false(is_true(u, "enabled"));
	assert_false(is_true(fw(f, "nftables"), "enabled"));
	assert_int_equal(count(f, "enabled_count"), 0);
	json_decref(f);
}

static void
test_firewalld(void **state)
{
	json_t	*f = collect("firewall-firewalld"), *d = fw(f, "firewalld");

	assert_true(is_true(d, "enabled"));
	assert_string_equal(json_string_value(json_object_get(d,
	    "default_zone")), "public");
	assert_string_equal(json_string_value(json_object_get(d,
	    "zone_target")), "default");
	assert_true(is_true(d, "default_deny_inbound"));
	json_decref(f);
}

static void
test_iptables_v6_open(void **state)
{
	json_t	*f = collect("firewall-iptables-v6-open");
	json_t	*i = fw(f, "iptables-persistent");

	assert_true(is_true(i, "enabled"));
	assert_true(is_true(i, "default_deny_inbound_v4"));
	assert_false(is_true(i, "default_deny_inbound_v6"));
	assert_false(is_true(i, "default_deny_inbound"));
	json_decref(f);
}

/* Writes text to root/path, creating /etc. */
static void
put(const char *root, const char *path, const char *text)
{
	char	 full[1200];
	FILE	*fp;

	snprintf(full, sizeof full, "%s/etc", root);
	mkdir(full, 0755);
	snprintf(full, sizeof full, "%s%s", root, path);
	assert_non_null(fp = fopen(full, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
test_nft_families(void **state)
{
	char	 tmp[] = "/tmp/test_firewall.XXXXXX", path[1200];
	json_t	*f, *n;

	assert_non_null(mkdtemp(tmp));
	/* Flat "add" syntax, IPv4 only: IPv6 stays open. */
	put(tmp, "/etc/nftables.conf",
	    "add table ip filter\n"
	    "add chain ip filter input { type filter hook input priority 0 ; "
	    "policy drop ; }\n"
	    "add rule ip filter input tcp dport { 22, 443 } accept\n");
	f = collect_root(tmp);
	n = fw(f, "nftables");
	assert_true(is_true(n, "default_deny_inbound_v4"));
	assert_false(is_true(n, "default_deny_inbound_v6"));
	assert_false(is_true(n, "default_deny_inbound"));
	json_decref(f);

	/* ip + ip6 tables together deny both. */
	put(tmp, "/etc/nftables.conf",
	    "table ip f { chain i { type filter hook input priority 0; "
	    "policy drop; } }\n"
	    "table ip6 f {\n\tchain i {\n\t\ttype filter hook input "
	    "priority 0\n\t\tpolicy drop\n\t}\n}\n");
	f = collect_root(tmp);
	assert_true(is_true(fw(f, "nftables"), "default_deny_inbound"));
	json_decref(f);

	/* A missing include is an error, not a silent pass or fail. */
	put(tmp, "/etc/nftables.conf", "include \"/etc/missing.nft\"\n");
	f = collect_root(tmp);
	n = fw(f, "nftables");
	assert_string_equal(json_string_value(json_object_get(n, "_error")),
	    "open /etc/missing.nft: No such file or directory");
	json_decref(f);

	snprintf(path, sizeof path, "%s/etc/nftables.conf", tmp);
	unlink(path);
	snprintf(path, sizeof path, "%s/etc", tmp);
	rmdir(path);
	rmdir(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_drop),
		cmocka_unit_test(test_nft_workstation),
		cmocka_unit_test(test_nft_debian_default),
		cmocka_unit_test(test_ufw),
		cmocka_unit_test(test_firewalld),
		cmocka_unit_test(test_iptables_v6_open),
		cmocka_unit_test(test_nft_families),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
