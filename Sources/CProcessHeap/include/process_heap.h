#ifndef TICKROUTER_PROCESS_HEAP_H
#define TICKROUTER_PROCESS_HEAP_H

#include <stddef.h>

/// The malloc heap's figures in bytes (glibc's mallinfo2; zero elsewhere).
typedef struct {
    /// Bytes in allocated chunks (the program's live data, mmapped chunks included).
    size_t in_use;
    /// Bytes the allocator holds in free chunks: memory the process keeps but does not use.
    size_t free;
} tr_heap_figures;

tr_heap_figures tr_heap_figures_now(void);

/// The process's resident memory not backed by files (heap, stacks, anonymous mappings), in
/// bytes, from /proc/self/statm; 0 where there is no such file.
size_t tr_process_resident_anonymous(void);

/// Gives the free pages of every arena back to the kernel (glibc's malloc_trim(0)); 1 when some
/// memory was released, 0 when none was or the platform has no such call.
int tr_heap_release_free(void);

#endif
