/*
 * compare.h: whether two runs' energies differ by more than their noise:
 * Welch's t-test on the trials (unequal variances, Welch-Satterthwaite
 * degrees of freedom; NIST/SEMATECH e-Handbook of Statistical Methods,
 * 1.3.5.3 "Two-Sample t-Test for Equal Means"), two-sided at 95%, the
 * critical value from Student's t distribution through the regularized
 * incomplete beta function. Pure.
 */
#ifndef PMPOWER_COMPARE_H
#define PMPOWER_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

struct comparison {
    double mean_a, sd_a, mean_b, sd_b;
    double diff, rel;          /* b - a, and over |a| */
    double t, df, t_crit;      /* NAN when either has fewer than 2 trials */
    bool   significant;        /* |t| > t_crit: larger than the noise */
};

void compare_runs(const double *a, size_t na, const double *b, size_t nb, struct comparison *out);

/* The two-sided 95% critical value of Student's t with df degrees of freedom. */
double compare_t_crit95(double df);

#endif
