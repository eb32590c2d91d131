/*
 * Tests of the runtime's stack unwinder (rt/sig/unwind.h): stacks taken in
 * a signal handler that interrupts qsort's comparison callback, stacks
 * compared with glibc's backtrace() through a recursion that mixes code
 * with and without frame pointers, signal frames on an alternate stack,
 * garbage registers that must never fault, and refresh while walking.
 * Function names come from libdwfl (the binary's .symtab), so static
 * functions resolve too.
 */
#include "rt/sig/unwind.h"

#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "unit.h"

#define NOINLINE __attribute__((noinline))
#if defined(__GNUC__) && !defined(__clang__)
#define WITH_FP    __attribute__((noinline, optimize("no-omit-frame-pointer")))
#define WITHOUT_FP __attribute__((noinline, optimize("omit-frame-pointer")))
#else
#define WITH_FP    NOINLINE
#define WITHOUT_FP NOINLINE
#endif

#define MAXF 256

/* ---- symbolization (outside signal context) --------------------------- */

static Dwfl *dwfl;

/* Name of the function containing pc (a return address when ret). */
static const char *sym(uintptr_t pc, bool ret)
{
    static char *debuginfo_path;
    static const Dwfl_Callbacks cb = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .debuginfo_path = &debuginfo_path,
    };
    Dwfl_Module *m;
    const char *name;

    if (!dwfl) {
        dwfl = dwfl_begin(&cb);
        CPROF_ASSERT(dwfl != NULL);
    }
    /* Report again: a test may have dlopen'ed since. */
    dwfl_report_begin(dwfl);
    dwfl_linux_proc_report(dwfl, getpid());
    dwfl_report_end(dwfl, NULL, NULL);
    m = dwfl_addrmodule(dwfl, pc - (ret ? 1 : 0));
    name = m ? dwfl_module_addrname(m, pc - (ret ? 1 : 0)) : NULL;
    return name ? name : "?";
}

static void dump(const char *what, const uintptr_t *pcs, int n)
{
    fprintf(stderr, "# %s: %d frames\n", what, n);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "#   %2d %#lx %s\n", i, (unsigned long)pcs[i], sym(pcs[i], i > 0));
}

static int find(const uintptr_t *pcs, int n, int from, const char *name)
{
    for (int i = from; i < n; i++)
        if (strcmp(sym(pcs[i], i > 0), name) == 0)
            return i;
    return -1;
}

/* In libc, or in ASan's runtime, which replaces qsort with its own. */
static bool in_libc(uintptr_t pc)
{
    Dl_info di;

    return dladdr((void *)(pc - 1), &di) && di.dli_fname &&
           (strstr(di.dli_fname, "libc.so") || strstr(di.dli_fname, "libasan.so"));
}

/*
 * Asserts the acceptance shape: callback <- (libc, including qsort) <-
 * sort_caller <- test <- ... <- main <- libc <- ... , ending in _start.
 */
static void assert_qsort_stack(const uintptr_t *pcs, int n, const char *callback,
                               const char *caller, const char *test)
{
    int cb = find(pcs, n, 0, callback);
    int sc = find(pcs, n, cb < 0 ? 0 : cb, caller);
    int mn = find(pcs, n, sc < 0 ? 0 : sc, "main");
    bool saw_qsort = false;

    if (cb < 0 || sc < 0 || mn < 0 || sc + 1 >= n || mn + 1 >= n)
        dump("stack", pcs, n);
    CPROF_ASSERT(cb >= 0);
    CPROF_ASSERT(sc > cb + 1);
    for (int i = cb + 1; i < sc; i++) {
        if (!in_libc(pcs[i]))
            dump("stack", pcs, n);
        CPROF_ASSERT(in_libc(pcs[i]));
        saw_qsort |= strstr(sym(pcs[i], true), "qsort") != NULL;
    }
    CPROF_ASSERT(saw_qsort);
    CPROF_ASSERT_STR(sym(pcs[sc + 1], true), test);
    CPROF_ASSERT(mn > sc);
    CPROF_ASSERT(in_libc(pcs[mn + 1]));
    CPROF_ASSERT_STR(sym(pcs[n - 1], true), "_start");
}

