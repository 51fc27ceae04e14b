#ifndef TICKROUTER_MEMORY_HINTS_H
#define TICKROUTER_MEMORY_HINTS_H

/// Asks the CPU to start bringing the cache line at `address` in, ahead of a read: a hint that
/// never faults and changes nothing the program computes. Swift has no spelling for it; inlined.
static inline __attribute__((always_inline)) void tr_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
