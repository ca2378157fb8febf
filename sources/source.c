#include "source.h"

#include <time.h>

const char *
source_state_name(enum source_state state)
{
    switch (state) {
    case SOURCE_ACTIVE:
        return "active";
    case SOURCE_ABSENT:
        return "absent";
    case SOURCE_FAILED:
        return "failed";
    case SOURCE_DISABLED:
        return "disabled";
    }
    return "unknown";
}

double
monotonic_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