/* ---- qsort's callback interrupted by raise() -------------------------- */

static uintptr_t sig_pcs[MAXF];
static int sig_n;
static bool sig_trunc;
static volatile int cmp_calls;

static void on_sigusr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    sig_n = cprof_unwind_sigsafe(uc, sig_pcs, MAXF, &sig_trunc);
}

NOINLINE static int cmp_raise(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    if (cmp_calls++ == 5)
        raise(SIGUSR1);
    return (x > y) - (x < y);
}

NOINLINE static void sort_caller(int (*cmp)(const void *, const void *))
{
    int v[64];

    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort(v, 64, sizeof(v[0]), cmp);
    __asm__ volatile("" ::: "memory"); /* keep the call from becoming a tail call */
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigemptyset(&sa.sa_mask);
    CPROF_ASSERT_EQ(sigaction(sig, &sa, NULL), 0);
}

CPROF_TEST(unwind_qsort_callback_raise)
{
#if defined(__SANITIZE_THREAD__)
    /*
     * TSan replaces libc's qsort with its own interceptor and runs
     * asynchronous signal handlers late, at its next interception point:
     * neither the libc frames nor the interrupted spot are there to find.
     */
    printf("# skipped under TSan\n");
    return;
#endif
    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    install(SIGUSR1, on_sigusr1, 0);
    sort_caller(cmp_raise);
    if (getenv("CPROF_TEST_DUMP"))
        dump("qsort callback", sig_pcs, sig_n);
    CPROF_ASSERT(sig_n > 8);
    CPROF_ASSERT(!sig_trunc);
    assert_qsort_stack(sig_pcs, sig_n, "cmp_raise", "sort_caller",
                       "test_unwind_qsort_callback_raise");
}

/* ---- the same, interrupted at arbitrary instructions by a CPU timer ---- */

#define TIMER_SAMPLES 48

static uintptr_t tm_pcs[TIMER_SAMPLES][MAXF];
static int tm_n[TIMER_SAMPLES];
static volatile int tm_count;

static void on_sigprof(int sig, siginfo_t *si, void *uc)
{
    bool trunc;
    int i = tm_count;

    (void)sig;
    (void)si;
    if (i < TIMER_SAMPLES) {
        tm_n[i] = cprof_unwind_sigsafe(uc, tm_pcs[i], MAXF, &trunc);
        tm_count = i + 1;
    }
}

NOINLINE static int cmp_slow(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    volatile int spin = 0;

    for (int i = 0; i < 20; i++)
        spin += i;
    (void)spin;
    return (x > y) - (x < y);
}

