// The NATS C client (https://github.com/nats-io/nats.c), Debian package libnats-dev.
// Only compiled when the package trait NATS is enabled.
#ifndef TICKROUTER_CNATS_SHIM_H
#define TICKROUTER_CNATS_SHIM_H
#include <nats/nats.h>
#endif
