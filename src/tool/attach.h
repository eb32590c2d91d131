/*
 * `cprof attach`: profiles a running process that has no cprof in it.
 * The pieces, one file each:
 *   attach.c         the command: options, the session loop, the profiles
 *   attach_perf.c    per-thread perf events with user registers and a
 *                    user-stack copy per sample, and their ring buffers
 *   attach_unwind.c  the target's objects as local images, unwound by the
 *                    runtime's CFI tables (rt/unwind_tables.c) and walker
 *   attach_wall.c    off-CPU threads for wall-clock profiles: state,
 *                    system call and stack read from /proc, never a signal
 * Nothing here stops the target or sends it a signal.
 */
#ifndef CPROF_TOOL_ATTACH_H
#define CPROF_TOOL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sym/maps.h"

struct cprof__unw_table;
struct cprof_profile;

/* Most frames kept per stack. */
#define CPROF_ATTACH_MAX_DEPTH 256
/* Bytes of user stack copied per sample (perf) or per blocked thread (/proc). */
#define CPROF_ATTACH_STACK_BYTES 16384

/* `cprof attach [-seconds N] [-hz N] [-cpu FILE] [-wall FILE] PID`; argv[0] is "attach". */
int cprof_cmd_attach(int argc, char **argv);

/* ---- the target's objects (attach_unwind.c) ---- */

/* One ELF object of the target, read into a private image. */
struct cprof_attach_obj {
    char *path; /* as /proc/PID/maps names it; malloc'd */
    void *mem;  /* image of its readable segments (mmap'd), or NULL */
    size_t len; /* bytes at mem */
    void *phdr; /* ElfW(Phdr)[phnum], malloc'd */
    int phnum;
    uintptr_t local_bias; /* segment p_vaddr is at local_bias + p_vaddr here */
    uintptr_t bias;       /* and at bias + p_vaddr in the target */
};

struct cprof_attach_objs {
    int pid;
    struct cprof_attach_obj *v;
    size_t n, cap;
    struct cprof_maps maps;         /* the target's executable mappings, last read */
    struct cprof__unw_table *table; /* over v[], or NULL */
    unsigned skipped;               /* mapped files that could not be read */
};

void cprof_attach_objs_init(struct cprof_attach_objs *o, int pid);
void cprof_attach_objs_release(struct cprof_attach_objs *o);

/*
 * Re-reads /proc/PID/maps, loads the objects not seen before and rebuilds
 * the tables.  0, or -errno when the maps cannot be read (EACCES: not
 * allowed to look at the process).
 */
int cprof_attach_objs_refresh(struct cprof_attach_objs *o);

/* True when pc lies in an executable mapping known to o. */
bool cprof_attach_objs_knows(const struct cprof_attach_objs *o, uint64_t pc);

/*
 * Reads an ELF file (fd) into a private image laid out as its PT_LOAD
 * segments say, filling obj's mem, len, phdr, phnum and local_bias.
 * Bounded against the file's size; CPROF_ECORRUPT when it is not a 64-bit
 * x86-64 ELF file, -errno on read errors.  (Fuzzed: fuzz/fuzz_attach_elf.c.)
 */
int cprof_attach_image_read(int fd, struct cprof_attach_obj *obj);
void cprof_attach_image_release(struct cprof_attach_obj *obj);

/*
 * Bias of an object whose file offset `offset` is mapped at `start`:
 * target address = bias + p_vaddr.  False when no PT_LOAD holds offset.
 */
bool cprof_attach_image_bias(const struct cprof_attach_obj *obj, uint64_t start, uint64_t offset,
                             uintptr_t *bias /* OUT */);

/* ---- perf sample records (attach_perf.c) ---- */

/* What a PERF_RECORD_SAMPLE of ours carries. */
struct cprof_attach_sample {
    uint64_t id;        /* PERF_SAMPLE_IDENTIFIER: an event, not a thread (contexts move) */
    uint64_t stream_id; /* PERF_SAMPLE_STREAM_ID */
    uint32_t pid, tid;
    uint64_t time;   /* perf clock, ns */
    uint64_t period; /* task-clock ns this sample stands for */
    bool has_regs;   /* user registers present */
    uint64_t bx, bp, sp, ip;
    const uint8_t *stack; /* user stack bytes from sp, stack_len of them */
    uint64_t stack_len;
};

