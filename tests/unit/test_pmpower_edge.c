/*
 * pmpower's edge.c: a counter placed between two agent samples. One step of
 * power between them is located exactly from the energy and the mean powers
 * on either side (the logged intervals before and after), even when the
 * agent samples as seldom as pmlogger logs; steady power and unknown powers
 * give the straight line; the value never leaves [E_a, E_b] and never goes
 * back; samples of two runs of the agent are never joined.
 */
#include "check.h"
#include "edge.h"

#include <math.h>
#include <stdlib.h>

static void
sample(struct edge_sample *s, double t, double start_time, double energy, double power)
{
    edge_sample_init(s);
    s->t = s->record_t = t;
    s->start_time = start_time;
    edge_sample_add(s, 0, -1, energy, power);
    edge_sample_add(s, 1, 0, energy / 2, power / 2);
    edge_sample_sort(s);
}

static void
test_steps(void)
{
    /* 20 W until 0.3 s, then 60 W: the sample at 1 s holds 6 + 42 = 48 J and 60 W */
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 60, 0.3), 6.0, 1e-12, "a step up is placed where the energy says: 6 J at the step");
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 60, 0.5), 18.0, 1e-12, "after the step the counter runs at the new power");
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 60, 0.1), 2.0, 1e-12, "before the step at the old power");
    /* 60 W until 0.8 s, then 35 W: 48 + 7 = 55 J */
    CHECK_NEAR(edge_counter_at(10, 100, 60, 11, 155, 35, 10.8), 148.0, 1e-12, "a step down is placed too");
    /* steady power: the straight line */
    CHECK_NEAR(edge_counter_at(0, 0, 25, 2, 50, 25, 0.7), 17.5, 1e-12, "steady power: linear");
    /* no powers (an older agent, a series without power): linear */
    CHECK_NEAR(edge_counter_at(0, 0, NAN, 1, 48, NAN, 0.3), 14.4, 1e-12, "unknown powers: linear");
    /* the agent's interval as long as the logging: the power at b is the
     * mean over [a, b], so the rule is the straight line again */
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 48, 0.3), 14.4, 1e-12, "power at b equal to the mean: linear");
    /* a mean power outside [P_a, P_b]: no single step explains it */
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 100, 60, 0.5), 50.0, 1e-12, "mean above both powers: linear");
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 60, -1), 0.0, 0, "before a: E_a");
    CHECK_NEAR(edge_counter_at(0, 0, 20, 1, 48, 60, 2), 48.0, 0, "after b: E_b");
}

static void
test_monotone(void)
{
    unsigned seed = 14;
    bool ok = true;

    for (int i = 0; i < 100000 && ok; i++) {
        double pa = rand_r(&seed) % 1000 / 10.0, pb = rand_r(&seed) % 1000 / 10.0;
        double dt = 0.05 + rand_r(&seed) % 1000 / 100.0, de = rand_r(&seed) % 100000 / 100.0;
        double prev = 0;
        for (int k = 0; k <= 20; k++) {
            double e = edge_counter_at(5, 0, pa, 5 + dt, de, pb, 5 + dt * k / 20);
            if (!(e >= prev - 1e-9 && e <= de + 1e-9)) {
                printf("# P_a %g P_b %g dt %g dE %g: at step %d %g after %g\n", pa, pb, dt, de, k, e, prev);
                ok = false;
                break;
            }
            prev = e;
        }
        ok = ok && fabs(prev - de) < 1e-9;
    }
    CHECK(ok, "placed counters never go back and stay within [E_a, E_b] (100,000 random pairs)");
}

