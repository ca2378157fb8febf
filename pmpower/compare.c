#include "compare.h"
#include "stats.h"

#include <math.h>

/* The regularized incomplete beta function I_x(a, b) by its continued
 * fraction (Numerical Recipes, 2nd ed., 6.4 betacf), which converges fast
 * for x < (a + 1) / (a + b + 2); the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
 * covers the rest. */
static double
beta_cf(double a, double b, double x)
{
    double c = 1, d = 1 - (a + b) * x / (a + 1), h;

    d = 1 / (fabs(d) < 1e-300 ? 1e-300 : d);
    h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m, aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2)), del;
        d = 1 + aa * d;
        d = 1 / (fabs(d) < 1e-300 ? 1e-300 : d);
        c = 1 + aa / c;
        c = fabs(c) < 1e-300 ? 1e-300 : c;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
        d = 1 + aa * d;
        d = 1 / (fabs(d) < 1e-300 ? 1e-300 : d);
        c = 1 + aa / c;
        c = fabs(c) < 1e-300 ? 1e-300 : c;
        del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-14)
            break;
    }
    return h;
}

static double
beta_reg(double a, double b, double x)
{
    double front;

    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    return x < (a + 1) / (a + b + 2) ? front * beta_cf(a, b, x) / a : 1 - front * beta_cf(b, a, 1 - x) / b;
}

/* P(|T| > t) for Student's t with df degrees of freedom. */
static double
t_two_sided(double t, double df)
{
    return beta_reg(df / 2, 0.5, df / (df + t * t));
}

double
compare_t_crit95(double df)
{
    double lo = 0, hi = 1e4;

    if (!(df > 0))
        return NAN;
    /* the tail probability falls as t grows: bisect to 0.05 */
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = (lo + hi) / 2;
        if (t_two_sided(mid, df) > 0.05)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void
compare_runs(const double *a, size_t na, const double *b, size_t nb, struct comparison *out)
{
    double va, vb, se2;

    out->mean_a = stats_mean(a, na);
    out->mean_b = stats_mean(b, nb);
    out->sd_a = stats_stddev(a, na);
    out->sd_b = stats_stddev(b, nb);
    out->diff = out->mean_b - out->mean_a;
    out->rel = out->mean_a != 0 ? out->diff / fabs(out->mean_a) : NAN;
    out->t = out->df = out->t_crit = NAN;
    out->significant = false;
    if (na < 2 || nb < 2)
        return;
    va = out->sd_a * out->sd_a / (double)na;
    vb = out->sd_b * out->sd_b / (double)nb;
    se2 = va + vb;
    if (!(se2 > 0)) {
        /* no noise at all: any difference is larger than it */
        out->significant = out->diff != 0;
        out->t = out->diff == 0 ? 0 : copysign(INFINITY, out->diff);
        out->df = (double)(na + nb - 2);
        out->t_crit = compare_t_crit95(out->df);
        return;
    }
    out->t = out->diff / sqrt(se2);
    out->df = se2 * se2 / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
    out->t_crit = compare_t_crit95(out->df);
    out->significant = fabs(out->t) > out->t_crit;
}
