/* PLACEHOLDER: expr.c is being written. */
#include "agentd.h"
