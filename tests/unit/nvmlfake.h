/*
 * nvmlfake.h: for unit tests over the stand-in NVML (tests/helpers/fake_nvml.c,
 * built as build/tests/libnvidia-ml*.so.1, or $POWER_NVML_FAKES): where the
 * libraries are, and the state file FAKE_NVML_STATE names.
 */
#ifndef POWER_NVMLFAKE_H
#define POWER_NVMLFAKE_H

#include "check.h"
#include "fakesys.h"

static char state_path[512];
static char lib_dir[512];

/* A new state file, renamed into place as the fake expects. */
static void __attribute__((unused))
write_state(const char *text)
{
    char tmp[600];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.new", state_path);
    if (!(fp = fopen(tmp, "w"))) {
        perror(tmp);
        return;
    }
    fputs(text, fp);
    fclose(fp);
    if (rename(tmp, state_path) < 0)
        perror(state_path);
}

/* Points FAKE_NVML_STATE into a new temporary directory (returned, for
 * fake_remove); NULL, after a failed check, when the fakes are not built. */
static char * __attribute__((unused))
nvml_fake_setup(const char *tag)
{
    const char *dir = getenv("POWER_NVML_FAKES");
    char *root = fake_root(tag);
    char probe[1024];

    snprintf(lib_dir, sizeof(lib_dir), "%s", dir ? dir : "build/tests");
    snprintf(state_path, sizeof(state_path), "%s/nvml.state", root);
    setenv("FAKE_NVML_STATE", state_path, 1);
    snprintf(probe, sizeof(probe), "%s/libnvidia-ml.so.1", lib_dir);
    if (access(probe, R_OK) != 0) {
        CHECK(0, "the stand-in NVML is built (make %s)", probe);
        return NULL;
    }
    return root;
}

#endif
