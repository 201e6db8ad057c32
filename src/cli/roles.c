/* roles: the table of what `mxhost serve` can run. */
#include "cli/roles.h"

#include <stddef.h>

extern const struct role role_dns;

const struct role *const roles[] = {
    &role_dns,
    NULL,
};
