/*
 * Loads a library with dlopen (the name in argv[1]: a path, or a bare name
 * found along this program's RUNPATH), idles argv[3] milliseconds (default
 * 0: the runtime refreshes its unwind tables asynchronously, and a loaded
 * machine can delay that), spends argv[2] seconds of CPU in its plug_sort,
 * then dlcloses it.  Prints "dl_main ok" on success.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) static int run_plugin(const char *name, double secs, long settle_ms)
{
    struct timespec ts = {settle_ms / 1000, (settle_ms % 1000) * 1000000L};
    void *h = dlopen(name, RTLD_NOW);
    int (*sort)(double);
    int rounds;

    if (!h) {
        fprintf(stderr, "dl_main: %s\n", dlerror());
        return -1;
    }
    *(void **)&sort = dlsym(h, "plug_sort");
    if (!sort) {
        fprintf(stderr, "dl_main: %s\n", dlerror());
        return -1;
    }
    while (settle_ms > 0 && nanosleep(&ts, &ts) != 0)
        ;
    rounds = sort(secs);
    if (dlclose(h)) {
        fprintf(stderr, "dl_main: %s\n", dlerror());
        return -1;
    }
    return rounds;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    if (run_plugin(argv[1], atof(argv[2]), argc > 3 ? atol(argv[3]) : 0) <= 0)
        return 1;
    printf("dl_main ok\n");
    return 0;
}
