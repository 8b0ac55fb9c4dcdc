/* PLACEHOLDER: debversion is being written. */
#include "debversion.h"
extern int debversion_placeholder;
