#include "process_heap.h"
#include <stdio.h>
#include <unistd.h>

size_t tr_process_resident_anonymous(void) {
    FILE *file = fopen("/proc/self/statm", "r");
    if (!file) return 0;
    unsigned long size = 0, resident = 0, shared = 0;
    int read = fscanf(file, "%lu %lu %lu", &size, &resident, &shared);
    fclose(file);
    if (read != 3 || shared > resident) return 0;
    return (size_t)(resident - shared) * (size_t)sysconf(_SC_PAGESIZE);
}

#if defined(__linux__)
#include <malloc.h>  /* defines __GLIBC__ on glibc systems */
#endif

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))

tr_heap_figures tr_heap_figures_now(void) {
    struct mallinfo2 info = mallinfo2();
    tr_heap_figures figures = { info.uordblks + info.hblkhd, info.fordblks };
    return figures;
}

int tr_heap_release_free(void) { return malloc_trim(0); }
#else
tr_heap_figures tr_heap_figures_now(void) {
    tr_heap_figures figures = { 0, 0 };
    return figures;
}

int tr_heap_release_free(void) { return 0; }
#endif