CPROF_TEST(unwind_qsort_callback_timer)
{
    struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
    struct timespec t0, t1;
    int with_cb = 0;
#if defined(__SANITIZE_THREAD__)
    /*
     * TSan replaces libc's qsort with its own interceptor and runs
     * asynchronous signal handlers late, at its next interception point:
     * neither the libc frames nor the interrupted spot are there to find.
     */
    printf("# skipped under TSan\n");
    return;
#endif

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    install(SIGPROF, on_sigprof, 0);
    setitimer(ITIMER_PROF, &it, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        sort_caller(cmp_slow);
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while (tm_count < TIMER_SAMPLES && t1.tv_sec - t0.tv_sec < 3);
    setitimer(ITIMER_PROF, &off, NULL);
    CPROF_ASSERT(tm_count >= 10);
    /* Wherever the signal landed, the walk must be complete and correct. */
    for (int i = 0; i < tm_count; i++) {
        const uintptr_t *p = tm_pcs[i];
        int n = tm_n[i];
        if (find(p, n, 0, "test_unwind_qsort_callback_timer") < 0 || find(p, n, 0, "main") < 0)
            dump("timer sample", p, n);
        CPROF_ASSERT(find(p, n, 0, "test_unwind_qsort_callback_timer") >= 0);
        CPROF_ASSERT_STR(sym(p[n - 1], true), "_start");
        if (find(p, n, 0, "cmp_slow") >= 0) {
            with_cb++;
            assert_qsort_stack(p, n, "cmp_slow", "sort_caller", "test_unwind_qsort_callback_timer");
        }
    }
    CPROF_ASSERT(with_cb > 0);
}

/* ---- every instruction: single-step qsort with the trap flag ---------- */

#if defined(__x86_64__)
/* Set and clear the trap flag, with CFI so every stepped instruction is described. */
void cprof_test_tf_on(void);
void cprof_test_tf_off(void);
__asm__(
    ".text\n"
    ".globl cprof_test_tf_on\n.type cprof_test_tf_on,@function\ncprof_test_tf_on:\n"
    ".cfi_startproc\npushfq\n.cfi_adjust_cfa_offset 8\norq $0x100,(%rsp)\npopfq\n"
    ".cfi_adjust_cfa_offset -8\nret\n.cfi_endproc\n.size cprof_test_tf_on,.-cprof_test_tf_on\n"
    ".globl cprof_test_tf_off\n.type cprof_test_tf_off,@function\ncprof_test_tf_off:\n"
    ".cfi_startproc\npushfq\n.cfi_adjust_cfa_offset 8\nandq $~0x100,(%rsp)\npopfq\n"
    ".cfi_adjust_cfa_offset -8\nret\n.cfi_endproc\n.size cprof_test_tf_off,.-cprof_test_tf_off\n");

static uintptr_t step_ref[MAXF], step_bad[MAXF];
static int step_nref, step_nbad;
static volatile long steps, step_fails;
static volatile int step_verscmp;
static const char *volatile step_a = "a";

/* Correct when the walk ends with the reference frames (the test's callers). */
static void on_sigtrap(int sig, siginfo_t *si, void *uc)
{
    uintptr_t pcs[MAXF];
    bool trunc;
    int n = cprof_unwind_sigsafe(uc, pcs, MAXF, &trunc);
    bool ok = n >= step_nref;

    (void)sig;
    (void)si;
    for (int i = 1; ok && i < step_nref; i++)
        ok = pcs[n - step_nref + i] == step_ref[i];
    steps++;
    if (!ok && step_fails++ == 0) {
        memcpy(step_bad, pcs, sizeof(pcs));
        step_nbad = n;
    }
}

CPROF_TEST(unwind_every_instruction_of_qsort)
{
    bool trunc;

#if defined(__SANITIZE_THREAD__)
    /* Single-stepping TSan's qsort interceptor deadlocks on its internal locks. */
    printf("# skipped under TSan\n");
    return;
#endif

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    install(SIGTRAP, on_sigtrap, 0);
    step_nref = cprof_unwind_here_sigsafe(step_ref, MAXF, &trunc);
    CPROF_ASSERT(step_nref >= 3);
    cmp_calls = 100; /* cmp_raise: no raise */
    cprof_test_tf_on();
    sort_caller(cmp_raise);
    /* A first call: the lazy PLT stub and the dynamic linker's resolver. */
    step_verscmp = strverscmp(step_a, "b");
    cprof_test_tf_off();
    if (step_fails)
        dump("first failing step", step_bad, step_nbad);
    fprintf(stderr, "# %ld instructions stepped, %ld bad walks\n", steps, step_fails);
    CPROF_ASSERT(steps > 1000);
    CPROF_ASSERT_EQ(step_fails, 0);
}
#endif

/* ---- against glibc backtrace(): recursion mixing FP and no-FP code ---- */

static uintptr_t ours[MAXF];
static void *theirs[MAXF];
static int n_ours, n_theirs;

NOINLINE static void capture(void)
{
    bool trunc;

    n_ours = cprof_unwind_here_sigsafe(ours, MAXF, &trunc);
    n_theirs = backtrace(theirs, MAXF);
    __asm__ volatile("" ::: "memory");
}

static void rec_fp(int depth);
static void rec_nofp(int depth);
static int rec_qsort_depth;

static int cmp_recurse(const void *a, const void *b)
{
    if (rec_qsort_depth > 0) {
        int d = rec_qsort_depth;
        rec_qsort_depth = 0;
        rec_nofp(d);
    }
    return *(const int *)a - *(const int *)b;
}

/* capture() with a frame pointer, for the frame-pointer-only walk. */
WITH_FP static void capture_fp(void)
{
    bool trunc;

    n_ours = cprof_unwind_here_sigsafe(ours, MAXF, &trunc);
    __asm__ volatile("" ::: "memory");
}

WITH_FP static void rec_fp(int depth)
{
    if (depth == 0) {
        capture();
    } else if (depth == -1) {
        capture_fp();
    } else if (depth == 20) {
        int v[4] = {3, 1, 2, 0};
        rec_qsort_depth = depth - 1;
        qsort(v, 4, sizeof(v[0]), cmp_recurse);
    } else {
        rec_nofp(depth - 1);
    }
    __asm__ volatile("" ::: "memory");
}

WITHOUT_FP static void rec_nofp(int depth)
{
    volatile char pad[24];

    pad[0] = (char)depth;
    if (depth == 0)
        capture();
    else
        rec_fp(depth - 1);
    __asm__ volatile("" ::: "memory");
    (void)pad[0];
}

CPROF_TEST(unwind_matches_backtrace)
{
    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    backtrace(theirs, 1); /* load libgcc_s first */
    rec_fp(40);
    CPROF_ASSERT(n_ours > 45);
    /*
     * ours[0] and theirs[0] differ (two call sites in capture); from the
     * caller of capture on, the stacks must be identical.  Under ASan,
     * backtrace() runs through an interceptor: one more frame in front.
     */
    CPROF_ASSERT_STR(sym(ours[0], true), "capture");
    int off = 1;
    while (off < n_theirs && (uintptr_t)theirs[off] != ours[1])
        off++;
    if (n_theirs - off != n_ours - 1) {
        dump("ours", ours, n_ours);
        dump("backtrace", (uintptr_t *)theirs, n_theirs);
    }
    CPROF_ASSERT(off <= 2);
    CPROF_ASSERT_EQ(n_theirs - off, n_ours - 1);
    for (int i = 1; i < n_ours; i++)
        if (ours[i] != (uintptr_t)theirs[i - 1 + off]) {
            dump("ours", ours, n_ours);
            dump("backtrace", (uintptr_t *)theirs, n_theirs);
            CPROF_ASSERT_EQ_U64(ours[i], (uintptr_t)theirs[i - 1 + off]);
        }
    CPROF_ASSERT(find(ours, n_ours, 0, "cmp_recurse") > 0);
}

CPROF_TEST(unwind_truncates_at_max)
{
    bool trunc;
    uintptr_t pcs[4];

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    CPROF_ASSERT_EQ(cprof_unwind_here_sigsafe(pcs, 4, &trunc), 4);
    CPROF_ASSERT(trunc);
    CPROF_ASSERT_STR(sym(pcs[0], true), "test_unwind_truncates_at_max");
    CPROF_ASSERT_EQ(cprof_unwind_here_sigsafe(pcs, 0, &trunc), 0);
    CPROF_ASSERT(cprof_unwind_here_sigsafe(ours, MAXF, &trunc) > 4);
    CPROF_ASSERT(!trunc);
}

/* Without tables (no init) the walk follows frame pointers. */
CPROF_TEST(unwind_frame_pointers_without_tables)
{
#if defined(__GNUC__) && !defined(__clang__)
    int in_rec = 0;

    cprof_unwind_thread_init();
    rec_fp(-1);
    if (getenv("CPROF_TEST_DUMP") || n_ours < 3)
        dump("fp only", ours, n_ours);
    CPROF_ASSERT(n_ours >= 3);
    CPROF_ASSERT_STR(sym(ours[0], true), "capture_fp");
    for (int i = 1; i < n_ours; i++)
        in_rec += strcmp(sym(ours[i], true), "rec_fp") == 0;
    CPROF_ASSERT_EQ(in_rec, 1);
#endif
}

/* ---- signal frames and the alternate signal stack ---------------------- */

static uintptr_t alt_pcs[MAXF];
static int alt_n;

static void on_sigusr2(int sig, siginfo_t *si, void *uc)
{
    bool trunc;

    (void)sig;
    (void)si;
    (void)uc;
    alt_n = cprof_unwind_here_sigsafe(alt_pcs, MAXF, &trunc);
}

NOINLINE static void raise_usr2(void)
{
    raise(SIGUSR2);
    __asm__ volatile("" ::: "memory");
}

CPROF_TEST(unwind_through_signal_frame_on_altstack)
{
    stack_t ss = {.ss_size = 1 << 16, .ss_flags = 0};

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CPROF_ASSERT(ss.ss_sp != MAP_FAILED);
    CPROF_ASSERT_EQ(sigaltstack(&ss, NULL), 0);
    install(SIGUSR2, on_sigusr2, SA_ONSTACK);
    raise_usr2();
    /* handler <- __restore_rt <- raise internals <- raise_usr2 <- test <- ... main */
    if (getenv("CPROF_TEST_DUMP") || find(alt_pcs, alt_n, 0, "raise_usr2") < 0)
        dump("altstack", alt_pcs, alt_n);
    CPROF_ASSERT_STR(sym(alt_pcs[0], true), "on_sigusr2");
    CPROF_ASSERT(find(alt_pcs, alt_n, 0, "raise_usr2") > 1);
    CPROF_ASSERT(find(alt_pcs, alt_n, 0, "test_unwind_through_signal_frame_on_altstack") > 2);
    CPROF_ASSERT(find(alt_pcs, alt_n, 0, "main") > 3);
    CPROF_ASSERT_STR(sym(alt_pcs[alt_n - 1], true), "_start");
}

/* ---- hostile registers: the walk stops, never faults ------------------- */

static int walk_fake(uintptr_t rip, uintptr_t rsp, uintptr_t rbp)
{
    ucontext_t uc;
    uintptr_t pcs[MAXF];
    bool trunc;

    memset(&uc, 0, sizeof(uc));
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)rip;
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)rsp;
    uc.uc_mcontext.gregs[REG_RBP] = (greg_t)rbp;
    return cprof_unwind_sigsafe(&uc, pcs, MAXF, &trunc);
}

