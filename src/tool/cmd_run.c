/*
 * `cprof run [-cpu FILE] [-hz N] [-heap FILE] [-memrate N] [-leaks] --
 * PROGRAM ARGS...`: starts PROGRAM with libcprof.so preloaded (found next
 * to the cprof binary, or in ../lib) and CPROF_CPU / CPROF_HZ / CPROF_HEAP /
 * CPROF_MEMRATE / CPROF_LEAKS set, waits for it, then prints each
 * profile's file name and a top-10 summary on stderr and exits with the
 * program's status.  The CPU profile is on unless only heap flags are given.
 * Children the program forks and execs write FILE.<pid> (see src/rt/state.c).
 * -http ADDR serves /debug/pprof/ from the program (CPROF_HTTP); without
 * -cpu it then takes no whole-run CPU profile, so the endpoint's CPU
 * profile is free to use.
 */
#include "tool/cmd_run.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"
#include "model/codec.h"
#include "model/merge.h"
#include "model/profile.h"
#include "tool/prune.h"
#include "tool/report/report.h"

#define MAX_PROFILE_BYTES (1u << 30)

struct run_opts {
    const char *cpu;  /* -cpu FILE, or NULL for the default name */
    int hz;           /* -hz N, 0 = the runtime's default */
    const char *http; /* -http ADDR, or NULL */
    bool want_cpu;    /* CPU profile on (-cpu given, or no heap or -http flag) */
    const char *heap; /* -heap FILE, or NULL */
    long memrate;     /* -memrate N, 0 = the runtime's default */
    bool leaks;       /* -leaks: leak report at exit */
    char **argv;      /* the program and its arguments */
};

static int usage(void)
{
    fprintf(stderr, "usage: cprof run [-cpu FILE] [-hz N] [-heap FILE] [-memrate N] [-leaks] "
                    "[-http ADDR] -- PROGRAM [ARGS...]\n");
    return 2;
}

/* Accepts -flag VALUE, -flag=VALUE and the same with two dashes. */
static const char *flag_value(char **argv, int *i, int argc, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    a += a[1] == '-' ? 2 : 1;
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0 || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int parse(int argc, char **argv, struct run_opts *o)
{
    int i;
    const char *v;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (argv[i][0] != '-')
            break;
        if ((v = flag_value(argv, &i, argc, "cpu")) != NULL) {
            o->cpu = v;
        } else if ((v = flag_value(argv, &i, argc, "http")) != NULL) {
            o->http = v;
        } else if ((v = flag_value(argv, &i, argc, "hz")) != NULL) {
            char *end;
            long hz = strtol(v, &end, 10);
            if (*end || hz < 1 || hz > 100000) {
                fprintf(stderr, "cprof run: bad -hz '%s': want 1..100000\n", v);
                return -1;
            }
            o->hz = (int)hz;
        } else if ((v = flag_value(argv, &i, argc, "heap")) != NULL) {
            o->heap = v;
        } else if ((v = flag_value(argv, &i, argc, "memrate")) != NULL) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*end || r < 1) {
                fprintf(stderr, "cprof run: bad -memrate '%s': want bytes >= 1\n", v);
                return -1;
            }
            o->memrate = r;
        } else if (!strcmp(argv[i], "-leaks") || !strcmp(argv[i], "--leaks")) {
            o->leaks = true;
        } else {
            fprintf(stderr, "cprof run: unknown flag '%s'\n", argv[i]);
            return -1;
        }
    }
    if (i >= argc)
        return -1;
    o->want_cpu = o->cpu || (!o->heap && !o->leaks && !o->http);
    o->argv = argv + i;
    return 0;
}

/* libcprof.so beside the running cprof binary, or in ../lib; NULL if absent. */
static int find_runtime(char *out, size_t n)
{
    const char *env = getenv("CPROF_LIB");
    char exe[PATH_MAX];
    ssize_t len;

    if (env && *env && access(env, R_OK) == 0) {
        snprintf(out, n, "%s", env);
        return 0;
    }
    len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return -errno;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return CPROF_ENOTFOUND;
    *slash = 0;
    snprintf(out, n, "%s/libcprof.so", exe);
    if (access(out, R_OK) == 0)
        return 0;
    snprintf(out, n, "%s/../lib/libcprof.so", exe);
    if (access(out, R_OK) == 0)
        return 0;
    return CPROF_ENOTFOUND;
}

#if defined(__SANITIZE_THREAD__)
#include <dlfcn.h>
void __tsan_init(void);

/*
 * A TSan build of libcprof.so needs the TSan runtime loaded first
 * (development builds only: `make tsan`).
 */
static const char *sanitizer_runtime(void)
{
    Dl_info di;

    return dladdr((void *)__tsan_init, &di) && di.dli_fname ? di.dli_fname : NULL;
}
#elif defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
void __asan_init(void);

/*
 * A sanitizer build of libcprof.so needs the sanitizer's runtime loaded
 * before it (development builds only: `make asan`).
 */
static const char *sanitizer_runtime(void)
{
    Dl_info di;

    setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 0);
    return dladdr((void *)__asan_init, &di) && di.dli_fname ? di.dli_fname : NULL;
}
#else
static const char *sanitizer_runtime(void)
{
    return NULL;
}
#endif

