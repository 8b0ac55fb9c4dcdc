/* PLACEHOLDER: report.c is being written. */
#include "agentd.h"
