/*
 * Replays fuzz corpora through a fuzz target without libFuzzer, so every
 * input that ever crashed stays a regression test in `make test`.
 * Usage: fuzz_replay DIR|FILE...   Prints TAP-like lines and
 * "N passed, N failed"; a crash kills the run (the test fails).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    struct cprof_buf b;
    int err;

    cprof_buf_init(&b, (size_t)64 << 20);
    err = cprof_file_read(path, &b);
    if (err) {
        fprintf(stderr, "fuzz_replay: cannot read '%s'\n", path);
        cprof_buf_release(&b);
        return -1;
    }
    LLVMFuzzerTestOneInput(b.data ? b.data : (const uint8_t *)"", b.len);
    cprof_buf_release(&b);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;

        if (stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
            replay_file(argv[i]) == 0 ? passed++ : failed++;
            continue;
        }
        d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "fuzz_replay: cannot open '%s'\n", argv[i]);
            failed++;
            continue;
        }
        while ((de = readdir(d)) != NULL) {
            char *path;
            if (de->d_name[0] == '.')
                continue;
            names = realloc(names, (n + 1) * sizeof(*names));
            path = malloc(strlen(argv[i]) + strlen(de->d_name) + 2);
            if (!names || !path)
                return 2;
            sprintf(path, "%s/%s", argv[i], de->d_name);
            names[n++] = path;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        for (size_t j = 0; j < n; j++) {
            replay_file(names[j]) == 0 ? passed++ : failed++;
            free(names[j]);
        }
        free(names);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
