#include "conditions.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of root/rel, without its newline: 0, or -1. */
static int
read_line(const char *root, const char *rel, char *buf, size_t size)
{
    char path[4096];
    FILE *f;
    bool ok;

    snprintf(path, sizeof(path), "%s/%s", strcmp(root, "/") == 0 ? "" : root, rel);
    if ((f = fopen(path, "re")) == NULL)
        return -1;
    ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of root/rel starting with prefix, sorted; their count (names malloc'd). */
static size_t
entries(const char *root, const char *rel, const char *prefix, char ***names)
{
    char path[4096];
    DIR *d;
    struct dirent *e;
    size_t n = 0, cap = 0;

    *names = NULL;
    snprintf(path, sizeof(path), "%s/%s", strcmp(root, "/") == 0 ? "" : root, rel);
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n == cap) {
            char **grown = realloc(*names, (cap = cap ? cap * 2 : 16) * sizeof(*grown));
            if (!grown)
                break;
            *names = grown;
        }
        if (((*names)[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(*names, n, sizeof(**names), cmp_name);
    return n;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool
has_item(const char *list, const char *item)
{
    size_t n = strlen(item);

    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static void
read_governors(const char *root, struct conditions *c)
{
    char **names, rel[512], gov[64];
    size_t n = entries(root, "sys/devices/system/cpu/cpufreq", "policy", &names);

    c->governor[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpufreq/%s/scaling_governor", names[i]);
        if (read_line(root, rel, gov, sizeof(gov)) < 0 || !gov[0])
            continue;
        /* each distinct governor once, in policy order */
        if (!has_item(c->governor, gov)) {
            size_t len = strlen(c->governor);
            snprintf(c->governor + len, sizeof(c->governor) - len, "%s%s", len ? "," : "", gov);
        }
    }
    free_names(names, n);
}

static void
read_turbo(const char *root, struct conditions *c)
{
    char v[16];

    c->turbo = -1;
    if (read_line(root, "sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof(v)) == 0 &&
        (v[0] == '0' || v[0] == '1'))
        c->turbo = v[0] == '0';
    else if (read_line(root, "sys/devices/system/cpu/cpufreq/boost", v, sizeof(v)) == 0 &&
             (v[0] == '0' || v[0] == '1'))
        c->turbo = v[0] == '1';
}

static void
read_temperature(const char *root, struct conditions *c)
{
    char **names, rel[512], v[32];
    size_t n = entries(root, "sys/class/thermal", "thermal_zone", &names);

    c->temp_c = NAN;
    for (size_t i = 0; i < n; i++) {
        char *end;
        long milli;
        snprintf(rel, sizeof(rel), "sys/class/thermal/%s/temp", names[i]);
        if (read_line(root, rel, v, sizeof(v)) < 0)
            continue;
        milli = strtol(v, &end, 10);
        /* a zone that cannot read says so with an error or a nonsense value */
        if (end == v || *end || milli < -50000 || milli > 200000)
            continue;
        if (isnan(c->temp_c) || milli / 1000.0 > c->temp_c)
            c->temp_c = milli / 1000.0;
    }
    free_names(names, n);
}

void
conditions_read(const char *root, struct conditions *c)
{
    memset(c, 0, sizeof(*c));
    read_governors(root, c);
    read_turbo(root, c);
    read_temperature(root, c);
}

static const char *
turbo_text(int turbo)
{
    return turbo < 0 ? "unknown" : turbo ? "on" : "off";
}

bool
conditions_changed(const struct conditions *a, const struct conditions *b, char *buf, size_t size)
{
    size_t len = 0;

#define ADD(...) do { if (len < size) len += (size_t)snprintf(buf + len, size - len, __VA_ARGS__); } while (0)
    buf[0] = '\0';
    if (strcmp(a->governor, b->governor) != 0)
        ADD("%sgovernor %s -> %s", len ? "; " : "", a->governor[0] ? a->governor : "unknown",
            b->governor[0] ? b->governor : "unknown");
    if (a->turbo != b->turbo)
        ADD("%sturbo %s -> %s", len ? "; " : "", turbo_text(a->turbo), turbo_text(b->turbo));
    if (isfinite(a->temp_c) && isfinite(b->temp_c) && b->temp_c - a->temp_c >= CONDITIONS_TEMP_RISE_C)
        ADD("%stemperature %.1f -> %.1f C", len ? "; " : "", a->temp_c, b->temp_c);
    if (a->interval > 0 && b->interval > 0 && a->interval != b->interval)
        ADD("%sagent interval %g -> %g s", len ? "; " : "", a->interval, b->interval);
    if (a->source[0] && b->source[0] && strcmp(a->source, b->source) != 0)
        ADD("%ssource %s -> %s", len ? "; " : "", a->source, b->source);
#undef ADD
    return len > 0;
}

void
conditions_describe(const struct conditions *c, char *buf, size_t size)
{
    char temp[32];

    if (isfinite(c->temp_c))
        snprintf(temp, sizeof(temp), "%.1f C", c->temp_c);
    else
        snprintf(temp, sizeof(temp), "unknown");
    snprintf(buf, size, "governor %s, turbo %s, hottest zone %s, agent interval %g s, source %s",
             c->governor[0] ? c->governor : "unknown", turbo_text(c->turbo), temp, c->interval,
             c->source[0] ? c->source : "unknown");
}
