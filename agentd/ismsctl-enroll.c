/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * ismsctl-enroll: "ismsctl enroll" (enroll.c) in a binary of its own, so
 * that ismsctl, run for every check, does not map libcurl and the
 * dozens of libraries it brings (about 6 MB of RSS and 6 ms of start-up).
 * ismsctl parses and checks the command line, then executes this with
 * the token on standard input ("--token -"), never in argv.  "--renew
 * [--if-needed] [--now T]" renews with the enrolled certificate instead
 * (no token); --now is the time --if-needed judges by.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentd.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define ENROLL_MAX_TOKEN 1024	/* bytes of a token read from stdin */

enum {
	OPT_ROOT = 256, OPT_CONFIG, OPT_SERVER, OPT_TOKEN, OPT_CA, OPT_PIN,
	OPT_RENEW, OPT_IF_NEEDED, OPT_NOW
};

static const struct option longopts[] = {
	{ "root",	required_argument,	NULL,	OPT_ROOT },
	{ "config",	required_argument,	NULL,	OPT_CONFIG },
	{ "server",	required_argument,	NULL,	OPT_SERVER },
	{ "token",	required_argument,	NULL,	OPT_TOKEN },
	{ "ca",		required_argument,	NULL,	OPT_CA },
	{ "pin",	required_argument,	NULL,	OPT_PIN },
	{ "renew",	no_argument,		NULL,	OPT_RENEW },
	{ "if-needed",	no_argument,		NULL,	OPT_IF_NEEDED },
	{ "now",	required_argument,	NULL,	OPT_NOW },
	{ NULL,		0,			NULL,	0 }
};

int
main(int argc, char **argv)
{
	struct check_opts	 o;
	struct enroll_opts	 e;
	char			 buf[ENROLL_MAX_TOKEN], *token = NULL;
	int			 ch, rc;

	log_init("ismsctl", 1, 0);
	memset(&o, 0, sizeof o);
	memset(&e, 0, sizeof e);
	o.root = "";
	o.now = time(NULL);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_ROOT:
			o.root = optarg;
			break;
		case OPT_CONFIG:
			o.config = optarg;
			break;
		case OPT_SERVER:
			e.server = optarg;
			break;
		case OPT_TOKEN:
			if (strcmp(optarg, "-") != 0) {
				fprintf(stderr, "ismsctl-enroll: the token is "
				    "read from standard input only\n");
				return (EXIT_USAGE);
			}
			if (fgets(buf, sizeof buf, stdin) == NULL) {
				fprintf(stderr, "ismsctl: no token on standard "
				    "input\n");
				return (EXIT_USAGE);
			}
			buf[strcspn(buf, "\r\n")] = '\0';
			free(token);
			token = xstrdup(buf);
			explicit_bzero(buf, sizeof buf);
			e.token = token;
			break;
		case OPT_CA:
			e.ca = optarg;
			break;
		case OPT_PIN:
			e.pin = optarg;
			break;
		case OPT_RENEW:
			e.renew = 1;
			break;
		case OPT_IF_NEEDED:
			e.if_needed = 1;
			break;
		case OPT_NOW:
			if (time_parse_rfc3339(optarg, &o.now) == -1) {
				fprintf(stderr, "ismsctl-enroll: --now: invalid "
				    "RFC 3339 time \"%s\"\n", optarg);
				return (EXIT_USAGE);
			}
			break;
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ismsctl-enroll: unexpected argument \"%s\"\n",
		    argv[optind]);
		return (EXIT_USAGE);
	}
	rc = enroll_main(&o, &e);
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return (rc);
}
