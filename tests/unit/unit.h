/* unit: what every cmocka test file includes, in the order cmocka needs. */
#ifndef MXHOST_TESTS_UNIT_H
#define MXHOST_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#endif
