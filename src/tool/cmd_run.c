/*
 * `cprof run [-cpu FILE] [-hz N] [-heap FILE] [-memrate N] [-leaks]
 * [-merge] -- PROGRAM ARGS...`: starts PROGRAM with libcprof.so preloaded
 * (found next to the cprof binary, or in ../lib) and CPROF_CPU / CPROF_HZ /
 * CPROF_HEAP / CPROF_MEMRATE / CPROF_LEAKS set, waits for it, then prints
 * each profile's file name and a top-10 summary on stderr and exits with
 * the program's status.  The CPU profile is on unless only heap flags are
 * given.  -http ADDR serves /debug/pprof/ from the program (CPROF_HTTP);
 * without -cpu it then takes no whole-run CPU profile, so the endpoint's
 * CPU profile is free to use.
 *
 * What it says is what happened: the output files (FILE and the
 * FILE.<pid> of descendants, src/rt/state.c) are noted before the program
 * starts (the program waits on a pipe meanwhile), and only files written
 * during the run are reported; how the program ended is said (killed by
 * a signal, static binary); the children's profiles are listed with their
 * pid, CPU and command line (the runtime's "cprof: cmdline:" comment), and
 * -merge summarizes all of them as one profile.  The output directory is
 * checked before anything starts.  SIGINT, SIGTERM and SIGHUP sent to
 * cprof run are passed on to the program, so it never outlives us.
 */
#include "tool/cmd_run.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Signals sent to cprof run that it passes on to the program. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

struct run_opts {
    const char *cpu;  /* -cpu FILE, or NULL for the default name */
    int hz;           /* -hz N, 0 = the runtime's default */
    const char *http; /* -http ADDR, or NULL */
    bool want_cpu;    /* CPU profile on (-cpu given, or no heap or -http flag) */
    const char *heap; /* -heap FILE, or NULL */
    long memrate;     /* -memrate N, 0 = the runtime's default */
    bool leaks;       /* -leaks: leak report at exit */
    bool merge;       /* -merge: one summary for the program and its children */
    char **argv;      /* the program and its arguments */
};

static int usage(void)
{
    fprintf(stderr, "usage: cprof run [-cpu FILE] [-hz N] [-heap FILE] [-memrate N] [-leaks] "
                    "[-http ADDR] [-merge] -- PROGRAM [ARGS...]\n");
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
        } else if (!strcmp(argv[i], "-merge") || !strcmp(argv[i], "--merge")) {
            o->merge = true;
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

/* ---- starting the program ---- */

/* Dispositions cprof run found at start, given back to the program. */
static struct sigaction g_entry[NSIG];

static void child_exec(const struct run_opts *o, const char *lib, const char *path, int gate)
{
    char abs[2 * PATH_MAX + 2], hz[24], *preload, b;
    const char *old = getenv("LD_PRELOAD"), *san;
    sigset_t none;

    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &g_entry[forwarded[i]], NULL);
    sigaction(SIGQUIT, &g_entry[SIGQUIT], NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Held until the parent has noted which output files exist already. */
    while (read(gate, &b, 1) < 0 && errno == EINTR) {
    }
    close(gate);
    san = sanitizer_runtime();
    preload = malloc((san ? strlen(san) + 1 : 0) + strlen(lib) + (old ? strlen(old) : 0) + 2);
    if (preload) {
        sprintf(preload, "%s%s%s%s%s", san ? san : "", san ? ":" : "", lib, old && *old ? ":" : "",
                old ? old : "");
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
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "cprof run: cannot run '%s': %s\n", o->argv[0], strerror(errno));
    _exit(127);
}

/* The raw wait status of pid. */
static int wait_child(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return W_EXITCODE(127, 0);
    return st;
}

/* A shell's $? for a wait status: the exit code, or 128 + the signal. */
static int shell_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 127;
}

/* ---- signals sent to cprof run go to the program ---- */

static volatile sig_atomic_t g_child; /* the program's pid once forked */

/*
 * Passes a signal sent to cprof run (by kill, timeout, a service manager)
 * on to the program, which then ends as it chooses; cprof run waits for
 * it and summarizes.  The terminal's ^C, ^\ and hangup (si_code
 * SI_KERNEL) are not passed on: they reach the program's process group
 * directly.  Context: signal handler; async-signal-safe (kill only).
 */
