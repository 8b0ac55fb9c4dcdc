/* PLACEHOLDER: aptlists is being written. */
#include "aptlists.h"
extern int aptlists_placeholder;
