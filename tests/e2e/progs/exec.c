/* Runs argv[1] through fork+exec, then posix_spawn, and execs itself last ("exec" arg). */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spin.h"

extern char **environ;

static int run(char *prog, int spawn)
{
    char *argv[] = {prog, NULL};
    pid_t pid;
    int st;

    if (spawn) {
        if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0)
            return -1;
    } else {
        pid = fork();
        if (pid == 0) {
            execv(prog, argv);
            _exit(127);
        }
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    burn(0.1);
    if (run(argv[1], 0) != 0 || run(argv[1], 1) != 0)
        return 1;
    burn(0.1);
    printf("exec ok\n");
    return 0;
}