static void forward_signal(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;

    (void)uc;
    if (si->si_code != SI_KERNEL && g_child > 0)
        kill((pid_t)g_child, sig);
    errno = saved_errno;
}

/*
 * SIGINT, SIGTERM and SIGHUP are forwarded, unless cprof run was started
 * with them ignored (a background job of a script): then they stay
 * ignored, for the program too.  SIGQUIT is ignored as system() does.
 * They are blocked (old mask in *mask) until the program's pid is known.
 */
static void setup_signals(sigset_t *mask)
{
    struct sigaction fwd = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t block;

    sigemptyset(&block);
    sigemptyset(&fwd.sa_mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
        int s = forwarded[i];
        sigaction(s, NULL, &g_entry[s]);
        if (g_entry[s].sa_handler == SIG_IGN && !(g_entry[s].sa_flags & SA_SIGINFO))
            continue;
        sigaddset(&fwd.sa_mask, s);
        sigaddset(&block, s);
    }
    sigprocmask(SIG_BLOCK, &block, mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        if (sigismember(&block, forwarded[i]))
            sigaction(forwarded[i], &fwd, NULL);
    sigaction(SIGQUIT, &ign, &g_entry[SIGQUIT]);
}

static void restore_signals(void)
{
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &g_entry[forwarded[i]], NULL);
    sigaction(SIGQUIT, &g_entry[SIGQUIT], NULL);
}

/* ---- output files: what the program (and its children) really wrote ---- */

/* One file present before the run: FILE or FILE.<pid>. */
struct seen {
    char *name;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
};

/* One output path and the FILE.<pid> files of descendants beside it. */
struct watch {
    const char *kind;  /* "CPU" or "heap" */
    const char *index; /* the sample type the children's list shows */
    char path[PATH_MAX];
    char dir[PATH_MAX];
    const char *base; /* base name of path, inside path */
    struct seen *before;
    size_t nbefore;
};

static void watch_init(struct watch *w, const char *kind, const char *path)
{
    const char *slash = strrchr(path, '/');

    memset(w, 0, sizeof(*w));
    w->kind = kind;
    w->index = strcmp(kind, "CPU") ? "alloc_space" : "cpu";
    snprintf(w->path, sizeof(w->path), "%s", path);
    if (!slash)
        snprintf(w->dir, sizeof(w->dir), ".");
    else if (slash == path)
        snprintf(w->dir, sizeof(w->dir), "/");
    else
        snprintf(w->dir, sizeof(w->dir), "%.*s", (int)(slash - path), path);
    w->base = w->path + (slash ? slash - path + 1 : 0);
}

static void watch_release(struct watch *w)
{
    for (size_t i = 0; i < w->nbefore; i++)
        free(w->before[i].name);
    free(w->before);
}

/* The pid of a descendant's "FILE.<pid>", or 0 when name is not one. */
static long child_pid_of(const struct watch *w, const char *name)
{
    size_t n = strlen(w->base);
    const char *d = name + n + 1;
    char *end;
    long pid;

    if (strncmp(name, w->base, n) != 0 || name[n] != '.' || *d < '1' || *d > '9')
        return 0;
    pid = strtol(d, &end, 10);
    return *end ? 0 : pid;
}

/*
 * Probes that the directory takes new files: the runtime writes each
 * profile to a temporary file there and renames it.  0 or -errno.
 */
static int dir_writable(const char *dir)
{
    char probe[PATH_MAX + 32];
    int fd;

    snprintf(probe, sizeof(probe), "%s/.cprof-probe-XXXXXX", dir);
    fd = mkstemp(probe);
    if (fd < 0)
        return -errno;
    close(fd);
    unlink(probe);
    return 0;
}

/* Notes FILE and FILE.<pid> as they are before the run. */
static void watch_snapshot(struct watch *w)
{
    DIR *d = opendir(w->dir);
    struct dirent *e;
    struct stat st;
    char full[2 * PATH_MAX + 2];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, w->base) != 0 && !child_pid_of(w, e->d_name))
            continue;
        snprintf(full, sizeof(full), "%s/%s", w->dir, e->d_name);
        if (stat(full, &st) < 0)
            continue;
        struct seen *v = realloc(w->before, (w->nbefore + 1) * sizeof(*v));
        if (!v)
            break;
        w->before = v;
        v[w->nbefore].name = strdup(e->d_name);
        if (!v[w->nbefore].name)
            break;
        v[w->nbefore].dev = st.st_dev;
        v[w->nbefore].ino = st.st_ino;
        v[w->nbefore].mtime = st.st_mtim;
        w->nbefore++;
    }
    closedir(d);
}

