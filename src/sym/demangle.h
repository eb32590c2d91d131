/*
 * pprof's C++ name simplification (-symbolize=demangle=MODE): the names a
 * report shows for functions whose system (linkage) name is mangled, in
 * the four modes of pprof's symbolizer.  The demangling itself is
 * libstdc++'s __cxa_demangle; the modes are applied to its text.
 */
#ifndef CPROF_SYM_DEMANGLE_H
#define CPROF_SYM_DEMANGLE_H

#include <stdbool.h>

struct cprof_profile;

enum cprof_demangle_mode {
    CPROF_DEMANGLE_DEFAULT,   /* no parameters, no template arguments, no return type */
    CPROF_DEMANGLE_TEMPLATES, /* no parameters and no return type; template arguments kept */
    CPROF_DEMANGLE_FULL,      /* everything but the " [clone .suffix]" of compiler clones */
    CPROF_DEMANGLE_NONE,      /* everything (pprof's "none" still demangles: no options) */
};

/*
 * The name pprof shows for system name sys in mode: demangled and
 * simplified when sys is a C++ mangled name, else sys with pprof's
 * heuristics for names that look demangled already ("ns::f(int)" gives
 * "ns::f" in the default mode).  Returns a malloc'd string; NULL on ENOMEM.
 * Context: any thread but a signal handler (may dlopen libstdc++ once).
 */
char *cprof_demangle_name(const char *sys, enum cprof_demangle_mode mode);

/*
 * pprof's Demangle(profile, force, mode): with force, every function with
 * a C++ system name (mangled, or looking demangled) takes it back first (pprof does so for all:
 * cprof keeps the names it gave C functions with asm labels); then each
 * function whose
 * name is empty or equal to its system name gets cprof_demangle_name() of
 * its system name.  0, or -ENOMEM / CPROF_ETOOBIG (p consistent, partly
 * renamed).
 * Context: the profile's owner, never a signal handler.
 */
int cprof_demangle_profile(struct cprof_profile *p, bool force, enum cprof_demangle_mode mode);

#endif /* CPROF_SYM_DEMANGLE_H */
