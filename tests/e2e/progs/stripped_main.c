/* Calls the stripped library's hot code for argv[1] rounds (t_sym_stripped.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t stripped_work(long rounds);

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 2000;

    printf("%llu\n", (unsigned long long)stripped_work(rounds));
    return 0;
}
