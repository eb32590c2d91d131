/*
 * Daemonises the classic way: fork (the parent exits at once), setsid,
 * fork again (the session leader exits), chdir /, fds 0-2 to /dev/null;
 * then burns CPU in daemon_work and writes DONEFILE when finished.
 *
 * Usage: daemon DONEFILE [SECONDS]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "spin.h"

__attribute__((noinline)) static void daemon_work(double secs)
{
    burn(secs);
    spin_sink++; /* no tail call */
}

int main(int argc, char **argv)
{
    double secs = argc > 2 ? atof(argv[2]) : 0.5;
    int fd;

    if (argc < 2)
        return 2;
    if (fork() != 0)
        _exit(0); /* the launcher returns at once */
    setsid();
    if (fork() != 0)
        _exit(0);
    if (chdir("/") < 0)
        return 1;
    fd = open("/dev/null", O_RDWR);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
    daemon_work(secs);
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    return 0;
}
