/* PLACEHOLDER: policy.c is being written. */
#include "agentd.h"
