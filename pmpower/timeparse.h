/*
 * timeparse.h: ISO 8601 timestamps with fractions of a second, both ways.
 *
 * PCP's own time syntax ("-10min", "@ Sat Nov 21 10:00:00 2026") is parsed
 * by pmParseHighResTimeWindow; it has no fractions of a second and misreads
 * "2026-02-04T10:15:25". These are the forms benchmark logs write. Pure: no
 * PCP calls, no I/O. Times are seconds since the epoch as a double (about
 * 0.2 microsecond resolution today).
 */
#ifndef PMPOWER_TIMEPARSE_H
#define PMPOWER_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>

/* The times read and written here: 0001-01-01T00:00:00Z to
 * 9999-12-31T00:00:00Z, so that the date in any time zone has four digits
 * and what is written reads back. */
#define TIMEPARSE_MIN_EPOCH (-62135596800.0)
#define TIMEPARSE_MAX_EPOCH 253402214400.0
#define TIMEPARSE_RANGE_TEXT "0001-01-01 to 9999-12-31"

/* t is a number in that range (not NaN, not infinite). */
bool timeparse_in_range(double t);

/* True when text starts like "YYYY-MM-DD": the caller then uses timeparse_iso. */
bool timeparse_looks_iso(const char *text);

/*
 * "YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH[:MM]|-HH[:MM]]", or a bare date
 * (midnight). Without a zone the time is local (the TZ of this process).
 * Returns 0 and sets *t, or -1 with a message in err.
 */
int timeparse_iso(const char *text, double *t, char *err, size_t errlen);

/* "2026-02-04T10:15:25.123456+01:00" in local time (utc: "...Z"), microseconds.
 * A t out of range is written as "(out-of-range time 1e+300)", never as a date. */
void timeparse_format(double t, bool utc, char *buf, size_t size);

#endif
