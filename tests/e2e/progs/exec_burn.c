/*
 * Burns CPU in two threads, then execs argv[1..] while the other thread
 * still burns (a launcher or shim).  The exit status is the exec'd
 * program's; 126 when exec failed.  With "fail" first, tries to exec a
 * missing file, checks errno and that sampling goes on, then execs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spin.h"

static void *worker(void *arg)
{
    (void)arg;
    for (;;)
        burn(0.05);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    int i = 1;

    if (argc < 2)
        return 2;
    if (pthread_create(&t, NULL, worker, NULL))
        return 3;
    burn(0.1);
    if (!strcmp(argv[1], "fail")) {
        i++;
        errno = 0;
        if (execl("/nonexistent/prog", "prog", (char *)NULL) != -1 || errno != ENOENT) {
            printf("exec_burn: failed exec gave errno %d\n", errno);
            return 4;
        }
        burn(0.1); /* sampling goes on after a failed exec */
    }
    execvp(argv[i], argv + i);
    return 126;
}