static void *hostile_walks(void *arg)
{
    uintptr_t frame[64];
    char *guard = arg;

    /* Frames whose saved fp and RA point at unmapped, guard and kernel memory. */
    for (int i = 0; i < 64; i += 2) {
        frame[i] = i % 4 ? (uintptr_t)guard : (uintptr_t)0xffff800000001000ULL;
        frame[i + 1] = (uintptr_t)0x1234;
    }
    CPROF_ASSERT(walk_fake(0x1234, (uintptr_t)frame, (uintptr_t)frame) >= 1);
    CPROF_ASSERT(walk_fake(0x1234, (uintptr_t)guard, (uintptr_t)guard) >= 1);
    CPROF_ASSERT(walk_fake(0x1234, 0xffff800000000000ULL, 8) >= 1);
    CPROF_ASSERT(walk_fake((uintptr_t)&walk_fake, (uintptr_t)guard + 8, (uintptr_t)guard) >= 1);
    CPROF_ASSERT(walk_fake((uintptr_t)&qsort, (uintptr_t)frame + 3, 0) >= 1);
    CPROF_ASSERT(walk_fake(0, (uintptr_t)frame, (uintptr_t)frame) == 0);
    return NULL;
}

CPROF_TEST(unwind_hostile_registers_never_fault)
{
    char *guard = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t th;

    CPROF_ASSERT(guard != MAP_FAILED);
    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    hostile_walks(guard); /* known stack bounds */
    /* A thread that never called cprof_unwind_thread_init: probe mode. */
    CPROF_ASSERT_EQ(pthread_create(&th, NULL, hostile_walks, guard), 0);
    pthread_join(th, NULL);
}