/* path made absolute against the current directory, into out. */
static void absolute(char *out, size_t n, const char *path)
{
    char cwd[PATH_MAX];

    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
        snprintf(out, n, "%s/%s", cwd, path);
    else
        snprintf(out, n, "%s", path);
}

static void child_exec(const struct run_opts *o, const char *lib, const char *path)
{
    char abs[2 * PATH_MAX + 2], hz[24], *preload;
    const char *old = getenv("LD_PRELOAD"), *san;

    san = sanitizer_runtime();
    preload = malloc((san ? strlen(san) + 1 : 0) + strlen(lib) + (old ? strlen(old) : 0) + 2);
    if (preload) {
        sprintf(preload, "%s%s%s%s%s", san ? san : "", san ? ":" : "", lib,
                old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
    }
    if (o->http) {
        setenv("CPROF_HTTP", o->http, 1);
        unsetenv("CPROF_HTTP_PID"); /* the program serves, not its children */
    }
    if (o->want_cpu) {
        absolute(abs, sizeof(abs), path);
        setenv("CPROF_CPU", abs, 1);
    }
    unsetenv("CPROF_CPU_PID"); /* the program is the profile's owner */
    if (o->hz) {
        snprintf(hz, sizeof(hz), "%d", o->hz);
        setenv("CPROF_HZ", hz, 1);
    }
    if (o->heap) {
        absolute(abs, sizeof(abs), o->heap);
        setenv("CPROF_HEAP", abs, 1);
        unsetenv("CPROF_HEAP_PID");
    }
    if (o->memrate) {
        snprintf(hz, sizeof(hz), "%ld", o->memrate);
        setenv("CPROF_MEMRATE", hz, 1);
    }
    if (o->leaks)
        setenv("CPROF_LEAKS", "1", 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "cprof run: cannot run '%s': %s\n", o->argv[0], strerror(errno));
    _exit(127);
}

static int wait_child(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 127;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 127;
}

static void summarize(const char *path, const char *kind)
{
    struct cprof_buf buf;
    struct cprof_profile *p = NULL;
    struct cprof_diag diag = {0};
    int err;

    cprof_buf_init(&buf, MAX_PROFILE_BYTES);
    err = cprof_file_read(path, &buf);
    if (err) {
        fprintf(stderr, "cprof: no profile in '%s': %s (static binary, or killed?)\n", path,
                cprof_strerror(err));
        goto out;
    }
    err = cprof_profile_decode(buf.data, buf.len, NULL, &p, &diag);
    if (err) {
        fprintf(stderr, "cprof: cannot read '%s': %s\n", path, diag.msg);
        goto out;
    }
    fprintf(stderr, "cprof: %s profile written to %s\n", kind, path);
    cprof_run_print_top(p, 10);
out:
    cprof_profile_free(p);
    cprof_buf_release(&buf);
}

int cprof_cmd_run(int argc, char **argv)
{
    struct run_opts o;
    char lib[PATH_MAX + 32], path[PATH_MAX];
    const char *base;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    pid_t pid;
    int err, status;

    if (parse(argc, argv, &o) < 0)
        return usage();
    err = find_runtime(lib, sizeof(lib));
    if (err) {
        fprintf(stderr, "cprof run: cannot find libcprof.so next to cprof: %s\n",
                cprof_strerror(err));
        return 127;
    }
    base = strrchr(o.argv[0], '/') ? strrchr(o.argv[0], '/') + 1 : o.argv[0];
    /* Like system(): the terminal's ^C goes to the program; we stay to summarize. */
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "cprof run: fork: %s\n", strerror(errno));
        return 127;
    }
    if (o.cpu)
        snprintf(path, sizeof(path), "%s", o.cpu);
    else
        snprintf(path, sizeof(path), "cprof.%s.%ld.cpu.pb.gz", base, (long)(pid ? pid : getpid()));
    if (pid == 0)
        child_exec(&o, lib, path);
    status = wait_child(pid);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (status == 127 && access(path, F_OK) != 0 && (!o.heap || access(o.heap, F_OK) != 0))
        return status;
    if (o.want_cpu)
        summarize(path, "CPU");
    if (o.heap)
        summarize(o.heap, "heap");
    return status;
}

/* ---- the summary: pprof's top ---- */

void cprof_run_print_top(struct cprof_profile *p, int n)
{
    struct cprof_profile *m = NULL;
    struct cprof_report_opts o;
    struct cprof_diag diag = {0};
    int err;

    /* As the report command does: merge (compacts), then drop_frames pruning. */
    err = cprof_profile_merge(&p, 1, &m, &diag);
    if (!err && cprof_profile_remove_uninteresting(m) < 0)
        err = cprof_diag_set(&diag, -ENOMEM, "out of memory");
    if (!err) {
        cprof_report_opts_init(&o);
        o.nodecount = n;
        /* The file's default sample type, as `cprof FILE` shows it (its Type: line). */
        err = cprof_report_run(m, CPROF_REPORT_TOP, &o, stderr, &diag);
    }
    if (err)
        fprintf(stderr, "cprof: summary: %s\n", diag.msg[0] ? diag.msg : cprof_strerror(err));
    cprof_profile_free(m);
}
