/* PLACEHOLDER: evaluator.c is being written. */
#include "agentd.h"
