/* Shared by the e2e test programs: burn CPU in a named function. */
#include <time.h>

static double spin_cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long spin_sink;

/* Burns about secs of process CPU time. */
__attribute__((noinline)) static void burn(double secs)
{
    double t0 = spin_cpu_now();
    unsigned long x = spin_sink;

    while (spin_cpu_now() - t0 < secs)
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    spin_sink = x;
}
