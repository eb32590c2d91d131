/* Uses the public API: start to a file descriptor, a second start, stop. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cprof.h"
#include "spin.h"

int main(int argc, char **argv)
{
    int fd, err;

    if (argc < 2)
        return 2;
    fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 2;
    if ((err = cprof_cpu_start(fd, 500)) != 0) {
        printf("start: %s\n", cprof_strerror(err));
        return 1;
    }
    if ((err = cprof_cpu_start(fd, 500)) != CPROF_EBUSY) {
        printf("second start: want CPROF_EBUSY, got %d\n", err);
        return 1;
    }
    burn(0.3);
    if ((err = cprof_cpu_stop()) != 0) {
        printf("stop: %s\n", cprof_strerror(err));
        return 1;
    }
    if ((err = cprof_cpu_stop()) != CPROF_EUSAGE) {
        printf("second stop: want CPROF_EUSAGE, got %d\n", err);
        return 1;
    }
    close(fd);
    printf("api ok\n");
    return 0;
}
