/*
 * measurebaseline.c: pmpower measure's idle baseline: measured before the
 * trials, or kept in and reused from --baseline-file (baselinefile.h).
 */
#include "measure.h"
#include "baselinefile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Idle power over about seconds (then the exact span in *seconds): 0, or -1. */
int
measure_baseline(struct measure *ms, double *seconds, double *watts, bool quiet)
{
    double t0, e0, t1, e1, z0 = 0, z1 = 0;

    if (measure_boundary(ms, &t0, &e0) < 0)
        return -1;
    for (size_t z = 0; z < ms->zones.n; z++)
        z0 += ms->zone_e[z];
    if (!quiet)
        fprintf(stderr, "%s: measuring idle power for %g s\n", pmGetProgname(), *seconds);
    pp_sleep_until(pp_now() + *seconds);
    if (measure_boundary(ms, &t1, &e1) < 0)
        return -1;
    for (size_t z = 0; z < ms->zones.n; z++)
        z1 += ms->zone_e[z];
    *seconds = t1 - t0;
    *watts = *seconds > 0 ? (e1 - e0) / *seconds : 0;
    ms->zones_baseline_w = *seconds > 0 && ms->zones.n ? (z1 - z0) / *seconds : NAN;
    return 0;
}

/* The baseline from --baseline-file: 0, or the exit status after a message. */
int
measure_baseline_load(struct measure *ms, const char *path, bool allow_old, double *seconds, double *watts)
{
    struct baseline_record b;
    char err[1024], age[64];

    if (baselinefile_load(path, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
        return 1;
    }
    ms->baseline_age = pp_now() - b.saved;
    baselinefile_age_text(ms->baseline_age, age, sizeof(age));
    if (ms->baseline_age > BASELINE_MAX_AGE_S && !allow_old) {
        fprintf(stderr, "%s: the baseline in %s is %s old, older than 7 days: idle power drifts, measure it again "
                "(--baseline S --baseline-file %s) or use it anyway with --allow-old-baseline\n",
                pmGetProgname(), path, age, path);
        return 1;
    }
    if (strcmp(b.host, ms->ctx->source) != 0)
        fprintf(stderr, "%s: warning: the baseline in %s was measured on %s, this is %s\n", pmGetProgname(),
                path, b.host, ms->ctx->source);
    if (b.source[0] && ms->before.source[0] && strcmp(b.source, ms->before.source) != 0)
        fprintf(stderr, "%s: warning: the baseline in %s was measured with power.system from %s, now %s\n",
                pmGetProgname(), path, b.source, ms->before.source);
    if (ms->zones.n && strcmp(b.zones, ms->zones.text) == 0)
        ms->zones_baseline_w = b.zones_w;
    else if (ms->zones.n)
        fprintf(stderr, "%s: warning: the baseline in %s has no idle power for --zone %s (save one with "
                "--baseline S --zone %s --baseline-file FILE): the zones' net energy is not given\n",
                pmGetProgname(), path, ms->zones.text, ms->zones.text);
    *seconds = b.seconds;
    *watts = b.power_w;
    return 0;
}

int
measure_baseline_save(const struct measure *ms, const char *path, double seconds, double watts)
{
    struct baseline_record b = { .power_w = watts, .seconds = seconds, .saved = pp_now(),
                                 .interval = ms->interval };
    char err[1024];

    snprintf(b.host, sizeof(b.host), "%s", ms->ctx->source);
    snprintf(b.source, sizeof(b.source), "%s", ms->before.source);
    snprintf(b.zones, sizeof(b.zones), "%s", ms->zones.text);
    b.zones_w = ms->zones_baseline_w;
    if (baselinefile_save(path, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
        return 1;
    }
    return 0;
}
