/* roles: the table of what `mxhost serve` can run. */
#include "cli/roles.h"

#include <stddef.h>

extern const struct role role_dns;
extern const struct role role_smtp;

const struct role *const roles[] = {
    &role_dns,
    &role_smtp,
    NULL,
};
