/* Temporary: facts only, while the engine is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agentd.h"
#include "log.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct collector_ctx	 ctx = { .root = "", .live = 1 };
	json_t			*facts;
	int			 i;

	log_init("ismsctl", 1, 0);
	ctx.now = time(NULL);
	if (argc < 2 || strcmp(argv[1], "facts") != 0) {
		fprintf(stderr, "usage: ismsctl facts [--root DIR] [--now T]\n");
		return (2);
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			ctx.root = argv[++i];
			ctx.live = 0;
		} else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			if (time_parse_rfc3339(argv[++i], &ctx.now) == -1)
				return (2);
		}
	}
	facts = collectors_run(&ctx);
	json_dumpf(facts, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(facts);
	return (0);
}
