/*
 * Unit-test runner: forks one child per test, with a timeout, and prints
 * TAP.  `cprof_unit NAME...` runs only the named tests; `--no-fork` runs in
 * process (for gdb).  The last line is "N passed, N failed".
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

extern const struct cprof_test *const __start_cprof_tests[];
extern const struct cprof_test *const __stop_cprof_tests[];

#define TEST_TIMEOUT_S 60

void cprof__test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "# %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

const char *cprof_test_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("CPROF_SRCDIR");

    snprintf(buf, sizeof(buf), "%s/tests/%s", root ? root : ".", rel);
    return buf;
}

static bool selected(const char *name, int argc, char **argv)
{
    bool any = false;

    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        any = true;
        if (strcmp(argv[i], name) == 0)
            return true;
    }
    return !any;
}

static int run_forked(const struct cprof_test *t)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        alarm(TEST_TIMEOUT_S);
        t->fn();
        fflush(NULL);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "# %s: killed by signal %d%s\n", t->name, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
        return -1;
    }
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const struct cprof_test *const *t;
    bool nofork = false;
    int n = 0, passed = 0, failed = 0;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--no-fork") == 0)
            nofork = true;
    for (t = __start_cprof_tests; t < __stop_cprof_tests; t++)
        if (selected((*t)->name, argc, argv))
            n++;
    printf("TAP version 13\n1..%d\n", n);
    n = 0;
    for (t = __start_cprof_tests; t < __stop_cprof_tests; t++) {
        int rc;

        if (!selected((*t)->name, argc, argv))
            continue;
        fflush(stdout);
        if (nofork) {
            (*t)->fn();
            rc = 0;
        } else {
            rc = run_forked(*t);
        }
        n++;
        if (rc == 0) {
            passed++;
            printf("ok %d - %s\n", n, (*t)->name);
        } else {
            failed++;
            printf("not ok %d - %s\n", n, (*t)->name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
