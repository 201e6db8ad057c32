/* roles: the table of what `mxhost serve` can run. */
#include "cli/roles.h"

#include <stddef.h>

const struct role *const roles[] = {
    NULL,
};
