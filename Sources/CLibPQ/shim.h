#ifndef TRAVIS_LOGS_CLIBPQ_SHIM_H
#define TRAVIS_LOGS_CLIBPQ_SHIM_H

// libpq has no variadic entry points that the project needs, so this header only includes it.
#include <libpq-fe.h>

#endif
