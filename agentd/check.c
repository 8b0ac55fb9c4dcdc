/* PLACEHOLDER: check.c is being written. */
#include "agentd.h"
