/* PLACEHOLDER: gvdb is being written. */
#include "gvdb.h"
extern int gvdb_placeholder;
