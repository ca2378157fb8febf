/*
 * test_pmpower_stats: the arithmetic of pmpower: medians, coefficient of
 * variation and moving averages (measure, csv --smooth), window energies
 * from counter readings (report: restarts, processes born or gone in the
 * window), and JSON escaping.
 */
#include "check.h"
#include "stats.h"
#include "window.h"
#include "json.h"

#include <stdlib.h>

static void
json_of(double v, char *buf, size_t size)
{
    FILE *fp = fmemopen(buf, size, "w");

    json_number(fp, v);
    fclose(fp);
}

int
main(void)
{
    double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, same[] = { 2, 2, 2 };
    double spread[] = { 10, 12, 14 };
    struct movavg ma;
    struct window w;
    const struct window_entry *e;

    {
        char members[128];
        FILE *fp = fmemopen(members, sizeof(members), "w");

        fputc('{', fp);
        json_key(fp, "a");
        json_number(fp, 1);
        json_more_number(fp, "w", 2.5);
        json_more_number(fp, "none", NAN);
        json_more_string(fp, "src", "rapl:\"x\"");
        fputc('}', fp);
        fclose(fp);
        CHECK_STR(members, "{\"a\":1,\"w\":2.5,\"none\":null,\"src\":\"rapl:\\\"x\\\"\"}",
                  "members after the first: a comma, the key, the value (NaN is null, strings escaped)");
    }
    CHECK_NEAR(stats_median(odd, 3), 3.0, 1e-12, "median of an odd count is the middle value");
    CHECK_NEAR(stats_median(even, 4), 2.5, 1e-12, "median of an even count is the mean of the middle two");
    CHECK(odd[0] == 5 && odd[1] == 1, "median leaves its input unsorted");
    CHECK(isnan(stats_median(odd, 0)), "median of nothing is NaN");
    CHECK_NEAR(stats_mean(spread, 3), 12.0, 1e-12, "mean");
    CHECK_NEAR(stats_stddev(spread, 3), 2.0, 1e-12, "sample standard deviation uses n-1");
    CHECK_NEAR(stats_cv(spread, 3), 2.0 / 12.0, 1e-12, "coefficient of variation is sd/mean");
    CHECK_NEAR(stats_cv(same, 3), 0.0, 1e-12, "identical trials have cv 0");
    CHECK(isnan(stats_cv(same, 1)), "cv of one trial is undefined (NaN), so --cv cannot stop at once");

    CHECK(movavg_init(&ma, 3) == 0, "moving average of 3");
    CHECK_NEAR(movavg_push(&ma, 3), 3.0, 1e-12, "first value averages to itself");
    CHECK_NEAR(movavg_push(&ma, 6), 4.5, 1e-12, "two values: their mean");
    CHECK_NEAR(movavg_push(&ma, 9), 6.0, 1e-12, "three values: their mean");
    CHECK_NEAR(movavg_push(&ma, 12), 9.0, 1e-12, "the fourth pushes the first out");
    for (int i = 0; i < 1000; i++)
        movavg_push(&ma, 1e6 + 0.1 * i);
    CHECK_NEAR(movavg_push(&ma, 5), (1e6 + 99.8 + 1e6 + 99.9 + 5) / 3, 1e-9,
               "no drift after many values");
    movavg_free(&ma);
    CHECK(movavg_init(&ma, 0) < 0, "a moving average of width 0 is refused");

    /* a counter across a window: start, samples, end */
    window_init(&w);
    window_round(&w);
    window_add(&w, 0, -1, 100.0, 0.0, false);
    window_add(&w, 1, 7, 50.0, 0.0, true);
    window_round(&w);
    window_add(&w, 0, -1, 130.0, 1.0, false);
    window_add(&w, 1, 7, 55.0, 1.0, true);
    window_add(&w, 1, 8, 4.0, 1.0, true);     /* a process born in the window */
    window_add(&w, 2, 3, 40.0, 1.0, false);   /* a zone that appeared: not from zero */
    window_round(&w);
    window_add(&w, 0, -1, 20.0, 2.0, false);  /* the agent restarted: counting from zero */
    window_add(&w, 1, 8, 9.0, 2.0, true);
    window_add(&w, 2, 3, 41.0, 2.0, false);
    window_round(&w);
    window_add(&w, 0, -1, 25.0, 3.0, false);
    e = window_find(&w, 0, -1);
    CHECK(e && fabs(e->energy - (30 + 20 + 5)) < 1e-12,
          "energy sums the steps and survives an agent restart (got %g, want 55)", e ? e->energy : -1);
    CHECK(w.resets == 1, "the restart is counted");
    e = window_find(&w, 1, 7);
    CHECK(e && fabs(e->energy - 5) < 1e-12 && e->at_start, "a process present at the start: last - first");
    e = window_find(&w, 1, 8);
    CHECK(e && fabs(e->energy - 9) < 1e-12 && !e->at_start,
          "a process born in the window counts from zero (got %g, want 9)", e ? e->energy : -1);
    e = window_find(&w, 2, 3);
    CHECK(e && fabs(e->energy - 1) < 1e-12, "a zone appearing mid-window counts only its steps");
    CHECK(window_find(&w, 1, 99) == NULL, "unknown instances are not found");
    {
        struct window big;
        window_init(&big);
        window_round(&big);
        for (int i = 0; i < 5000; i++)
            window_add(&big, 1, i, i, 0, true);
        window_round(&big);
        for (int i = 0; i < 5000; i++)
            window_add(&big, 1, i, 2.0 * i, 1, true);
        e = window_find(&big, 1, 4321);
        CHECK(big.count == 5000 && e && fabs(e->energy - 4321) < 1e-9,
              "5000 processes in the table, each with its own energy");
        window_free(&big);
    }
    window_free(&w);

    {
        char buf[256];
        FILE *fp = fmemopen(buf, sizeof(buf), "w");
        json_string(fp, "a\"b\\c\nd\te\x01");
        fclose(fp);
        CHECK_STR(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\"", "JSON strings escape quotes, backslashes and controls");
        json_of(NAN, buf, sizeof(buf));
        CHECK_STR(buf, "null", "NaN is null in JSON");
        json_of(0.1, buf, sizeof(buf));
        CHECK_STR(buf, "0.1", "0.1 is written shortest");
        json_of(1.0 / 3.0, buf, sizeof(buf));
        CHECK(strtod(buf, NULL) == 1.0 / 3.0, "numbers read back exactly (%s)", buf);
    }
    return CHECK_DONE();
}
