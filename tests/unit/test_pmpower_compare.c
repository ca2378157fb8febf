/*
 * pmpower runs' comparison (compare.h): Student's t critical values at 95%
 * two-sided against the tables (NIST/SEMATECH e-Handbook 1.3.6.7.2,
 * "Critical Values of the Student's t Distribution", upper 0.025, to the
 * table's 3 decimals), and
 * Welch's test on trials that differ by more, and by less, than their noise
 * (the values of t and the Welch-Satterthwaite df worked by hand from the
 * handbook's formulas, 1.3.5.3).
 */
#include "check.h"
#include "compare.h"

static void
test_t_crit(void)
{
    CHECK_NEAR(compare_t_crit95(1), 12.706, 2e-4, "t(0.975, 1) = 12.706");
    CHECK_NEAR(compare_t_crit95(2), 4.303, 2e-4, "t(0.975, 2) = 4.303");
    CHECK_NEAR(compare_t_crit95(3), 3.182, 2e-4, "t(0.975, 3) = 3.182");
    CHECK_NEAR(compare_t_crit95(5), 2.571, 2e-4, "t(0.975, 5) = 2.571");
    CHECK_NEAR(compare_t_crit95(10), 2.228, 2e-4, "t(0.975, 10) = 2.228");
    CHECK_NEAR(compare_t_crit95(30), 2.042, 2e-4, "t(0.975, 30) = 2.042");
    CHECK_NEAR(compare_t_crit95(100), 1.984, 2e-4, "t(0.975, 100) = 1.984");
    CHECK(compare_t_crit95(2.5) < compare_t_crit95(2) && compare_t_crit95(2.5) > compare_t_crit95(3),
          "fractional degrees of freedom (Welch's) fall between");
}

static void
test_welch(void)
{
    const double a[] = { 10.0, 10.2, 9.8, 10.1, 9.9 }, b[] = { 11.0, 11.3, 10.8, 11.1, 10.9 };
    const double c[] = { 10.3, 9.6, 10.4, 9.7, 10.1 };
    struct comparison r;

    /* a: mean 10, var 0.025; b: mean 11.02, var 0.037: se2 = 0.005 + 0.0074 */
    compare_runs(a, 5, b, 5, &r);
    CHECK_NEAR(r.diff, 1.02, 1e-12, "the difference of the means");
    CHECK_NEAR(r.t, 1.02 / sqrt(0.0124), 1e-9, "Welch's t");
    CHECK_NEAR(r.df, 0.0124 * 0.0124 / (0.005 * 0.005 / 4 + 0.0074 * 0.0074 / 4), 1e-9,
               "the Welch-Satterthwaite degrees of freedom");
    CHECK(r.significant, "10 J against 11 J with a spread of 0.2 J: larger than the noise");
    compare_runs(a, 5, c, 5, &r);
    CHECK(!r.significant && fabs(r.t) < r.t_crit, "10.0 J against 10.02 J with spreads of 0.2-0.35 J: within the noise");
    compare_runs(a, 1, b, 5, &r);
    CHECK(isnan(r.t) && !r.significant, "one trial: no spread, no verdict");
}

int
main(void)
{
    test_t_crit();
    test_welch();
    return check_failures != 0;
}