/* ---- another thread's stack, from a copy (the thread dump's path) ------- */

static int copy_pipe[2];

/* A chain mixing rbp-based and rsp-based frames that blocks in read(). */
WITHOUT_FP static void copy_block(void)
{
    char c;

    CPROF_ASSERT_EQ(read(copy_pipe[0], &c, 1), 1);
    __asm__ volatile("" ::: "memory");
}

WITH_FP static void copy_fp(int depth);

WITHOUT_FP static void copy_nofp(int depth)
{
    volatile char pad[40];

    pad[0] = (char)depth;
    copy_fp(depth - 1);
    __asm__ volatile("" ::: "memory");
    (void)pad[0];
}

WITH_FP static void copy_fp(int depth)
{
    volatile char pad[24];

    pad[0] = (char)depth;
    if (depth <= 0)
        copy_block();
    else
        copy_nofp(depth - 1);
    __asm__ volatile("" ::: "memory");
    (void)pad[0];
}

static _Atomic pid_t copy_tid;

static void *copy_thread(void *arg)
{
    (void)arg;
    atomic_store(&copy_tid, gettid());
    copy_fp(6);
    __asm__ volatile("" ::: "memory");
    return NULL;
}

/* Waits until tid sits in read() (syscall 0): its SP and PC. */
static void wait_in_read(pid_t tid, uintptr_t *sp, uintptr_t *pc)
{
    char path[64], buf[256];

    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(path, "r");
        unsigned long long v[8];
        long nr = -2;
        CPROF_ASSERT(f != NULL);
        bool ok = fgets(buf, sizeof(buf), f) != NULL;
        fclose(f);
        if (ok &&
            sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
            nr == 0) {
            *sp = (uintptr_t)v[6];
            *pc = (uintptr_t)v[7];
            return;
        }
        usleep(1000);
    }
    CPROF_ASSERT(!"the thread never blocked in read()");
}

