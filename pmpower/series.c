#include "series.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *metric;
    const char *prefix;
} series_table[S_COUNT] = {
    [S_SYSTEM]       = { "power.system.energy", "system" },
    [S_RAPL]         = { "power.rapl.energy", "rapl" },
    [S_METER]        = { "power.meter.energy", "meter" },
    [S_METER_TOTAL]  = { "power.meter.total.energy", "meters" },
    [S_VM]           = { "power.vm.energy", "vm" },
    [S_SOC]          = { "power.soc.energy", "soc" },
    [S_BATTERY]      = { "power.battery.energy", "battery" },
    [S_GPU]          = { "power.gpu.energy", "gpu" },
    [S_HWMON]        = { "power.hwmon.energy", "hwmon" },
    [S_MODEL]        = { "power.model.energy", "model" },
    [S_PROC]         = { "power.proc.energy", "proc" },
    [S_CGROUP]       = { "power.cgroup.energy", "cgroup" },
    [S_UNATTRIBUTED] = { "power.proc.unattributed.energy", "unattributed" },
    [S_SOURCE]       = { "power.system.source", "source" },
    [S_SAMPLES]      = { "power.control.samples", "samples" },
    [S_INTERVAL]     = { "power.control.interval", "interval" },
    [S_START_TIME]   = { "power.control.start_time", "start_time" },
    [S_SAMPLE_TIME]  = { "power.control.sample_time", "sample_time" },
};

void
pp_series_init(struct pp_metric m[S_COUNT])
{
    memset(m, 0, S_COUNT * sizeof(*m));
    for (int i = 0; i < S_COUNT; i++)
        m[i].name = series_table[i].metric;
}

const char *
pp_series_prefix(int series)
{
    return series >= 0 && series < S_COUNT ? series_table[series].prefix : "?";
}

void
pp_series_label(struct pp_ctx *c, const struct pp_metric *m, int series, int inst,
                char *buf, size_t size)
{
    if (m[series].desc.indom == PM_INDOM_NULL || inst == PP_IN_NULL)
        snprintf(buf, size, "%s", pp_series_prefix(series));
    else
        snprintf(buf, size, "%s:%s", pp_series_prefix(series),
                 pp_inst_name(c, m[series].desc.indom, inst));
}

const char *
pp_proc_command(const char *inst_name)
{
    const char *p = inst_name;

    while (isdigit((unsigned char)*p))
        p++;
    while (*p == ' ')
        p++;
    return *p ? p : inst_name;
}

static int
cmp_ranked(const void *a, const void *b)
{
    const struct pp_ranked *x = a, *y = b;

    return x->value < y->value ? 1 : x->value > y->value ? -1 : (x->inst > y->inst) - (x->inst < y->inst);
}

void
pp_rank(struct pp_ranked *rows, size_t n)
{
    qsort(rows, n, sizeof(*rows), cmp_ranked);
}
