/* PLACEHOLDER: store.c is being written. */
#include "agentd.h"