CPROF_TEST(unwind_copy_of_blocked_thread)
{
    static uint8_t copy[1 << 16];
    uintptr_t pcs[MAXF], sp = 0, pc = 0, lo, hi;
    pthread_attr_t attr;
    pthread_t th;
    void *base;
    size_t size;
    bool trunc;
    int n, at;

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    CPROF_ASSERT_EQ(pipe(copy_pipe), 0);
    CPROF_ASSERT_EQ(pthread_create(&th, NULL, copy_thread, NULL), 0);
    while (!atomic_load(&copy_tid))
        usleep(1000);
    wait_in_read(atomic_load(&copy_tid), &sp, &pc);
    CPROF_ASSERT_EQ(pthread_getattr_np(th, &attr), 0);
    CPROF_ASSERT_EQ(pthread_attr_getstack(&attr, &base, &size), 0);
    pthread_attr_destroy(&attr);
    lo = sp;
    hi = (uintptr_t)base + size;
    CPROF_ASSERT(sp > (uintptr_t)base && sp < hi);
    if (hi - lo > sizeof(copy))
        hi = lo + sizeof(copy);
    /* As the thread dump copies: through the kernel (and unseen by TSan). */
    struct iovec local = {copy, hi - lo}, remote = {(void *)lo, hi - lo};
    CPROF_ASSERT_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), (ssize_t)(hi - lo));

    n = cprof_unwind_copy_sigsafe(pc, sp, copy, lo, hi, pcs, MAXF, &trunc);
    if (getenv("CPROF_TEST_DUMP") || find(pcs, n, 0, "copy_thread") < 0)
        dump("copy", pcs, n);
    CPROF_ASSERT_EQ_U64(pcs[0], pc);
    at = find(pcs, n, 1, "copy_block");
    CPROF_ASSERT(at >= 1);
    /* copy_fp(6) .. copy_fp(0): four rbp-based frames, three without. */
    for (int d = 0; d <= 6; d++)
        CPROF_ASSERT_STR(sym(pcs[at + 1 + d], true), d % 2 ? "copy_nofp" : "copy_fp");
    CPROF_ASSERT_STR(sym(pcs[at + 8], true), "copy_thread");
    CPROF_ASSERT(find(pcs, n, at + 8, "start_thread") > 0);

    /* The walk reads nothing outside the copy: a short one stops early. */
    int short_n = cprof_unwind_copy_sigsafe(pc, sp, copy, lo, lo + 64, pcs, MAXF, &trunc);
    CPROF_ASSERT(short_n >= 1 && short_n < n);
    /* sp outside the copy: only pc. */
    CPROF_ASSERT_EQ(cprof_unwind_copy_sigsafe(pc, hi + 64, copy, lo, hi, pcs, MAXF, &trunc), 1);
    /* Garbage in the copy never faults. */
    for (size_t i = 0; i < sizeof(copy); i++)
        copy[i] = (uint8_t)(i * 2654435761u >> 13);
    CPROF_ASSERT(cprof_unwind_copy_sigsafe(pc, sp, copy, lo, hi, pcs, MAXF, &trunc) >= 1);

    CPROF_ASSERT_EQ(write(copy_pipe[1], "x", 1), 1);
    pthread_join(th, NULL);
    close(copy_pipe[0]);
    close(copy_pipe[1]);
}

