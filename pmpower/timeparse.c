#include "timeparse.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool
timeparse_in_range(double t)
{
    return t >= TIMEPARSE_MIN_EPOCH && t <= TIMEPARSE_MAX_EPOCH;    /* false for NaN */
}

bool
timeparse_looks_iso(const char *s)
{
    while (*s == ' ')
        s++;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return s[4] == '-' && isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) && s[7] == '-';
}

/* exactly n digits at *p; advances */
static bool
digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static int
bad_time(char *err, size_t errlen, const char *text, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "cannot read \"%s\" as a time: %s "
                 "(ISO form: 2026-02-04 10:15:25.123456, optional T, Z or +01:00)", text, why);
    return -1;
}

static int
days_in_month(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

int
timeparse_iso(const char *text, double *t, char *err, size_t errlen)
{
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0;
    double fraction = 0.0;
    bool zoned = false;
    int offset_s = 0;
    struct tm tm;
    time_t secs;

    while (*p == ' ')
        p++;
    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
        !digits(&p, 2, &day))
        return bad_time(err, errlen, text, "expected a date YYYY-MM-DD");
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return bad_time(err, errlen, text, "no such date");
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &minute))
            return bad_time(err, errlen, text, "expected a time HH:MM[:SS[.fraction]]");
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &second))
                return bad_time(err, errlen, text, "expected seconds after HH:MM:");
            if (*p == '.' || *p == ',') {
                double scale = 0.1;
                p++;
                if (!isdigit((unsigned char)*p))
                    return bad_time(err, errlen, text, "expected digits after the decimal point");
                while (isdigit((unsigned char)*p)) {
                    fraction += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (hour > 23 || minute > 59 || second > 60)
            return bad_time(err, errlen, text, "no such time of day");
    }
    while (*p == ' ')
        p++;
    if (*p == 'Z' || *p == 'z') {
        zoned = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (!digits(&p, 2, &oh))
            return bad_time(err, errlen, text, "expected a zone offset +HH[:MM]");
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
            return bad_time(err, errlen, text, "expected a zone offset +HH[:MM]");
        if (oh > 23 || om > 59)
            return bad_time(err, errlen, text, "zone offset out of range");
        zoned = true;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    while (*p == ' ')
        p++;
    if (*p != '\0')
        return bad_time(err, errlen, text, "unexpected text after the time");

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    /* -1 is both an error and 1969-12-31T23:59:59Z: they set tm_yday only on success */
    tm.tm_yday = -1;
    if (zoned)
        secs = timegm(&tm);
    else {
        tm.tm_isdst = -1;
        secs = mktime(&tm);
    }
    if (secs == (time_t)-1 && tm.tm_yday == -1)
        return bad_time(err, errlen, text, "out of range");
    *t = (double)(secs - offset_s) + fraction;
    if (!timeparse_in_range(*t))
        return bad_time(err, errlen, text, "out of range (" TIMEPARSE_RANGE_TEXT ")");
    return 0;
}

void
timeparse_format(double t, bool utc, char *buf, size_t size)
{
    time_t secs;
    long usec;
    struct tm tm;
    char date[40];

    if (!timeparse_in_range(t)) {
        /* (time_t) of 1e300 is undefined: say what it is instead of a garbage date */
        snprintf(buf, size, "(out-of-range time %g)", t);
        return;
    }
    secs = (time_t)floor(t);
    usec = lround((t - (double)secs) * 1e6);
    if (usec >= 1000000) {
        secs++;
        usec -= 1000000;
    }
    if (utc)
        gmtime_r(&secs, &tm);
    else
        localtime_r(&secs, &tm);
    /* strftime's %Y writes year 999 as "999", which does not read back */
    snprintf(date, sizeof(date), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (utc) {
        snprintf(buf, size, "%s.%06ldZ", date, usec);
    } else {
        long off = tm.tm_gmtoff;
        char sign = off < 0 ? '-' : '+';
        if (off < 0)
            off = -off;
        snprintf(buf, size, "%s.%06ld%c%02ld:%02ld", date, usec, sign, off / 3600, (off % 3600) / 60);
    }
}
