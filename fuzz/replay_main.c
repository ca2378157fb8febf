/*
 * replay_main.c: a fuzz target without libFuzzer. `make check` links each
 * harness (fuzz/fuzz_NAME.c) with this main, built by the normal compiler
 * with ASan and UBSan, and tests/run runs it over fuzz/corpus/NAME: every
 * kept input goes through LLVMFuzzerTestOneInput once, as `fuzzer CORPUS
 * -runs=0` would replay it, so a crash, leak, undefined behaviour or broken
 * property that an input once found fails the test, with no clang and no
 * fuzzing time. Prints "# FILE" before each input (the last one named is
 * the culprit of a crash) and one ok/not ok line per directory.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* LeakSanitizer, when linked in: a leak is charged to the input that made it */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* 0, -1 when the file cannot be read, 1 when the input leaked */
static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, got;

    if (!f) {
        printf("# cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    do {
        if (size == cap) {
            uint8_t *grown = realloc(data, cap = cap ? cap * 2 : 65536);
            if (!grown)
                abort();
            data = grown;
        }
        got = fread(data + size, 1, cap - size, f);
        size += got;
    } while (got > 0);
    fclose(f);
    /* an exact-size copy, as libFuzzer hands it: a read past the end is caught */
    {
        uint8_t *exact = malloc(size ? size : 1);
        if (!exact)
            abort();
        memcpy(exact, data, size);
        free(data);
        printf("# %s (%zu bytes)\n", path, size);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
        printf("# %s leaked memory (see the report above)\n", path);
        return 1;
    }
    return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    int failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);   /* "# FILE" is out before a crash */
    if (strncmp(name, "replay_", 7) == 0)
        name += 7;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct dirent **list;
        struct stat sb;
        int n, replayed = 0, unreadable = 0, leaked = 0, sts;

        if (stat(argv[i], &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            sts = replay_file(argv[i]);
            unreadable += sts < 0;
            leaked += sts > 0;
            replayed++;
        } else if ((n = scandir(argv[i], &list, NULL, by_name)) < 0) {
            printf("not ok - fuzz corpus %s: cannot read %s: %s\n", name, argv[i], strerror(errno));
            failed++;
            continue;
        } else {
            for (int k = 0; k < n; k++) {
                char path[4096];
                if (list[k]->d_name[0] != '.') {
                    snprintf(path, sizeof(path), "%s/%s", argv[i], list[k]->d_name);
                    sts = replay_file(path);
                    unreadable += sts < 0;
                    leaked += sts > 0;
                    replayed++;
                }
                free(list[k]);
            }
            free(list);
        }
        if (replayed == 0 || unreadable > 0 || leaked > 0) {
            printf("not ok - fuzz corpus %s: %s holds %d inputs, %d unreadable, %d leaked memory\n",
                   name, argv[i], replayed, unreadable, leaked);
            failed++;
        } else
            printf("ok - fuzz corpus %s: %d inputs from %s replayed: no crash, leak, undefined "
                   "behaviour or broken property\n", name, replayed, argv[i]);
    }
    return failed ? 1 : 0;
}
