/*
 * baselinefile.h: an idle baseline kept for later measurements (measure
 * --baseline-file), as JouleTrace keeps its calibration: the mean idle
 * power, how long it was measured, when, on which host, at which agent
 * interval and source. A text file of "key value" lines, so a person can
 * read it. Like JouleTrace, a baseline older than 7 days is refused unless
 * the user says otherwise: idle power drifts with temperature, firmware and
 * what runs in the background. Pure: no PCP.
 */
#ifndef PMPOWER_BASELINEFILE_H
#define PMPOWER_BASELINEFILE_H

#include <stddef.h>

#define BASELINE_MAX_AGE_S (7 * 86400.0)

struct baseline_record {
    double power_w;            /* mean idle power */
    double seconds;            /* measured over */
    double saved;              /* when, epoch seconds */
    double interval;           /* the agent's interval then */
    char   host[4096];         /* as given to -h */
    char   source[64];         /* power.system.source then */
    char   zones[512];         /* measure --zone's labels joined by "+" ("" none) */
    double zones_w;            /* their idle power together (NAN: none) */
};

/* 0, or -1 with why in err. */
int baselinefile_save(const char *path, const struct baseline_record *b, char *err, size_t errsize);
int baselinefile_load(const char *path, struct baseline_record *b, char *err, size_t errsize);

/* "3 h 12 min", "2.5 days" */
void baselinefile_age_text(double age_s, char *buf, size_t size);

#endif
