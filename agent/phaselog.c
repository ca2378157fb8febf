#include "phaselog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
phaselog_init(struct phaselog *log)
{
    memset(log, 0, sizeof(*log));
    log->next_seq = 1;
}

int
phaselog_store(struct phaselog *log, const char *mark, double now_wall)
{
    char verb[8];
    const char *p = mark, *label;
    double t = now_wall;
    struct phase_mark *m;
    size_t n = 0;

    while (isspace((unsigned char)*p))
        p++;
    while (isalpha((unsigned char)p[n]) && n < sizeof(verb) - 1) {
        verb[n] = p[n];
        n++;
    }
    verb[n] = '\0';
    if ((strcmp(verb, "start") != 0 && strcmp(verb, "end") != 0) || !isspace((unsigned char)p[n]))
        return -1;
    p += n;
    while (isspace((unsigned char)*p))
        p++;
    /* an optional epoch, as the client saw it: a date pmpower can print,
     * from 1970-01-01T00:00:01 (1e-300 would be kept as "0.000000") to
     * 9999-12-31 (pmpower/timeparse.h), so never inf ("1e999") */
    if (isdigit((unsigned char)*p)) {
        char *end;
        double v = strtod(p, &end);
        if (end != p && isspace((unsigned char)*end) && v > 0) {
            if (!(v >= 1 && v <= PHASELOG_MAX_EPOCH))
                return -1;
            t = v;
            p = end;
            while (isspace((unsigned char)*p))
                p++;
        }
    }
    label = p;
    if (*label == '\0' || strchr(label, '\n') || strlen(label) > 255)
        return -1;
    if (log->count == PHASELOG_SIZE) {
        memmove(&log->ring[0], &log->ring[1], (PHASELOG_SIZE - 1) * sizeof(log->ring[0]));
        log->count--;
    }
    m = &log->ring[log->count++];
    m->seq = log->next_seq++;
    snprintf(m->name, sizeof(m->name), "%d", m->seq);
    snprintf(m->text, sizeof(m->text), "%.6f %s %s", t, verb, label);
    log->stored++;
    return 0;
}

const struct phase_mark *
phaselog_at(const struct phaselog *log, size_t i)
{
    return i < log->count ? &log->ring[i] : NULL;
}

const struct phase_mark *
phaselog_latest(const struct phaselog *log)
{
    return log->count ? &log->ring[log->count - 1] : NULL;
}
