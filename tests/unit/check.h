/*
 * check.h: the unit-test harness. Each CHECK prints one TAP-like line
 * ("ok - what" / "not ok - what: the numbers seen"); tests/run counts them
 * into the "N passed, N failed" summary. A test binary exits non-zero when
 * any check failed.
 */
#ifndef POWER_CHECK_H
#define POWER_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, ...) do {                                           \
    if (cond) { printf("ok - "); printf(__VA_ARGS__); printf("\n"); }   \
    else {                                                              \
        check_failures++;                                               \
        printf("not ok - "); printf(__VA_ARGS__);                       \
        printf(" (%s:%d: %s)\n", __FILE__, __LINE__, #cond);            \
    }                                                                   \
} while (0)

/* Relative (or, near zero, absolute) closeness; prints both numbers on failure. */
#define CHECK_NEAR(got, want, tol, what) do {                           \
    double g_ = (got), w_ = (want), t_ = (tol);                         \
    double d_ = fabs(g_ - w_), s_ = fabs(w_) > 1.0 ? fabs(w_) : 1.0;    \
    if (d_ <= t_ * s_) printf("ok - %s\n", what);                       \
    else {                                                              \
        check_failures++;                                               \
        printf("not ok - %s: got %.12g, want %.12g (%s:%d)\n",          \
               what, g_, w_, __FILE__, __LINE__);                       \
    }                                                                   \
} while (0)

#define CHECK_STR(got, want, what) do {                                 \
    const char *g_ = (got), *w_ = (want);                               \
    if (g_ && w_ && strcmp(g_, w_) == 0) printf("ok - %s\n", what);     \
    else {                                                              \
        check_failures++;                                               \
        printf("not ok - %s: got \"%s\", want \"%s\" (%s:%d)\n", what,  \
               g_ ? g_ : "(null)", w_ ? w_ : "(null)", __FILE__, __LINE__); \
    }                                                                   \
} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
