/*
 * fuzz_timeparse: pmpower's time strings (pmpower/timeparse.c), as -S/-T,
 * phases files and benchmark logs give them: "YYYY-MM-DD[T ]HH:MM[:SS[.f]]"
 * with Z, +HH[:MM] or local time; and any double a file or a mark can
 * hold, written back as a date. Local time is Central European time with
 * its DST, as a POSIX rule that needs no tzdata: east of Greenwich, so the
 * second before the epoch is already 1970 there.
 *
 * Properties: a time that reads is in range, and what it is written as
 * (local and UTC) reads back to the same instant within the microsecond
 * the writer keeps (and the double's own resolution); a time out of range
 * is never written as a date. The input's first 8 bytes are also taken
 * as a double.
 */
#include "fuzz.h"
#include "timeparse.h"

#include <math.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    return 0;
}

static void
round_trip(double t)
{
    char buf[96], err[512];
    double back, tolerance = 0.5e-6 + fabs(t) * 4 * 2.3e-16;

    for (int utc = 0; utc <= 1; utc++) {
        timeparse_format(t, utc, buf, sizeof(buf));
        if (!timeparse_in_range(t)) {
            FUZZ_ASSERT(buf[0] == '(', "%g out of range written as %s", t, buf);
            continue;
        }
        FUZZ_ASSERT(timeparse_looks_iso(buf), "%.6f written as %s", t, buf);
        /* the microsecond rounding may carry past the last time in range */
        if (timeparse_iso(buf, &back, err, sizeof(err)) != 0) {
            FUZZ_ASSERT(t > TIMEPARSE_MAX_EPOCH - 1, "%.6f written as %s does not read back: %s", t, buf, err);
            continue;
        }
        FUZZ_ASSERT(fabs(back - t) <= tolerance, "%.6f written as %s reads back as %.6f", t, buf, back);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size), err[512];
    double t;

    if (timeparse_iso(text, &t, err, sizeof(err)) == 0) {
        FUZZ_ASSERT(timeparse_in_range(t), "\"%s\" read as %g", text, t);
        round_trip(t);
    } else
        FUZZ_ASSERT(strlen(err) > 0, "a failure without a message");
    (void)timeparse_looks_iso(text);
    if (size >= sizeof(double)) {
        memcpy(&t, data, sizeof(t));
        round_trip(t);
    }
    free(text);
    return 0;
}
