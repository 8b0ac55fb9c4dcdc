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
#include "unit.h"

extern const struct collector collector_firewall;

/* Collects the firewall facts under root. */
static json_t *
collect_root(const char *root)
{
	return (unit_collect_root(&collector_firewall, root, UNIT_NOW));
}

static json_t *
collect(const char *name)
{
	return (unit_collect(&collector_firewall, name, UNIT_NOW));
}

/* The framework named name; fails the test if absent. */
static json_t *
fw(json_t *f, const char *name)
{
	json_t	*v;

	if ((v = unit_named(json_object_get(f, "frameworks"), name)) == NULL)
		fail_msg("no framework %s", name);
	return (v);
}

static void
test_nft_drop(void **state)
{
	json_t	*f = collect("firewall-nft-drop"), *n = fw(f, "nftables");

	assert_true(unit_bool(n, "enabled"));
	assert_true(unit_bool(n, "default_deny_inbound"));
	assert_string_equal(json_string_value(json_object_get(n,
	    "input_policy")), "drop");
	/* The included set file was read and did not upset the parser. */
	assert_int_equal(json_array_size(json_object_get(n, "_sources")), 4);
	assert_int_equal(unit_int(f, "default_deny_count"), 1);
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
	assert_true(unit_bool(n, "input_final_rule_deny"));
	assert_true(unit_bool(n, "default_deny_inbound"));
	json_decref(f);
}

static void
test_nft_debian_default(void **state)
{
	json_t	*f = collect("firewall-nft-accept"), *n = fw(f, "nftables");

	assert_true(unit_bool(n, "enabled"));
	assert_false(unit_bool(n, "default_deny_inbound"));
	assert_int_equal(unit_int(n, "input_chains"), 1);
	assert_int_equal(unit_int(f, "enabled_count"), 1);
	assert_int_equal(unit_int(f, "default_deny_count"), 0);
	json_decref(f);
}

static void
test_ufw(void **state)
{
	json_t	*f = collect("firewall-ufw"), *u = fw(f, "ufw");

	assert_true(unit_bool(u, "enabled"));
	assert_true(unit_bool(u, "default_deny_inbound"));
	assert_true(unit_bool(u, "default_deny_inbound_v6"));
	assert_int_equal(unit_int(f, "default_deny_count"), 1);
	json_decref(f);

	/* Installed as shipped: ENABLED=no, so not enabled. */
	f = collect("firewall-none");
	u = fw(f, "ufw");
	assert_true(unit_bool(u, "installed"));
	assert_false(unit_bool(u, "enabled"));
	assert_false(unit_bool(fw(f, "nftables"), "enabled"));
	assert_int_equal(unit_int(f, "enabled_count"), 0);
	json_decref(f);
}

static void
test_firewalld(void **state)
{
	json_t	*f = collect("firewall-firewalld"), *d = fw(f, "firewalld");

	assert_true(unit_bool(d, "enabled"));
	assert_string_equal(json_string_value(json_object_get(d,
	    "default_zone")), "public");
	assert_string_equal(json_string_value(json_object_get(d,
	    "zone_target")), "default");
	assert_true(unit_bool(d, "default_deny_inbound"));
	json_decref(f);
}

static void
test_iptables_v6_open(void **state)
{
	json_t	*f = collect("firewall-iptables-v6-open");
	json_t	*i = fw(f, "iptables-persistent");

	assert_true(unit_bool(i, "enabled"));
	assert_true(unit_bool(i, "default_deny_inbound_v4"));
	assert_false(unit_bool(i, "default_deny_inbound_v6"));
	assert_false(unit_bool(i, "default_deny_inbound"));
	json_decref(f);
}

static void
test_nft_families(void **state)
{
	char	*tmp = unit_tmpdir("test_firewall");
	json_t	*f, *n;

	/* Flat "add" syntax, IPv4 only: IPv6 stays open. */
	unit_put(tmp, "/etc/nftables.conf",
	    "add table ip filter\n"
	    "add chain ip filter input { type filter hook input priority 0 ; "
	    "policy drop ; }\n"
	    "add rule ip filter input tcp dport { 22, 443 } accept\n");
	f = collect_root(tmp);
	n = fw(f, "nftables");
	assert_true(unit_bool(n, "default_deny_inbound_v4"));
	assert_false(unit_bool(n, "default_deny_inbound_v6"));
	assert_false(unit_bool(n, "default_deny_inbound"));
	json_decref(f);

	/* ip + ip6 tables together deny both. */
	unit_put(tmp, "/etc/nftables.conf",
	    "table ip f { chain i { type filter hook input priority 0; "
	    "policy drop; } }\n"
	    "table ip6 f {\n\tchain i {\n\t\ttype filter hook input "
	    "priority 0\n\t\tpolicy drop\n\t}\n}\n");
	f = collect_root(tmp);
	assert_true(unit_bool(fw(f, "nftables"), "default_deny_inbound"));
	json_decref(f);

	/* A missing include is an error, not a silent pass or fail. */
	unit_put(tmp, "/etc/nftables.conf", "include \"/etc/missing.nft\"\n");
	f = collect_root(tmp);
	n = fw(f, "nftables");
	assert_string_equal(json_string_value(json_object_get(n, "_error")),
	    "open /etc/missing.nft: No such file or directory");
	json_decref(f);

	unit_rmtree(tmp);
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
