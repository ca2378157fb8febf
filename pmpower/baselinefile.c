#include "baselinefile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "# pmpower idle baseline"

int
baselinefile_save(const char *path, const struct baseline_record *b, char *err, size_t errsize)
{
    char tmp[4096];
    FILE *f;
    int ok;

    /* written whole then renamed: a reader never sees half a baseline */
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((f = fopen(tmp, "we")) == NULL) {
        snprintf(err, errsize, "cannot write the baseline file %s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "%s (pmpower measure --baseline-file)\n", MAGIC);
    fprintf(f, "power_w %.9g\nseconds %.9g\nsaved %.6f\ninterval %.9g\nhost %s\nsource %s\n",
            b->power_w, b->seconds, b->saved, b->interval, b->host, b->source[0] ? b->source : "-");
    if (b->zones[0] && isfinite(b->zones_w))
        fprintf(f, "zones %s\nzones_w %.9g\n", b->zones, b->zones_w);
    ok = fflush(f) == 0 && !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        snprintf(err, errsize, "cannot write the baseline file %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int
number(const char *text, double *out)
{
    char *end;

    *out = strtod(text, &end);
    return end != text && *end == '\0' && isfinite(*out) ? 0 : -1;
}

int
baselinefile_load(const char *path, struct baseline_record *b, char *err, size_t errsize)
{
    char line[512];
    FILE *f;
    int lineno = 0, have = 0;

    memset(b, 0, sizeof(*b));
    b->zones_w = NAN;
    if ((f = fopen(path, "re")) == NULL) {
        snprintf(err, errsize, "cannot read the baseline file %s: %s (save one with --baseline S "
                 "--baseline-file %s)", path, strerror(errno), path);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *value;
        double v = 0;
        line[strcspn(line, "\n")] = '\0';
        if (++lineno == 1) {
            if (strncmp(line, MAGIC, strlen(MAGIC)) != 0)
                break;
            continue;
        }
        if ((value = strchr(line, ' ')) == NULL)
            continue;
        *value++ = '\0';
        if (strcmp(line, "host") == 0)
            snprintf(b->host, sizeof(b->host), "%s", value);
        else if (strcmp(line, "source") == 0)
            snprintf(b->source, sizeof(b->source), "%s", strcmp(value, "-") ? value : "");
        else if (strcmp(line, "zones") == 0)
            snprintf(b->zones, sizeof(b->zones), "%s", value);
        else if (number(value, &v) < 0)
            continue;
        else if (strcmp(line, "power_w") == 0 && v >= 0) {
            b->power_w = v;
            have |= 1;
        } else if (strcmp(line, "seconds") == 0 && v > 0) {
            b->seconds = v;
            have |= 2;
        } else if (strcmp(line, "saved") == 0 && v > 0) {
            b->saved = v;
            have |= 4;
        } else if (strcmp(line, "zones_w") == 0 && v >= 0)
            b->zones_w = v;
        else if (strcmp(line, "interval") == 0)
            b->interval = v;
    }
    fclose(f);
    if (lineno == 0 || have != 7) {
        snprintf(err, errsize, "%s is not a pmpower baseline file (it needs power_w, seconds and saved "
                 "after a \"%s\" line): save one with --baseline S --baseline-file FILE", path, MAGIC);
        return -1;
    }
    return 0;
}

void
baselinefile_age_text(double age_s, char *buf, size_t size)
{
    if (age_s < 0)
        snprintf(buf, size, "from the future (%.0f s ahead: is the clock right?)", -age_s);
    else if (age_s < 60)
        snprintf(buf, size, "%.0f s", age_s);
    else if (age_s < 3600)
        snprintf(buf, size, "%.0f min", age_s / 60);
    else if (age_s < 86400)
        snprintf(buf, size, "%.0f h %.0f min", floor(age_s / 3600), fmod(age_s, 3600) / 60);
    else
        snprintf(buf, size, "%.1f days", age_s / 86400);
}
