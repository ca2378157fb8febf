/*
 * modelconf.h: put a calibration into power.conf's [model] section, pure
 * text in, text out (pmpower calibrate --write does the file).
 *
 * The keys it sets (idle_watts, max_watts, per_core_watts, curve,
 * calibrated, reference) are taken out of the [model] section wherever
 * they are and written again right under its header, after a comment
 * saying where they came from; every other line, comments and commented-out
 * keys included, stays as it was. A file without [model] gets one at its end.
 */
#ifndef PMPOWER_MODELCONF_H
#define PMPOWER_MODELCONF_H

#include <stddef.h>

struct model_keys {
    double      idle_w, max_w, per_core_w;
    const char *curve;        /* "0:20, 50:45, 100:70" */
    const char *calibrated;   /* when: ISO 8601 */
    const char *reference;    /* the power.system candidate whose scale it predicts */
    const char *note;         /* one comment line: how it was measured */
};

/* The new text, malloc'd; NULL when out of memory. */
char *modelconf_rewrite(const char *text, const struct model_keys *keys);

#endif
