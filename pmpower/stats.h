/*
 * stats.h: the few statistics pmpower reports. Pure.
 */
#ifndef PMPOWER_STATS_H
#define PMPOWER_STATS_H

#include <stddef.h>

double stats_mean(const double *x, size_t n);
/* median of n values (x is not changed); NAN when n == 0 */
double stats_median(const double *x, size_t n);
/* sample standard deviation (n-1); 0 when n < 2 */
double stats_stddev(const double *x, size_t n);
/* coefficient of variation: stddev / |mean|; INFINITY when the mean is 0 and n >= 2 */
double stats_cv(const double *x, size_t n);

/* Moving average over the last `width` values pushed (fewer at the start). */
struct movavg {
    double *ring;
    size_t  width, count, next;
    double  sum;
};
int    movavg_init(struct movavg *m, size_t width);   /* -1 on OOM or width 0 */
double movavg_push(struct movavg *m, double value);   /* the average after adding value */
void   movavg_free(struct movavg *m);

#endif