/*
 * Whether name (in w's directory) was written during the run: absent
 * before, or another file now (the runtime renames a new file into place,
 * so the inode changes), or modified.
 */
static bool watch_is_new(const struct watch *w, const char *name)
{
    char full[2 * PATH_MAX + 2];
    struct stat st;

    snprintf(full, sizeof(full), "%s/%s", w->dir, name);
    if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    for (size_t i = 0; i < w->nbefore; i++) {
        const struct seen *s = &w->before[i];
        if (strcmp(s->name, name) != 0)
            continue;
        return s->dev != st.st_dev || s->ino != st.st_ino || s->mtime.tv_sec != st.st_mtim.tv_sec ||
               s->mtime.tv_nsec != st.st_mtim.tv_nsec;
    }
    return true;
}

/* ---- reading what was written ---- */

/* One profile of the run. */
struct proc_prof {
    struct cprof_profile *p;
    long pid;        /* 0 for the program itself */
    double value;    /* total of the listed sample type, in its unit */
    const char *cmd; /* the runtime's "cmdline:" comment, or "?" */
    char file[2 * PATH_MAX + 2];
};

static struct cprof_profile *load(const char *path)
{
    struct cprof_buf buf;
    struct cprof_profile *p = NULL;
    struct cprof_diag diag = {0};
    int err;

    cprof_buf_init(&buf, MAX_PROFILE_BYTES);
    err = cprof_file_read(path, &buf);
    if (!err)
        err = cprof_profile_decode(buf.data, buf.len, NULL, &p, &diag);
    if (err)
        fprintf(stderr, "cprof: cannot read '%s': %s\n", path,
                diag.msg[0] ? diag.msg : cprof_strerror(err));
    cprof_buf_release(&buf);
    return p;
}

static void proc_fill(struct proc_prof *pp, const char *index)
{
    const struct cprof_profile *p = pp->p;
    uint32_t k = cprof_profile_sample_index(p, index);
    static const char prefix[] = "cprof: cmdline: ";

    pp->value = 0;
    for (uint32_t i = 0; k != CPROF_NONE && i < p->nsamples; i++)
        pp->value += (double)p->samples[i].values[k];
    pp->cmd = "?";
    for (uint32_t i = 0; i < p->ncomments; i++) {
        const char *c = cprof_profile_str(p, p->comments[i]);
        if (!strncmp(c, prefix, sizeof(prefix) - 1))
            pp->cmd = c + sizeof(prefix) - 1;
    }
}

static int cmp_value_desc(const void *a, const void *b)
{
    double x = ((const struct proc_prof *)a)->value, y = ((const struct proc_prof *)b)->value;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Loads the FILE.<pid> profiles written during the run, heaviest first.  Caller frees. */
static struct proc_prof *load_children(const struct watch *w, size_t *n /* OUT */)
{
    DIR *d = opendir(w->dir);
    struct dirent *e;
    struct proc_prof *v = NULL;
    long pid;

    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        if (!(pid = child_pid_of(w, e->d_name)) || !watch_is_new(w, e->d_name))
            continue;
        struct proc_prof *nv = realloc(v, (*n + 1) * sizeof(*v));
        if (!nv)
            break;
        v = nv;
        memset(&v[*n], 0, sizeof(v[*n]));
        snprintf(v[*n].file, sizeof(v[*n].file), "%s/%s", w->dir, e->d_name);
        v[*n].pid = pid;
        v[*n].p = load(v[*n].file);
        if (!v[*n].p)
            continue;
        proc_fill(&v[*n], w->index);
        (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), cmp_value_desc);
    return v;
}

/* ---- what cprof run says at the end ---- */

static const char *signame(int sig, char *buf, size_t n)
{
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev)
        snprintf(buf, n, "SIG%s", abbrev);
    else
        snprintf(buf, n, "signal %d", sig);
    return buf;
}

