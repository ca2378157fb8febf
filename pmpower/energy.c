/*
 * energy.c: the energy of a window from the counters, on an archive
 * (archive.h) or a live host. Boundaries are the counters' values at the
 * window's ends (placed at their sample times in an archive; freshly
 * sampled live), never a sum of sampled powers; readings between them only
 * matter for instances that come and go (processes) and for agent
 * restarts (window.h).
 */
#include "energy.h"
#include "archive.h"
#include "edge.h"
#include "stop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
is_energy_series(int s)
{
    return s <= S_UNATTRIBUTED;
}

/* Add every reading in r as one round; true when it held power.system.energy. */
static bool
add_round(struct pp_window_result *out, const struct pp_metric *m, const pmHighResResult *r,
          double t)
{
    bool have_system = false;

    window_round(&out->w);
    for (int s = 0; s < S_COUNT; s++) {
        pmValueSet *vs = pp_vset(r, m, S_COUNT, (size_t)s);
        if (!vs || vs->numval <= 0)
            continue;
        if (s == S_SOURCE) {
            char *str;
            if (pp_string(vs, &m[s].desc, 0, &str) > 0) {
                pp_note_source(out, str);
                free(str);
            }
            continue;
        }
        if (s == S_INTERVAL) {
            double iv;
            if (pp_double(vs, &m[s].desc, 0, &iv) > 0)
                out->interval = iv;
            continue;
        }
        if (!is_energy_series(s))
            continue;
        for (int j = 0; j < vs->numval; j++) {
            double v;
            if (pp_double(vs, &m[s].desc, j, &v) <= 0)
                continue;
            window_add(&out->w, s, vs->vlist[j].inst, v, t,
                       s == S_PROC || s == S_CGROUP);
            if (s == S_SYSTEM)
                have_system = true;
        }
    }
    return have_system;
}

int
pp_window_check(const struct pp_ctx *c, double *start, double *end, bool quiet)
{
    char a[64], b[64], x[64], y[64];

    if (!c->archive)
        return 0;
    pp_format_time(c->start, a, sizeof(a));
    pp_format_time(c->end, b, sizeof(b));
    if (*end <= c->start || *start >= c->end) {
        pp_format_time(*start, x, sizeof(x));
        pp_format_time(*end, y, sizeof(y));
        fprintf(stderr, "%s: the window %s .. %s is outside the archive, which runs from %s to %s: "
                "choose -S/-T inside it\n", pmGetProgname(), x, y, a, b);
        return 1;
    }
    if (*start < c->start) {
        if (!quiet)
            fprintf(stderr, "%s: warning: the window starts before the archive; starting at %s\n",
                    pmGetProgname(), a);
        *start = c->start;
    }
    if (*end > c->end) {
        if (!quiet)
            fprintf(stderr, "%s: warning: the window ends after the archive; ending at %s\n",
                    pmGetProgname(), b);
        *end = c->end;
    }
    return 0;
}

int
pp_window_resolve(const struct pp_ctx *c, const char *start_text, const char *end_text,
                  double *start, double *end)
{
    char a[64], b[64];

    *start = c->archive ? c->start : pp_now();
    *end = c->end;
    if ((start_text && pp_parse_time(c, start_text, false, start) < 0) ||
        (end_text && pp_parse_time(c, end_text, true, end) < 0))
        return 2;
    if (!(*end > *start)) {
        pp_format_time(*start, a, sizeof(a));
        pp_format_time(*end, b, sizeof(b));
        fprintf(stderr, "%s: the window's end (%s) must come after its start (%s)\n", pmGetProgname(), b, a);
        return 2;
    }
    return pp_window_check(c, start, end, false);
}

static int
live_fetch_round(struct pp_metric m[S_COUNT], struct pp_window_result *out, double *t, double *samples)
{
    pmHighResResult *r;
    int sts;

    if ((sts = pp_fetch(m, S_COUNT, &r)) < 0) {
        fprintf(stderr, "%s: fetch failed: %s\n", pmGetProgname(), pmErrStr(sts));
        return -1;
    }
    *t = pp_time(&r->timestamp);
    {
        /* every value of a fetch is from the agent's latest sample: its time is theirs */
        double since_first = NAN, start_time = NAN;
        pp_get_double(r, m, S_COUNT, S_SAMPLE_TIME, PP_IN_NULL, &since_first);
        pp_get_double(r, m, S_COUNT, S_START_TIME, PP_IN_NULL, &start_time);
        *t = edge_sample_epoch(start_time, since_first, *t);
    }
    add_round(out, m, r, *t);
    if (samples)
        pp_get_double(r, m, S_COUNT, S_SAMPLES, PP_IN_NULL, samples);
    pmFreeHighResResult(r);
    return 0;
}

static int
live_window(struct pp_ctx *c, struct pp_metric m[S_COUNT], double start, double end,
            bool track_top, struct pp_window_result *out)
{
    double interval = 1.0, t, s0 = 0, s1 = 0, seen;

    if (start < pp_now() - 1.0) {
        fprintf(stderr, "%s: a live host has no history before now: record with pmlogger and use "
                "-a ARCHIVE, or give a START from now on (+5s)\n", pmGetProgname());
        return 1;
    }
    pp_sleep_until(start);
    if (pp_stop_requested())
        return 1;
    seen = pp_wait_sample(c, &interval, 60.0);
    if (live_fetch_round(m, out, &t, &s0) < 0)
        return 1;
    out->start = (m[S_SAMPLE_TIME].ok && m[S_START_TIME].ok) || seen <= 0 ? t : seen;
    out->start_how = "live sample";
    out->interval = interval;
    /* readings in between only matter for processes that exit before the end */
    while (!pp_stop_requested() && pp_now() < end) {
        double next = pp_now() + (track_top ? interval : 3600.0);
        pp_sleep_until(next < end ? next : end);
        if (track_top && !pp_stop_requested() && pp_now() < end && live_fetch_round(m, out, &t, NULL) < 0)
            return 1;
    }
    if (pp_stop_requested())
        fprintf(stderr, "%s: interrupted: the window ends now\n", pmGetProgname());
    seen = pp_wait_sample(c, NULL, interval * 3 + 1);
    if (live_fetch_round(m, out, &t, &s1) < 0)
        return 1;
    out->end = (m[S_SAMPLE_TIME].ok && m[S_START_TIME].ok) || seen <= 0 ? t : seen;
    out->end_how = "live sample";
    out->samples = (long)(s1 - s0);
    return 0;
}

int
pp_window_energy(struct pp_ctx *c, struct pp_metric m[S_COUNT], double start, double end,
                 bool track_top, struct pp_window_result *out)
{
    memset(out, 0, sizeof(*out));
    window_init(&out->w);
    if (!m[S_SYSTEM].ok) {
        if (c->archive)
            fprintf(stderr, "%s: archive \"%s\" has no power metrics (power.system.energy): log them "
                    "with the power pmlogconf group (pmlogconf -r) or a pmlogger config naming power\n",
                    pmGetProgname(), c->source);
        else
            fprintf(stderr, "%s: host \"%s\" has no power metrics (power.system.energy): install the "
                    "agent (cd $PCP_PMDAS_DIR/power && ./Install)\n", pmGetProgname(), c->source);
        return 1;
    }
    if (!(end > start)) {
        fprintf(stderr, "%s: the window's end must come after its start\n", pmGetProgname());
        return 2;
    }
    return c->archive ? pp_archive_window(c, m, start, end, track_top, out)
                      : live_window(c, m, start, end, track_top, out);
}
