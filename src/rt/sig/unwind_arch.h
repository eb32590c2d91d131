/*
 * Architecture-specific parts of the unwinder: the registers a walk
 * tracks, how to read them from a signal's ucontext or the current frame,
 * the frame-pointer frame layout, and the DWARF register numbers the table
 * builder interprets.  Only x86-64 for now; an aarch64 port adds a branch
 * here (pc/sp/x29 from uc_mcontext, RA in x30 for frame 0) and its CFI
 * register numbers in the builder.
 */
#ifndef CPROF_RT_SIG_UNWIND_ARCH_H
#define CPROF_RT_SIG_UNWIND_ARCH_H

#include <stdint.h>
#include <ucontext.h>

/* The registers a walk follows from frame to frame. */
struct cprof__unw_regs {
    uintptr_t pc; /* instruction pointer (frame 0) or return address */
    uintptr_t sp; /* stack pointer: the CFA of the callee frame */
    uintptr_t fp; /* frame pointer register, if the frame keeps one */
    uintptr_t bx; /* second tracked callee-saved register (x86-64 rbx); 0 if unknown */
};

#if defined(__x86_64__)

#define CPROF_UNW_DW_BX 3  /* DWARF number of rbx */
#define CPROF_UNW_DW_FP 6  /* rbp */
#define CPROF_UNW_DW_SP 7  /* rsp */
#define CPROF_UNW_DW_RA 16 /* the return-address column (rip) */

/* Frame-pointer frames: [fp] = caller's fp, [fp + 8] = return address. */
#define CPROF_UNW_FP_NEXT_OFF 0
#define CPROF_UNW_FP_RA_OFF   8
#define CPROF_UNW_FP_SP_OFF   16 /* caller's sp = fp + 16 */

/* Registers of the interrupted context of an SA_SIGINFO handler. */
#define CPROF_UNW_REGS_FROM_UCONTEXT(r, uc)                                                        \
    do {                                                                                           \
        const ucontext_t *uc_ = (const ucontext_t *)(uc);                                          \
        (r)->pc = (uintptr_t)uc_->uc_mcontext.gregs[REG_RIP];                                      \
        (r)->sp = (uintptr_t)uc_->uc_mcontext.gregs[REG_RSP];                                      \
        (r)->fp = (uintptr_t)uc_->uc_mcontext.gregs[REG_RBP];                                      \
        (r)->bx = (uintptr_t)uc_->uc_mcontext.gregs[REG_RBX];                                      \
    } while (0)

/*
 * Registers of the caller of the current function, from its frame record.
 * __builtin_frame_address(0) makes gcc and clang set up rbp in the function
 * that uses it, so [fa] and [fa + 8] are always its frame record.  The
 * caller's rbx is not known (only the resolver's CFA rule needs it).
 */
#define CPROF_UNW_REGS_CALLER(r)                                                                   \
    do {                                                                                           \
        const uintptr_t *fa_ = (const uintptr_t *)__builtin_frame_address(0);                      \
        (r)->pc = fa_[1];                                                                          \
        (r)->sp = (uintptr_t)(fa_ + 2);                                                            \
        (r)->fp = fa_[0];                                                                          \
        (r)->bx = 0;                                                                               \
    } while (0)

#else
#error "cprof's unwinder supports x86-64 only; see unwind_arch.h for what a port needs"
#endif

#endif /* CPROF_RT_SIG_UNWIND_ARCH_H */
