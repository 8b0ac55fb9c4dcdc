/* PLACEHOLDER: config.c is being written. */
#include "agentd.h"
