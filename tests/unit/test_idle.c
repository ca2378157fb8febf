/*
 * test_idle.c: how an interval's energy splits into idle and active
 * (attribution/idle.h), and the rolling window of the lowest power, with
 * hand-computed numbers. The issue's own example: a server that idles at
 * 100 W and draws 150 W at half load has 50 W of dynamic power, not the
 * 75 W the utilisation split gives it.
 */
#include "check.h"
#include "idle.h"

#include <math.h>

#define NS 1000000000ULL
#define TOL 1e-12

static void
split_utilisation_and_baseline(void)
{
    struct idle_split s;

    /* 150 W for 1 s, half the CPU time busy */
    idle_split(IDLE_UTILISATION, 0, 150, 1, NS / 2, NS, &s);
    CHECK_NEAR(s.active, 75, TOL, "utilisation: 150 J at 50%% busy is 75 J active");
    CHECK_NEAR(s.idle, 75, TOL, "utilisation: and 75 J idle");
    CHECK_NEAR(s.unexplained, 0, TOL, "utilisation: nothing unexplained");

    idle_split(IDLE_BASELINE, 100, 150, 1, NS / 2, NS, &s);
    CHECK_NEAR(s.active, 50, TOL, "baseline 100 W: 150 J in 1 s is 50 J active");
    CHECK_NEAR(s.idle, 100, TOL, "baseline 100 W: 100 J idle");
    CHECK_NEAR(s.active + s.idle, 150, TOL, "baseline: active + idle = dE");

    /* over 2.5 s the baseline is 250 J */
    idle_split(IDLE_BASELINE, 100, 400, 2.5, 0, 0, &s);
    CHECK_NEAR(s.active, 150, TOL, "baseline: idle power times dt (2.5 s), no CPU totals needed");

    /* below the baseline: never negative, the shortfall shown */
    idle_split(IDLE_BASELINE, 100, 90, 1, NS, NS, &s);
    CHECK_NEAR(s.active, 0, TOL, "below the baseline: active 0, never negative");
    CHECK_NEAR(s.idle, 90, TOL, "below the baseline: all of dE idle");
    CHECK_NEAR(s.unexplained, 10, TOL, "below the baseline: the 10 J it expected and did not see are unexplained");

    idle_split(IDLE_BASELINE, 100, -5, 1, NS, NS, &s);
    CHECK(s.active == 0 && s.idle == 0 && s.unexplained == 100,
          "negative dE counts as 0: all 100 J of the baseline unexplained (%g %g %g)", s.active, s.idle,
          s.unexplained);
    idle_split(IDLE_BASELINE, NAN, 50, 1, NS, NS, &s);
    CHECK(s.active == 50 && s.idle == 0, "a NaN baseline is no baseline: all active");
    idle_split(IDLE_UTILISATION, 0, NAN, 1, NS, NS, &s);
    CHECK(s.active == 0 && s.idle == 0, "NaN dE splits nothing");
    idle_split(IDLE_UTILISATION, 0, 10, 1, 3 * NS, NS, &s);
    CHECK_NEAR(s.active, 10, TOL, "utilisation: busy beyond total is capped");
}

static void
window_lowest_bucket(void)
{
    struct idle_window w;
    double watts = -1, watched = -1;

    /* 30 s window: 30 buckets of 1 s; samples every 0.5 s */
    idle_window_init(&w, 30);
    CHECK(!idle_window_watts(&w, 0, &watts, &watched) && watched == 0, "nothing watched: unknown");
    for (int i = 1; i <= 40; i++) {
        double t = 0.5 * i, p = 50;
        if (t > 10 && t <= 12)
            p = i % 2 ? 20 : 40;       /* two buckets of 20 W and 40 W alternating: mean 30 W */
        idle_window_add(&w, t, p * 0.5, 0.5);
        if (t < 20)
            CHECK(!idle_window_watts(&w, t, &watts, &watched) || t >= 30, "t=%g: not known before the span", t);
    }
    CHECK(!idle_window_watts(&w, 20, &watts, &watched), "20 s of a 30 s window: not known");
    CHECK_NEAR(watched, 20, TOL, "and it says 20 s watched");
    for (int i = 41; i <= 62; i++)
        idle_window_add(&w, 0.5 * i, 25, 0.5);
    CHECK(idle_window_watts(&w, 31, &watts, &watched), "31 s watched of 30: known");
    CHECK_NEAR(watts, 30, TOL, "the lowest bucket mean (30 W), not the lowest single reading (20 W)");
    /* the low buckets (10..12 s) leave the window after 30 s more */
    for (int i = 63; i <= 90; i++)
        idle_window_add(&w, 0.5 * i, 30, 0.5);
    CHECK(idle_window_watts(&w, 45, &watts, &watched), "still known");
    CHECK_NEAR(watts, 50, TOL, "t=45: the 30 W buckets have left the window, the lowest is 50 W");
    idle_window_add(&w, 46, NAN, 1);
    idle_window_add(&w, 46, 10, 0);
    CHECK(idle_window_watts(&w, 45, &watts, &watched) && watts == 50, "NaN or zero-length intervals are ignored");
}

int
main(void)
{
    split_utilisation_and_baseline();
    window_lowest_bucket();
    return CHECK_DONE();
}
