/*
 * test_pmpower_calfit.c: pmpower calibrate's fit (pmpower/calfit.h) and its
 * rewrite of power.conf's [model] (pmpower/modelconf.h), exact numbers and
 * exact text.
 */
#include "calfit.h"
#include "check.h"
#include "modelconf.h"

#include <stdbool.h>
#include <stdlib.h>

static void
fit_a_line(void)
{
    /* 20 W + 25 W a busy CPU, measured at 0.1, 1.1 and 1.9 busy CPUs of 2 */
    struct cal_step s[3] = { { 0.1, 0.05, 22.5 }, { 1.1, 0.55, 47.5 }, { 1.9, 0.95, 67.5 } };
    struct cal_fit f;
    char curve[256];

    CHECK(calfit_fit(s, 3, 2, &f) == 0, "three steps fit");
    CHECK_NEAR(f.idle_w, 20, 1e-9, "idle_watts: the line at 0 busy CPUs");
    CHECK_NEAR(f.per_core_w, 25, 1e-9, "per_core_watts: its slope");
    CHECK_NEAR(f.max_w, 70, 1e-9, "max_watts: idle + slope x 2 CPUs");
    CHECK_NEAR(f.worst_error, 0, 1e-12, "an exact line: no error");
    calfit_curve_text(&f, curve, sizeof(curve));
    CHECK_STR(curve, "0:20, 5:22.5, 55:47.5, 95:67.5, 100:70", "the curve: the steps between the line's ends");
}

static void
fit_with_noise_and_order(void)
{
    /* out of order, a step above the line: the least-squares line and the error of each */
    struct cal_step s[4] = { { 2, 1.0, 50 }, { 0, 0, 10 }, { 1, 0.5, 34 }, { 1, 0.5, 26 } };
    struct cal_fit f;
    char curve[256];

    CHECK(calfit_fit(s, 4, 2, &f) == 0, "four steps fit");
    CHECK_NEAR(f.per_core_w, 20, 1e-9, "slope of (0,10) (1,34) (1,26) (2,50): 20 W");
    CHECK_NEAR(f.idle_w, 10, 1e-9, "intercept 10 W");
    CHECK_NEAR(f.worst_error, 4.0 / 26.0, 1e-9, "worst error: 30 W fitted against 26 W measured");
    calfit_curve_text(&f, curve, sizeof(curve));
    CHECK_STR(curve, "0:10, 50:34, 100:50", "the curve keeps one point a utilisation, increasing; 0% and 100% from the line");

    struct cal_step flat[2] = { { 1, 0.5, 30 }, { 1, 0.5, 31 } };
    CHECK(calfit_fit(flat, 2, 2, &f) < 0, "steps that did not change the load cannot be fitted");
    CHECK(calfit_fit(s, 1, 2, &f) < 0, "one step cannot be fitted");
}

static void
many_cpus_fit_the_model(void)
{
    static struct cal_step s[65];
    struct cal_fit f;

    for (int k = 0; k <= 64; k++)
        s[k] = (struct cal_step){ k, k / 64.0, 100 + 3.0 * k };
    CHECK(calfit_fit(s, 65, 64, &f) == 0, "65 steps fit");
    CHECK(f.npoints == CALFIT_MAX_POINTS, "a 64-CPU curve has the model's 16 points at most (%zu)", f.npoints);
    CHECK(f.point_pct[0] == 0 && f.point_pct[f.npoints - 1] == 100, "from 0%% to 100%%");
    bool increasing = true;
    for (size_t i = 1; i < f.npoints; i++)
        increasing = increasing && f.point_pct[i] > f.point_pct[i - 1];
    CHECK(increasing, "its points increase, as [model] curve requires");
}

static const struct model_keys keys = {
    .idle_w = 20, .max_w = 70, .per_core_w = 25, .curve = "0:20, 50:45, 100:70",
    .calibrated = "2026-11-21T10:00:00Z", .reference = "rapl:package+dram", .note = "against x",
};

static const char *const written =
    "# pmpower calibrate, 2026-11-21T10:00:00Z: against x\n"
    "idle_watts = 20\nmax_watts = 70\nper_core_watts = 25\ncurve = 0:20, 50:45, 100:70\n"
    "calibrated = 2026-11-21T10:00:00Z\nreference = rapl:package+dram\n";

static void
rewrite_model_section(void)
{
    char *out, want[2048];

    out = modelconf_rewrite("# top\ninterval = 1\n\n[model]\n# Watts idle.\nidle_watts = 10\n"
                            "max_watts=40\n#curve = 0:10, 50:30, 100:45\nenabled = yes\n\n[vm]\nidle_watts = 3\n", &keys);
    snprintf(want, sizeof(want), "# top\ninterval = 1\n\n[model]\n%s# Watts idle.\n"
             "#curve = 0:10, 50:30, 100:45\nenabled = yes\n\n[vm]\nidle_watts = 3\n", written);
    CHECK_STR(out, want, "[model]: the keys replaced under its header, comments and other keys kept, "
              "other sections untouched");
    char *again = modelconf_rewrite(out, &keys);
    CHECK_STR(again, out, "a second calibration replaces the first, note included: the same text");
    free(again);
    free(out);

    out = modelconf_rewrite("[system]\npriority = model", &keys);
    snprintf(want, sizeof(want), "[system]\npriority = model\n\n[model]\n%s", written);
    CHECK_STR(out, want, "no [model]: one at the end (after a last line without a newline)");
    free(out);
    out = modelconf_rewrite("", &keys);
    snprintf(want, sizeof(want), "[model]\n%s", written);
    CHECK_STR(out, want, "an empty file: [model] alone");
    free(out);
    out = modelconf_rewrite("  [ model ]  \ncurve = 1\n[model x]\ncurve = 2\n", &keys);
    snprintf(want, sizeof(want), "  [ model ]  \n%s[model x]\ncurve = 2\n", written);
    CHECK_STR(out, want, "a spaced [ model ] header is the section; [model x] is another");
    free(out);
}

int
main(void)
{
    fit_a_line();
    fit_with_noise_and_order();
    many_cpus_fit_the_model();
    rewrite_model_section();
    return CHECK_DONE();
}