/* "0.412s" or "12.3MB": a listed value in the unit of its sample type. */
static void fmt_value(char *out, size_t n, const char *index, double v)
{
    if (!strcmp(index, "cpu"))
        snprintf(out, n, "%.3fs", v / 1e9);
    else if (v >= 1 << 20)
        snprintf(out, n, "%.1fMB", v / (1 << 20));
    else
        snprintf(out, n, "%.1fkB", v / 1024);
}

/* Whether the executable argv0 (searched in PATH) has no program interpreter. */
static bool is_static(const char *argv0)
{
    char path[PATH_MAX];
    const char *dirs = getenv("PATH");
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    bool found = strchr(argv0, '/') != NULL, interp = false;
    int fd;

    if (found)
        snprintf(path, sizeof(path), "%s", argv0);
    for (const char *d = dirs ? dirs : ""; !found && *d;) {
        size_t len = strcspn(d, ":");
        snprintf(path, sizeof(path), "%.*s/%s", (int)len, len ? d : ".", argv0);
        found = access(path, X_OK) == 0;
        d += len + (d[len] == ':');
    }
    fd = found ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return false;
    bool elf = pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
               !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
               eh.e_phentsize == sizeof(ph);
    for (unsigned i = 0; elf && i < eh.e_phnum && !interp; i++)
        interp = pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) ==
                     (ssize_t)sizeof(ph) &&
                 ph.p_type == PT_INTERP;
    close(fd);
    return elf && !interp;
}

/* Says why w's file was not written, and never presents an older file as new. */
static void say_missing(const struct watch *w, const struct run_opts *o, const char *prog, int st)
{
    char sig[32];
    const char *stale =
        access(w->path, F_OK) == 0 ? " (the file there is from an earlier run)" : "";

    if (WIFSIGNALED(st))
        fprintf(stderr, "cprof: %s was killed by %s; no %s profile written%s\n", prog,
                signame(WTERMSIG(st), sig, sizeof(sig)), w->kind, stale);
    else if (is_static(o->argv[0]))
        fprintf(stderr,
                "cprof: %s is statically linked: the runtime cannot be preloaded into it; "
                "no %s profile written%s\n",
                prog, w->kind, stale);
    else
        fprintf(stderr,
                "cprof: %s exited with status %d without writing the %s profile%s "
                "(a process that ends in _exit() or exec skips the runtime's exit)\n",
                prog, shell_status(st), w->kind, stale);
}

#define CHILDREN_LISTED 50 /* rows of the children's list; the rest are summed */

/* The children's list: pid, value, command line, heaviest first. */
static void list_children(const struct watch *w, const struct proc_prof *main,
                          const struct proc_prof *c, size_t n)
{
    char v[32];
    double total = main ? main->value : 0, rest = 0;

    if (!n)
        return;
    fprintf(stderr, "cprof: %zu child process%s wrote %s profiles (%s.<pid>), heaviest first:\n", n,
            n == 1 ? "" : "es", w->kind, w->path);
    fprintf(stderr, "cprof: %8s %10s  %s\n", "PID", strcmp(w->index, "cpu") ? "ALLOC" : "CPU",
            "COMMAND");
    for (size_t i = 0; i < n; i++) {
        total += c[i].value;
        if (i >= CHILDREN_LISTED) {
            rest += c[i].value;
            continue;
        }
        fmt_value(v, sizeof(v), w->index, c[i].value);
        fprintf(stderr, "cprof: %8ld %10s  %.200s%s\n", c[i].pid, v, c[i].cmd,
                strlen(c[i].cmd) > 200 ? " ..." : "");
    }
    if (n > CHILDREN_LISTED) {
        fmt_value(v, sizeof(v), w->index, rest);
        fprintf(stderr, "cprof: %8s %10s  (%zu more)\n", "", v, n - CHILDREN_LISTED);
    }
    fmt_value(v, sizeof(v), w->index, total);
    fprintf(stderr, "cprof: all %zu processes: %s%s\n", n + (main != NULL), v,
            main ? "" : " (the program itself wrote no profile)");
}

