/*
 * main() for benchmark programs that define none: an archive member of its
 * own, so the linker takes it only when the program leaves main undefined.
 */
#include "cprof/bench.h"

int main(int argc, char **argv);

int main(int argc, char **argv)
{
    return cprof_bench_main(argc, argv);
}
