#include "clock.h"

#include <time.h>

static double
clock_seconds(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
monotonic_seconds(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

double
wall_seconds(void)
{
    return clock_seconds(CLOCK_REALTIME);
}
