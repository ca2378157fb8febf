#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double
stats_mean(const double *x, size_t n)
{
    double sum = 0.0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

double
stats_median(const double *x, size_t n)
{
    double *copy, m;

    if (n == 0 || (copy = malloc(n * sizeof(*copy))) == NULL)
        return NAN;
    memcpy(copy, x, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), cmp_double);
    m = n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2.0;
    free(copy);
    return m;
}

double
stats_stddev(const double *x, size_t n)
{
    double mean, ss = 0.0;

    if (n < 2)
        return 0.0;
    mean = stats_mean(x, n);
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double
stats_cv(const double *x, size_t n)
{
    double mean = stats_mean(x, n), sd = stats_stddev(x, n);

    if (n < 2)
        return NAN;
    if (mean == 0.0)
        return sd == 0.0 ? 0.0 : INFINITY;
    return sd / fabs(mean);
}

int
movavg_init(struct movavg *m, size_t width)
{
    memset(m, 0, sizeof(*m));
    if (width == 0 || (m->ring = calloc(width, sizeof(double))) == NULL)
        return -1;
    m->width = width;
    return 0;
}

double
movavg_push(struct movavg *m, double value)
{
    if (m->count == m->width)
        m->sum -= m->ring[m->next];
    else
        m->count++;
    m->ring[m->next] = value;
    m->sum += value;
    m->next = (m->next + 1) % m->width;
    /* refresh the running sum now and then so rounding cannot drift */
    if (m->next == 0) {
        m->sum = 0.0;
        for (size_t i = 0; i < m->count; i++)
            m->sum += m->ring[i];
    }
    return m->sum / (double)m->count;
}

void
movavg_free(struct movavg *m)
{
    free(m->ring);
    memset(m, 0, sizeof(*m));
}