/* The merged profile of the program and its children, summarized as one. */
static void print_merged(const struct watch *w, const struct proc_prof *main,
                         const struct proc_prof *c, size_t n)
{
    struct cprof_profile **all = calloc(n + 1, sizeof(*all)), *m = NULL;
    struct cprof_diag diag = {0};
    size_t k = 0;
    int err;

    if (!all)
        return;
    if (main)
        all[k++] = main->p;
    for (size_t i = 0; i < n; i++)
        all[k++] = c[i].p;
    err = k ? cprof_profile_merge(all, k, &m, &diag) : CPROF_EUSAGE;
    if (err) {
        fprintf(stderr, "cprof: cannot merge the %s profiles: %s\n", w->kind,
                diag.msg[0] ? diag.msg : cprof_strerror(err));
    } else {
        fprintf(stderr, "cprof: %s profiles of %zu processes, merged:\n", w->kind, k);
        cprof_run_print_top(m, 10);
    }
    cprof_profile_free(m);
    free(all);
}

/* Everything said about one output (CPU or heap) after the run. */
static void report_output(const struct watch *w, const struct run_opts *o, const char *prog, int st)
{
    struct proc_prof main = {0}, *c;
    bool have_main = watch_is_new(w, w->base);
    char sig[32];
    size_t n;

    c = load_children(w, &n);
    if (!have_main) {
        say_missing(w, o, prog, st);
    } else {
        if (WIFSIGNALED(st))
            fprintf(stderr, "cprof: %s was killed by %s\n", prog,
                    signame(WTERMSIG(st), sig, sizeof(sig)));
        snprintf(main.file, sizeof(main.file), "%s", w->path);
        main.p = load(w->path);
        if (main.p) {
            proc_fill(&main, w->index);
            fprintf(stderr, "cprof: %s profile written to %s\n", w->kind, w->path);
        }
    }
    if (o->merge && (main.p || n))
        print_merged(w, main.p ? &main : NULL, c, n);
    else if (main.p)
        cprof_run_print_top(main.p, 10);
    list_children(w, main.p ? &main : NULL, c, n);
    for (size_t i = 0; i < n; i++)
        cprof_profile_free(c[i].p);
    free(c);
    cprof_profile_free(main.p);
}

/* Refuses to start a program whose profile could not be written. */
static int check_output(const char *path)
{
    struct watch w;
    struct stat st;
    int err;

    watch_init(&w, "CPU", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cprof run: cannot write the profile to '%s': it is a directory\n", path);
        return -1;
    }
    err = dir_writable(w.dir);
    if (err) {
        fprintf(stderr, "cprof run: cannot write profiles in '%s': %s\n", w.dir,
                cprof_strerror(err));
        return -1;
    }
    return 0;
}

int cprof_cmd_run(int argc, char **argv)
{
    struct run_opts o;
    struct watch cpu, heap;
    char lib[PATH_MAX + 32], path[PATH_MAX];
    const char *base;
    sigset_t mask;
    pid_t pid;
    int err, st, gate[2];

    if (parse(argc, argv, &o) < 0)
        return usage();
    err = find_runtime(lib, sizeof(lib));
    if (err) {
        fprintf(stderr, "cprof run: cannot find libcprof.so next to cprof: %s\n",
                cprof_strerror(err));
        return 127;
    }
    if ((o.want_cpu && check_output(o.cpu ? o.cpu : "./x") < 0) ||
        (o.heap && check_output(o.heap) < 0))
        return 2;
    base = strrchr(o.argv[0], '/') ? strrchr(o.argv[0], '/') + 1 : o.argv[0];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        fprintf(stderr, "cprof run: pipe: %s\n", strerror(errno));
        return 127;
    }
    setup_signals(&mask);
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
    if (pid == 0) {
        close(gate[1]);
        child_exec(&o, lib, path, gate[0]);
    }
    g_child = pid;
    sigprocmask(SIG_SETMASK, &mask, NULL);
    close(gate[0]);
    watch_init(&cpu, "CPU", path);
    watch_init(&heap, "heap", o.heap ? o.heap : "");
    if (o.want_cpu)
        watch_snapshot(&cpu);
    if (o.heap)
        watch_snapshot(&heap);
    close(gate[1]); /* the program may start */
    st = wait_child(pid);
    restore_signals();
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 127 && !watch_is_new(&cpu, cpu.base) &&
          (!o.heap || !watch_is_new(&heap, heap.base)))) {
        if (o.want_cpu)
            report_output(&cpu, &o, base, st);
        if (o.heap)
            report_output(&heap, &o, base, st);
    }
    watch_release(&cpu);
    watch_release(&heap);
    return shell_status(st);
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