static void
test_edges(void)
{
    struct edge_sample a, b, out;
    const struct edge_value *v;

    edge_sample_init(&out);
    sample(&a, 100, 50, 0, 20);
    sample(&b, 101, 50, 48, 60);
    CHECK(edge_at(&a, &b, 100.3, true, &out) == EDGE_PLACED, "one run: the edge is placed between the samples");
    v = edge_sample_find(&out, 0, -1);
    CHECK(v && fabs(v->energy - 6) < 1e-12 && out.t == 100.3, "placed at the edge's time, by the step rule");
    v = edge_sample_find(&out, 1, 0);
    CHECK(v && fabs(v->energy - 3) < 1e-12, "every instance is placed");
    CHECK(edge_at(&a, &b, 100, true, &out) == EDGE_AT_SAMPLE && out.t == 100, "an edge at a sample's time takes it");

    /* a restart between: a window's start takes the later sample, its end the earlier */
    b.start_time = 100.5;
    CHECK(edge_at(&a, &b, 100.3, true, &out) == EDGE_NEAREST && out.t == 101, "across a restart the start takes the sample after");
    CHECK(edge_at(&a, &b, 100.3, false, &out) == EDGE_NEAREST && out.t == 100, "across a restart the end takes the sample before");
    CHECK(!edge_same_run(&a, &b), "different start times: different runs");

    /* an agent without start_time: a counter that went back is a restart */
    a.start_time = b.start_time = NAN;
    CHECK(edge_at(&a, &b, 100.3, true, &out) == EDGE_PLACED, "no start times, counters grew: placed");
    b.v[0].energy = -1;
    CHECK(edge_at(&a, &b, 100.3, true, &out) == EDGE_NEAREST, "no start times, a counter went back: not joined");
    CHECK(!edge_same_run(&a, &b), "unknown start times are not one run");

    /* an instance on one side only is taken as it is */
    edge_sample_free(&b);
    sample(&b, 101, 50, 48, 60);
    a.start_time = 50;
    edge_sample_add(&b, 2, 7, 5, 1);
    edge_sample_sort(&b);
    CHECK(!edge_same_instances(&a, &b), "a new instance: not the same instances");
    CHECK(edge_at(&a, &b, 100.5, false, &out) == EDGE_PLACED, "placed with an instance on one side");
    v = edge_sample_find(&out, 2, 7);
    CHECK(v && v->energy == 5, "the one-sided instance keeps its reading");
    CHECK(edge_at(NULL, &b, 100.5, true, &out) == EDGE_NEAREST && out.t == 101, "no sample before: the one after");
    CHECK(edge_at(NULL, NULL, 100.5, true, &out) < 0, "no sample at all: no edge");
    edge_sample_free(&a);
    edge_sample_free(&b);
    edge_sample_free(&out);
}

/* The case: the agent samples every second, pmlogger logs every
 * second, and the power steps from 20 to 60 W 0.3 s after a sample. */
static void
test_rates(void)
{
    struct edge_sample s[4], out;
    const double e[4] = { 0, 20, 20 + 0.3 * 20 + 0.7 * 60, 20 + 0.3 * 20 + 0.7 * 60 + 60 };
    const struct edge_value *v;

    for (int i = 0; i < 4; i++)
        sample(&s[i], 100 + i, 50, e[i], NAN);
    edge_sample_init(&out);
    edge_rates(&s[1], &s[0]);
    edge_rates(&s[2], &s[3]);
    CHECK(fabs(s[1].v[0].power - 20) < 1e-12 && fabs(s[2].v[0].power - 60) < 1e-12,
          "the mean powers on either side: 20 W before, 60 W after");
    CHECK(edge_at(&s[1], &s[2], 101.3, true, &out) == EDGE_PLACED, "placed");
    v = edge_sample_find(&out, 0, -1);
    CHECK(v && fabs(v->energy - 26) < 1e-9, "a step between two 1 s samples is placed exactly: 26 J at 101.3 s (got %g)",
          v ? v->energy : NAN);
    v = edge_sample_find(&out, 1, 0);
    CHECK(v && fabs(v->energy - 13) < 1e-9, "every instance with its own rates");
    s[3].start_time = 60;
    edge_rates(&s[2], &s[3]);
    CHECK(isnan(s[2].v[0].power), "no mean power across a restart");
    edge_rates(&s[2], NULL);
    CHECK(isnan(s[2].v[0].power), "no mean power without a neighbour");
    CHECK(edge_at(&s[1], &s[2], 101.3, true, &out) == EDGE_PLACED &&
          fabs(edge_sample_find(&out, 0, -1)->energy - 14.4 - 20) < 1e-9, "then the straight line");
    for (int i = 0; i < 4; i++)
        edge_sample_free(&s[i]);
    edge_sample_free(&out);
}

static void
test_sample_epoch(void)
{
    /* power.control.start_time (the first sample's wall time) + sample_time (seconds since) */
    CHECK_NEAR(edge_sample_epoch(1796141000.25, 12.5, 1796141013.0), 1796141012.75, 1e-12,
               "a sample's time is the run's start plus the seconds since");
    CHECK_NEAR(edge_sample_epoch(1796141000.25, 13.0, 1796141013.0), 1796141013.0, 1e-12,
               "never after the fetch that returned it");
    CHECK_NEAR(edge_sample_epoch(NAN, 12.5, 1796141013.0), 1796141013.0, 0, "no start time: the fetch's");
    CHECK_NEAR(edge_sample_epoch(1796141000.25, NAN, 1796141013.0), 1796141013.0, 0, "no sample time: the fetch's");
}

int
main(void)
{
    test_sample_epoch();
    test_steps();
    test_rates();
    test_monotone();
    test_edges();
    return check_failures != 0;
}
