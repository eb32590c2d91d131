/*
 * End-to-end check of the runtime's unwinder, built by t_unwind_qsort.sh
 * with and without frame pointers (and with gcc and clang), linked with the
 * runtime's unwinder objects.  A signal raised inside qsort's comparison
 * callback is unwound in the handler; the stack must read
 * compare_ints <- (libc: msort..., qsort_r) <- sort_numbers <- run_checks <-
 * main <- libc start code <- _start.  Then, outside signal context, the
 * unwinder must agree with glibc's backtrace() at the bottom of a deep
 * recursion that passes through qsort.  Names come from dladdr (-rdynamic).
 * Exit status 0 on success; the stacks are printed either way.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/sig/unwind.h"

#define MAXF     256
#define NOINLINE __attribute__((noinline))

static uintptr_t sig_pcs[MAXF];
static int sig_n;
static volatile int calls;
static int failures;

void sort_numbers(void);
void run_checks(void);
int compare_ints(const void *a, const void *b);
void recurse(int depth);

static const char *name_of(uintptr_t pc, const char **obj)
{
    Dl_info di;

    if (!dladdr((void *)pc, &di)) {
        *obj = "?";
        return "?";
    }
    *obj = di.dli_fname ? di.dli_fname : "?";
    return di.dli_sname ? di.dli_sname : "?";
}

/* Name of frame i: PCs past frame 0 are return addresses. */
static const char *frame(const uintptr_t *pcs, int i, const char **obj)
{
    return name_of(pcs[i] - (i > 0), obj);
}

static void print_stack(const char *what, const uintptr_t *pcs, int n)
{
    const char *obj;

    printf("%s: %d frames\n", what, n);
    for (int i = 0; i < n; i++) {
        const char *name = frame(pcs, i, &obj);
        printf("  %2d %#14lx %-28s %s\n", i, (unsigned long)pcs[i], name, obj);
    }
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static int find(const uintptr_t *pcs, int n, int from, const char *name)
{
    const char *obj;

    for (int i = from; i < n; i++)
        if (strcmp(frame(pcs, i, &obj), name) == 0)
            return i;
    return -1;
}

static bool is_libc(const uintptr_t *pcs, int i)
{
    const char *obj;

    frame(pcs, i, &obj);
    return strstr(obj, "libc.so") != NULL;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    bool trunc;

    (void)sig;
    (void)si;
    sig_n = cprof_unwind_sigsafe(uc, sig_pcs, MAXF, &trunc);
}

NOINLINE int compare_ints(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    if (calls++ == 7)
        raise(SIGUSR1);
    return (x > y) - (x < y);
}

NOINLINE void sort_numbers(void)
{
    int v[100];

    for (int i = 0; i < 100; i++)
        v[i] = (i * 53) % 100;
    qsort(v, 100, sizeof(v[0]), compare_ints);
    __asm__ volatile("" ::: "memory");
}

static void check_signal_stack(void)
{
    const char *obj;
    int cb = find(sig_pcs, sig_n, 0, "compare_ints");
    int sn = find(sig_pcs, sig_n, cb < 0 ? 0 : cb, "sort_numbers");
    bool libc_between = cb >= 0 && sn > cb + 1, saw_qsort = false;

    print_stack("stack in the signal handler", sig_pcs, sig_n);
    for (int i = cb + 1; libc_between && i < sn; i++) {
        libc_between = is_libc(sig_pcs, i);
        saw_qsort |= strncmp(frame(sig_pcs, i, &obj), "qsort", 5) == 0;
    }
    check(cb >= 0, "compare_ints on the stack");
    check(sn > cb + 1 && libc_between, "only libc frames between compare_ints and sort_numbers");
    check(saw_qsort, "qsort on the stack");
    check(sn >= 0 && sn + 2 < sig_n && strcmp(frame(sig_pcs, sn + 1, &obj), "run_checks") == 0,
          "run_checks calls sort_numbers");
    check(sn >= 0 && sn + 3 < sig_n && strcmp(frame(sig_pcs, sn + 2, &obj), "main") == 0,
          "main calls run_checks");
    check(sn >= 0 && sn + 3 < sig_n && is_libc(sig_pcs, sn + 3), "libc calls main");
    check(sig_n > 0 && strcmp(frame(sig_pcs, sig_n - 1, &obj), "_start") == 0,
          "the walk ends at _start");
}

/* ---- agreement with backtrace() ----------------------------------------- */

static uintptr_t ours[MAXF];
static void *theirs[MAXF];
static int n_ours, n_theirs, qsort_depth;

NOINLINE static void capture(void)
{
    bool trunc;

    n_ours = cprof_unwind_here_sigsafe(ours, MAXF, &trunc);
    n_theirs = backtrace(theirs, MAXF);
    __asm__ volatile("" ::: "memory");
}

static int compare_recursing(const void *a, const void *b)
{
    if (qsort_depth > 0) {
        int d = qsort_depth;
        qsort_depth = 0;
        recurse(d);
    }
    return *(const int *)a - *(const int *)b;
}

NOINLINE void recurse(int depth)
{
    volatile char pad[40];

    pad[0] = (char)depth;
    if (depth == 0) {
        capture();
    } else if (depth == 25) {
        int v[4] = {3, 1, 2, 0};
        qsort_depth = depth - 1;
        qsort(v, 4, sizeof(v[0]), compare_recursing);
    } else {
        recurse(depth - 1);
    }
    __asm__ volatile("" ::: "memory");
    (void)pad[0];
}

static void check_backtrace(void)
{
    bool same = n_ours == n_theirs && n_ours > 50;

    for (int i = 1; same && i < n_ours; i++)
        same = ours[i] == (uintptr_t)theirs[i];
    if (!same) {
        print_stack("ours", ours, n_ours);
        print_stack("backtrace()", (uintptr_t *)theirs, n_theirs);
    }
    printf("recursion: %d frames, backtrace() %d frames, %s\n", n_ours, n_theirs,
           same ? "identical" : "DIFFERENT");
    check(same, "cprof_unwind_here_sigsafe agrees with backtrace()");
}

NOINLINE void run_checks(void)
{
    sort_numbers();
    check_signal_stack();
    recurse(50);
    check_backtrace();
}

int main(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    if (cprof_unwind_init() != 0 || sigaction(SIGUSR1, &sa, NULL) != 0) {
        printf("FAIL: setup\n");
        return 1;
    }
    backtrace(theirs, 1); /* load libgcc_s before comparing */
    run_checks();
    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