/* ---- tables follow dlopen; refresh while other threads walk ------------ */

static atomic_bool stop_walkers;
static atomic_long walks;

static void *walker(void *arg)
{
    uintptr_t pcs[64];
    bool trunc;

    (void)arg;
    cprof_unwind_thread_init();
    while (!atomic_load(&stop_walkers)) {
        CPROF_ASSERT(cprof_unwind_here_sigsafe(pcs, 64, &trunc) >= 2);
        atomic_fetch_add(&walks, 1);
    }
    return NULL;
}

CPROF_TEST(unwind_refresh_after_dlopen)
{
    pthread_t th[2];
    void *h, *fn;

    CPROF_ASSERT_EQ(cprof_unwind_init(), 0);
    CPROF_ASSERT(cprof_unwind_covers_sigsafe((uintptr_t)&qsort));
    CPROF_ASSERT(cprof_unwind_covers_sigsafe((uintptr_t)&capture));
    CPROF_ASSERT(!cprof_unwind_covers_sigsafe(0x1000));
    h = dlopen("libcrypt.so.1", RTLD_NOW);
    CPROF_ASSERT(h != NULL);
    fn = dlsym(h, "crypt");
    CPROF_ASSERT(fn != NULL);
    CPROF_ASSERT(!cprof_unwind_covers_sigsafe((uintptr_t)fn));
    for (int i = 0; i < 2; i++)
        CPROF_ASSERT_EQ(pthread_create(&th[i], NULL, walker, NULL), 0);
    for (int i = 0; i < 10; i++)
        cprof_unwind_refresh();
    atomic_store(&stop_walkers, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CPROF_ASSERT(atomic_load(&walks) > 0);
    CPROF_ASSERT(cprof_unwind_covers_sigsafe((uintptr_t)fn));
}
