#include "calfit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double
calfit_line(const struct cal_fit *fit, double busy_cpus)
{
    return fit->idle_w + fit->per_core_w * busy_cpus;
}

/* The curve's points: the steps by utilisation, strictly increasing, at
 * most CALFIT_MAX_POINTS - 2 of them evenly spread, between the line's
 * ends at 0% and 100%. */
static void
fit_points(const struct cal_step *steps, size_t n, struct cal_fit *fit)
{
    size_t order[CALFIT_MAX_STEPS], cand[CALFIT_MAX_STEPS], ncand = 0;
    const size_t room = CALFIT_MAX_POINTS - 2;

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++)       /* insertion sort: n is ncpu + 1 */
        for (size_t j = i; j > 0 && steps[order[j]].util < steps[order[j - 1]].util; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        double p = 100.0 * steps[order[i]].util;
        if (p > 0.5 && p < 99.5 && (ncand == 0 || p > 100.0 * steps[cand[ncand - 1]].util + 0.05))
            cand[ncand++] = order[i];
    }
    fit->npoints = 0;
    fit->point_pct[fit->npoints] = 0;
    fit->point_w[fit->npoints++] = fit->idle_w > 0 ? fit->idle_w : 0;
    for (size_t k = 0; k < ncand && k < room; k++) {
        size_t i = ncand <= room ? k : (size_t)llround((double)k * (double)(ncand - 1) / (double)(room - 1));
        fit->point_pct[fit->npoints] = 100.0 * steps[cand[i]].util;
        fit->point_w[fit->npoints++] = steps[cand[i]].watts > 0 ? steps[cand[i]].watts : 0;
    }
    fit->point_pct[fit->npoints] = 100;
    fit->point_w[fit->npoints++] = fit->max_w > 0 ? fit->max_w : 0;
}

int
calfit_fit(const struct cal_step *steps, size_t n, unsigned ncpu, struct cal_fit *fit)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, denom;

    memset(fit, 0, sizeof(*fit));
    if (n < 2 || n > CALFIT_MAX_STEPS || ncpu == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(steps[i].busy_cpus) || !isfinite(steps[i].watts))
            return -1;
        sx += steps[i].busy_cpus;
        sy += steps[i].watts;
        sxx += steps[i].busy_cpus * steps[i].busy_cpus;
        sxy += steps[i].busy_cpus * steps[i].watts;
    }
    denom = (double)n * sxx - sx * sx;
    if (!(fabs(denom) > 1e-12 * (sxx > 1 ? sxx : 1)))
        return -1;
    fit->ncpu = ncpu;
    fit->per_core_w = ((double)n * sxy - sx * sy) / denom;
    fit->idle_w = (sy - fit->per_core_w * sx) / (double)n;
    fit->max_w = fit->idle_w + fit->per_core_w * (double)ncpu;
    for (size_t i = 0; i < n; i++) {
        double e = steps[i].watts != 0
            ? fabs(calfit_line(fit, steps[i].busy_cpus) - steps[i].watts) / fabs(steps[i].watts) : 0;
        if (e > fit->worst_error)
            fit->worst_error = e;
    }
    fit_points(steps, n, fit);
    return 0;
}

void
calfit_curve_text(const struct cal_fit *fit, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < fit->npoints && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%.4g:%.4g", i ? ", " : "",
                         fit->point_pct[i], fit->point_w[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
