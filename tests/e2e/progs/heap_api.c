/* cprof_heap_start / cprof_heap_write from a program linked with libcprof.so. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cprof.h"

void *volatile escape;

__attribute__((noinline)) static void api_site(void)
{
    for (int i = 0; i < 100; i++) {
        escape = malloc(500);
        free(escape);
    }
}

int main(int argc, char **argv)
{
    int fd, err;

    if (argc < 2)
        return 2;
    if ((err = cprof_heap_write(1, 0)) != CPROF_EUSAGE) {
        printf("write before start: want CPROF_EUSAGE, got %d\n", err);
        return 1;
    }
    if ((err = cprof_heap_start(1)) != 0) {
        printf("start: %s\n", cprof_strerror(err));
        return 1;
    }
    api_site();
    fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 2;
    if ((err = cprof_heap_write(fd, CPROF_HEAP_ALLOCS)) != 0) {
        printf("write: %s\n", cprof_strerror(err));
        return 1;
    }
    close(fd);
    printf("api ok\n");
    return 0;
}
