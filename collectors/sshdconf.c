/* PLACEHOLDER: sshdconf is being written. */
#include "sshdconf.h"
extern int sshdconf_placeholder;
