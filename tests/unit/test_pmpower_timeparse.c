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
    return CHECK_DONE();
}
