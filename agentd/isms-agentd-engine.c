/*
 * Copyright (c) 2026 The isms-agent authors. ISC licence, see LICENSE.
 *
 * isms-agentd-engine: the engine process of isms-agentd, started by the
 * parent (never by hand) with the socketpair to it on PROC_IPC_FD.
 *
 * A binary of its own so that each process maps only the libraries it
 * uses: the parent (collectors, configuration) does not load SQLite,
 * the engine does not carry the collectors, and neither loads libcurl
 * (isms-agentd-net).  An idle daemon's memory is mostly these mappings.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"

int
main(int argc, char **argv)
{
	struct engine_args	 ea;
	const char		*name = NULL;
	int			 ch;

	memset(&ea, 0, sizeof ea);
	ea.syslog_ident = "isms-agentd";
	ea.syslog_facility = LOG_DAEMON;
	while ((ch = getopt(argc, argv, "dvP:u:S:C:G:I:F:")) != -1) {
		switch (ch) {
		case 'd': ea.foreground = 1; break;
		case 'v': ea.verbose = 1; break;
		case 'P': name = optarg; break;
		case 'u': ea.user = optarg; break;
		case 'S': ea.store = optarg; break;
		case 'C': ea.control = optarg; break;
		case 'G': ea.group = optarg; break;
		case 'I': ea.syslog_ident = optarg; break;
		case 'F': ea.syslog_facility = atoi(optarg); break;
		default:
			goto usage;
		}
	}
	if (name == NULL || strcmp(name, "engine") != 0 || optind != argc ||
	    ea.user == NULL || ea.store == NULL || ea.control == NULL)
		goto usage;
	engine_main(&ea);

usage:
	fprintf(stderr, "isms-agentd-engine: started by isms-agentd, not by "
	    "hand (usage: -P engine -u user -S store -C socket [-dv] "
	    "[-G group] [-I ident] [-F facility])\n");
	return (2);
}
