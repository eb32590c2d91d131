/*
 * A JIT in miniature (t_sym_perfmap.sh): copies the machine code in the
 * file argv[1] twice into anonymous executable memory, writes
 * /tmp/perf-PID.map naming the copies as a JIT does for perf, prints its
 * pid and runs both copies hot for argv[2] rounds (the first twice as
 * long as the second).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef uint64_t (*body_fn)(uint64_t);

int main(int argc, char **argv)
{
    static unsigned char code[4096];
    char path[64];
    FILE *f;
    size_t n;
    unsigned char *mem;
    body_fn hot, warm;
    uint64_t acc = 0;
    long rounds;

    if (argc != 3 || !(f = fopen(argv[1], "rb")))
        return 2;
    n = fread(code, 1, sizeof(code), f);
    fclose(f);
    rounds = atol(argv[2]);
    if (n == 0 || n > 2048)
        return 2;
    mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 3;
    memcpy(mem, code, n);
    memcpy(mem + 4096, code, n);
    if (mprotect(mem, 8192, PROT_READ | PROT_EXEC) != 0)
        return 3;
    snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
    if (!(f = fopen(path, "w")))
        return 4;
    fprintf(f, "%lx %zx LazyCompile:*hotLoop /srv/app.js:12\n", (unsigned long)(uintptr_t)mem, n);
    fprintf(f, "%lx %zx LazyCompile:*warmLoop /srv/app.js:40\n",
            (unsigned long)(uintptr_t)(mem + 4096), n);
    fclose(f);
    printf("%ld\n", (long)getpid());
    fflush(stdout);
    hot = (body_fn)(uintptr_t)mem;
    warm = (body_fn)(uintptr_t)(mem + 4096);
    for (long r = 0; r < rounds; r++)
        acc += hot(200000) + warm(100000);
    fprintf(stderr, "%llu\n", (unsigned long long)acc);
    return 0;
}
