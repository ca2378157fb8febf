/*
 * test_pmpower_timeparse: pmpower reads ISO timestamps with fractions of a
 * second (what benchmark logs write) exactly, in UTC, with offsets and in
 * local time, and rejects malformed ones with a message; it writes them back
 * in the same form.
 */
#include "check.h"
#include "timeparse.h"

#include <stdlib.h>
#include <time.h>

static double
parse(const char *text, int *sts)
{
    double t = -1;
    char err[256];

    *sts = timeparse_iso(text, &t, err, sizeof(err));
    return t;
}

int
main(void)
{
    int sts;
    double t;
    char buf[64], err[256];

    setenv("TZ", "UTC", 1);
    tzset();

    t = parse("2026-02-04 10:15:25.123456", &sts);
    CHECK(sts == 0, "space-separated ISO with microseconds parses");
    CHECK_NEAR(t, 1770200125.123456, 1e-15, "2026-02-04 10:15:25.123456 UTC is epoch 1770200125.123456");
    t = parse("2026-02-04T10:15:25.123Z", &sts);
    CHECK(sts == 0 && fabs(t - 1770200125.123) < 1e-6, "T separator and Z parse (%.6f)", t);
    t = parse("2026-02-04T11:15:25.5+01:00", &sts);
    CHECK(sts == 0 && fabs(t - 1770200125.5) < 1e-6, "+01:00 offset is subtracted (%.6f)", t);
    t = parse("2026-02-04T05:15:25-0500", &sts);
    CHECK(sts == 0 && fabs(t - 1770200125.0) < 1e-6, "-0500 offset without colon (%.6f)", t);
    t = parse("2026-02-04 10:15", &sts);
    CHECK(sts == 0 && fabs(t - 1770200100.0) < 1e-6, "minutes without seconds (%.6f)", t);
    t = parse("2026-02-04", &sts);
    CHECK(sts == 0 && fabs(t - 1770163200.0) < 1e-6, "a bare date is midnight (%.6f)", t);
    t = parse("2026-02-04 10:15:25.123456789", &sts);
    CHECK(sts == 0 && fabs(t - 1770200125.123457) < 1e-6, "nanosecond digits are kept to double precision");

    setenv("TZ", "America/New_York", 1);
    tzset();
    t = parse("2026-02-04 05:15:25.25", &sts);
    CHECK(sts == 0 && fabs(t - 1770200125.25) < 1e-6,
          "without a zone the time is local (New York, EST): %.6f", t);
    t = parse("2026-07-04 06:15:25", &sts);
    CHECK(sts == 0 && fabs(t - 1783160125.0) < 1e-6, "local summer time (EDT) is honoured: %.6f", t);
    timeparse_format(1770200125.25, false, buf, sizeof(buf));
    CHECK_STR(buf, "2026-02-04T05:15:25.250000-05:00", "format local time with its offset");
    setenv("TZ", "UTC", 1);
    tzset();
    timeparse_format(1770200125.123456, true, buf, sizeof(buf));
    CHECK_STR(buf, "2026-02-04T10:15:25.123456Z", "format UTC with Z");
    timeparse_format(1770200125.9999996, true, buf, sizeof(buf));
    CHECK_STR(buf, "2026-02-04T10:15:26.000000Z", "rounding to the microsecond carries into the second");
    {
        double back;
        timeparse_format(1770200125.654321, false, buf, sizeof(buf));
        CHECK(timeparse_iso(buf, &back, err, sizeof(err)) == 0 && fabs(back - 1770200125.654321) < 1e-6,
              "what is written reads back (%s)", buf);
    }

    CHECK(timeparse_looks_iso("2026-02-04 10:00") && timeparse_looks_iso("  2026-02-04"),
          "ISO dates are told apart from PCP time syntax");
    CHECK(!timeparse_looks_iso("-10min") && !timeparse_looks_iso("@ Sat Nov 21 10:00:00 2026") &&
          !timeparse_looks_iso("10:00:00") && !timeparse_looks_iso("+30s"),
          "PCP time syntax is left to pmParseHighResTimeWindow");

    parse("2026-02-30 10:00:00", &sts);
    CHECK(sts < 0, "February 30th is refused");
    parse("2026-13-01", &sts);
    CHECK(sts < 0, "month 13 is refused");
    parse("2026-02-04 25:00:00", &sts);
    CHECK(sts < 0, "hour 25 is refused");
    parse("2026-02-04 10:15:25.", &sts);
    CHECK(sts < 0, "a decimal point without digits is refused");
    parse("2026-02-04 10:15:25 tomorrow", &sts);
    CHECK(sts < 0, "trailing words are refused");
    timeparse_iso("2026-02-04 10:15:25 tomorrow", &t, err, sizeof(err));
    CHECK(strstr(err, "2026-02-04 10:15:25 tomorrow") && strstr(err, "ISO form"),
          "the message names the text and the accepted form: %s", err);
    t = parse("2024-02-29 00:00:00Z", &sts);
    CHECK(sts == 0 && fabs(t - 1709164800.0) < 1e-6, "leap day parses");

    /* found by fuzz/fuzz_timeparse.c (inputs kept in fuzz/corpus/timeparse) */
    t = parse("1970-01-01T00:59:59+01:00", &sts);
    CHECK(sts == 0 && t == -1.0, "the second before the epoch is a time, not timegm's error (%d, %.6f)", sts, t);
    t = parse("1969-12-31T23:59:59Z", &sts);
    CHECK(sts == 0 && t == -1.0, "and so in UTC");
    setenv("TZ", "JST-9", 1);
    tzset();
    t = parse("1970-01-01 08:59:59", &sts);
    CHECK(sts == 0 && t == -1.0, "and so in local time east of Greenwich, where it is 1970 (%d)", sts);
    setenv("TZ", "UTC", 1);
    tzset();
    timeparse_format(-31536000000.0, true, buf, sizeof(buf));
    CHECK_STR(buf, "0970-08-31T00:00:00.000000Z", "a year below 1000 is written with four digits");
    CHECK(timeparse_iso(buf, &t, err, sizeof(err)) == 0 && t == -31536000000.0,
          "and reads back (%s)", buf);
    timeparse_format(1e300, true, buf, sizeof(buf));
    CHECK_STR(buf, "(out-of-range time 1e+300)", "a time past the year 9999 is named, not printed as a date");
    timeparse_format(-1e300, false, buf, sizeof(buf));
    CHECK_STR(buf, "(out-of-range time -1e+300)", "and so before the year 1");
    timeparse_format(NAN, false, buf, sizeof(buf));
    CHECK_STR(buf, "(out-of-range time nan)", "and NaN");
    CHECK(timeparse_in_range(TIMEPARSE_MIN_EPOCH) && timeparse_in_range(TIMEPARSE_MAX_EPOCH) &&
          !timeparse_in_range(TIMEPARSE_MAX_EPOCH + 1) && !timeparse_in_range(INFINITY),
          "the range is 0001-01-01 to 9999-12-31");
    timeparse_format(TIMEPARSE_MIN_EPOCH, true, buf, sizeof(buf));
    CHECK_STR(buf, "0001-01-01T00:00:00.000000Z", "the earliest time");
    timeparse_format(TIMEPARSE_MAX_EPOCH, true, buf, sizeof(buf));
    CHECK_STR(buf, "9999-12-31T00:00:00.000000Z", "the latest time");
    parse("9999-12-31T23:00:00Z", &sts);
    CHECK(sts < 0, "a time past the range is refused");
    parse("0001-01-01T00:00:00+01:00", &sts);
    CHECK(sts < 0, "and so one before it");
    return CHECK_DONE();
}
