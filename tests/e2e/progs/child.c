/* The program exec.c starts: burns a little CPU and exits 0. */
#include "spin.h"

int main(void)
{
    burn(0.1);
    return 0;
}
