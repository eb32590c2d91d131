/*
 * Loads a library with dlopen (the name in argv[1]: a path, or a bare name
 * found along this program's RUNPATH) and spends argv[2] seconds of CPU in
 * its plug_sort, then dlcloses it.  Prints "dl_main ok" on success.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static int run_plugin(const char *name, double secs)
{
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
    if (run_plugin(argv[1], atof(argv[2])) <= 0)
        return 1;
    printf("dl_main ok\n");
    return 0;
}
