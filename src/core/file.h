/* File helpers shared by the readers (models, .npy, .pb samples). */
#ifndef OQ_CORE_FILE_H
#define OQ_CORE_FILE_H

#include "core/error.h"

#include <stdio.h>

/* Opens path for binary reading, refusing anything but a regular file. Opening never blocks: a FIFO or device is
 * rejected instead of waiting for a writer. Errors name the path. */
FILE *oq_file_open_regular(const char *path, oq_error *err);

#endif