/*
 * Parses one PERF_RECORD_SAMPLE record (header included, len bytes) of the
 * layout cprof_attach_perf_open asks for.  CPROF_ECORRUPT when it does not
 * fit.  out->stack points into rec.  (Fuzzed: fuzz/fuzz_attach_sample.c.)
 */
int cprof_attach_sample_parse(const uint8_t *rec, size_t len,
                              struct cprof_attach_sample *out /* OUT */);

struct cprof_attach_perf;

/* Called for each sample (and with lost counts) while draining. */
struct cprof_attach_sink {
    void (*sample)(void *ctx, const struct cprof_attach_sample *s);
    void *ctx;
};

/*
 * Opens task-clock sampling events on every thread of pid, on every online
 * CPU, at hz, with one ring buffer per CPU.  New threads need
 * cprof_attach_perf_rescan (see attach_perf.c for why not inherit).
 * On failure writes a one-line reason naming the setting that would allow
 * it into why and returns -errno.
 */
int cprof_attach_perf_open(int pid, int hz, struct cprof_attach_perf **out /* OUT */, char *why,
                           size_t whysz);

/* Opens events on threads that appeared and have none; returns how many threads were added. */
int cprof_attach_perf_rescan(struct cprof_attach_perf *p);

/* Reads every buffer, calling sink for each sample.  Returns samples seen. */
size_t cprof_attach_perf_drain(struct cprof_attach_perf *p, const struct cprof_attach_sink *sink);

/* Stops counting on every event (before the last drain). */
void cprof_attach_perf_disable(struct cprof_attach_perf *p);

/* Counters for the profile's comments. */
struct cprof_attach_perf_stats {
    uint64_t lost;      /* records the kernel dropped (full buffers) */
    uint64_t threads;   /* threads with events opened by us */
    uint64_t events;    /* events (threads x CPUs) */
    uint64_t late;      /* threads found by a rescan (started after the first scan) */
    uint64_t other_pid; /* samples of another process, dropped */
    size_t ring_bytes;  /* data bytes per CPU buffer */
};
void cprof_attach_perf_stats(const struct cprof_attach_perf *p,
                             struct cprof_attach_perf_stats *out /* OUT */);

void cprof_attach_perf_close(struct cprof_attach_perf *p);

/* ---- wall clock (attach_wall.c) ---- */

struct cprof_attach_wall;

/* What an off-CPU tick produces: a stack and the state it was in. */
struct cprof_attach_wall_sink {
    void (*sample)(void *ctx, int tid, const uintptr_t *pcs, int n, const char *state, int64_t ns);
    void *ctx;
};

int cprof_attach_wall_new(int pid, struct cprof_attach_wall **out /* OUT */);

/*
 * One tick at monotonic time now_ns: every thread not running gets a sample
 * weighted by the time since its previous tick, with the stack it is
 * blocked in (re-read only when its CPU time moved).  Threads running are
 * left to the CPU samples.  -EACCES with why filled when /proc refuses
 * (ptrace access mode: Yama).
 */
int cprof_attach_wall_tick(struct cprof_attach_wall *w, uint64_t now_ns,
                           const struct cprof_attach_objs *objs,
                           const struct cprof_attach_wall_sink *sink, char *why, size_t whysz);

/* Notes a thread's latest CPU sample stack (for its time runnable but off CPU). */
void cprof_attach_wall_note_cpu(struct cprof_attach_wall *w, int tid, const uintptr_t *pcs, int n);

/* Counters for the profile's comments. */
struct cprof_attach_wall_stats {
    uint64_t ticks;    /* ticks taken */
    uint64_t captures; /* stacks read (thread's CPU time moved) */
    uint64_t reused;   /* samples that reused a thread's previous stack */
    uint64_t failed;   /* threads whose stack could not be read */
};
void cprof_attach_wall_stats(const struct cprof_attach_wall *w,
                             struct cprof_attach_wall_stats *out /* OUT */);
void cprof_attach_wall_free(struct cprof_attach_wall *w);

/* The x86-64 system call name of nr, or NULL when not in the table. */
const char *cprof_attach_syscall_name(long nr);

/* A walk of the target's stack copy; pcs[0] = pc.  Number of frames. */
int cprof_attach_unwind(const struct cprof_attach_objs *o, uintptr_t pc, uintptr_t sp,
                        const uintptr_t *fp_bx /* NULL: not known */, const void *copy,
                        size_t copy_len, uintptr_t *pcs, int max);

#endif /* CPROF_TOOL_ATTACH_H */
