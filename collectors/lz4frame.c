/* PLACEHOLDER: lz4frame is being written. */
#include "lz4frame.h"
extern int lz4frame_placeholder;
