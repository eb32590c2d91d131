/* Forks twice (one child exits with exit(), one with _exit()); all burn CPU (children 0.4 s). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spin.h"

int main(void)
{
    burn(0.1);
    for (int k = 0; k < 2; k++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            burn(0.4);
            if (k == 0)
                exit(0);
            _exit(0);
        }
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 2;
    }
    burn(0.1);
    printf("fork ok\n");
    return 0;
}
