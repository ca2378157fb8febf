#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

struct config_entry {
    char *section;      /* "" for the global part; "meter usb0" for named sections */
    char *key;
    char *value;
    int   line;
    bool  used;
};

struct power_config {
    char                *name;      /* file name for messages */
    power_log_fn         log;
    struct config_entry *entries;
    size_t               count;
    char               **sections;  /* every section header seen, in order */
    size_t               nsections;
    unsigned             errors;
};

static char *
trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* "meter   usb0" -> "meter usb0" so lookups need not care about spacing */
static char *
normalise_section(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    bool space = false;

    if (!out)
        return NULL;
    for (const char *p = text; *p; p++) {
        if (isspace((unsigned char)*p)) {
            space = (o != out);
            continue;
        }
        if (space)
            *o++ = ' ';
        space = false;
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

static void problem(struct power_config *cfg, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct power_config *cfg, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg->errors++;
    if (cfg->log)
        cfg->log(LOG_WARNING, "%s:%d: %s", cfg->name, line, msg);
}

static bool
add_entry(struct power_config *cfg, const char *section, const char *key,
          const char *value, int line)
{
    struct config_entry *grown, *e;

    grown = realloc(cfg->entries, (cfg->count + 1) * sizeof(*grown));
    if (!grown)
        return false;
    cfg->entries = grown;
    e = &cfg->entries[cfg->count];
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    e->used = false;
    if (!e->section || !e->key || !e->value) {
        free(e->section); free(e->key); free(e->value);
        return false;
    }
    cfg->count++;
    return true;
}

static bool
add_section(struct power_config *cfg, const char *section)
{
    char **grown = realloc(cfg->sections, (cfg->nsections + 1) * sizeof(*grown));

    if (!grown)
        return false;
    cfg->sections = grown;
    if (!(cfg->sections[cfg->nsections] = strdup(section)))
        return false;
    cfg->nsections++;
    return true;
}

struct power_config *
config_parse(const char *text, const char *name, power_log_fn log)
{
    struct power_config *cfg = calloc(1, sizeof(*cfg));
    char *copy, *line, *save = NULL, *section;
    int lineno = 0;

    if (!cfg || !(cfg->name = strdup(name ? name : "config")) ||
        !(copy = strdup(text ? text : "")) || !(section = strdup(""))) {
        if (cfg)
            free(cfg->name);
        free(cfg);
        return NULL;
    }
    cfg->log = log;

    /* strtok_r would merge blank lines and lose line numbers: split by hand */
    for (line = copy; line; line = save) {
        char *nl = strchr(line, '\n'), *hash, *eq, *s;

        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        if ((hash = strchr(line, '#')) != NULL)
            *hash = '\0';
        s = trim(line);
        if (*s == '\0')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']'), *norm;
            if (!close || trim(close + 1)[0] != '\0') {
                problem(cfg, lineno, "malformed section header \"%s\"", s);
                continue;
            }
            *close = '\0';
            if (!(norm = normalise_section(s + 1)))
                break;
            free(section);
            section = norm;
            if (!add_section(cfg, section))
                break;
            continue;
        }
        if ((eq = strchr(s, '=')) == NULL) {
            problem(cfg, lineno, "expected \"key = value\", found \"%s\"", s);
            continue;
        }
        *eq = '\0';
        if (*trim(s) == '\0') {
            problem(cfg, lineno, "missing key before '='");
            continue;
        }
        if (!add_entry(cfg, section, trim(s), trim(eq + 1), lineno))
            break;
    }
    free(section);
    free(copy);
    return cfg;
}

struct power_config *
config_load(const char *path, power_log_fn log)
{
    struct power_config *cfg;
    char *text = NULL;
    size_t len = 0, cap = 0;
    FILE *fp;

    if (!path)
        return config_parse("", "(defaults)", log);
    if ((fp = fopen(path, "r")) == NULL) {
        if (log)
            log(LOG_WARNING, "%s: cannot read config (%s); using defaults", path, strerror(errno));
        cfg = config_parse("", path, log);
        if (cfg)
            cfg->errors++;
        return cfg;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *grown = realloc(text, cap = cap ? cap * 2 : 8192);
            if (!grown) {
                free(text);
                fclose(fp);
                return NULL;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, cap - len - 1, fp);
        len += n;
        if (n == 0)
            break;
    }
    fclose(fp);
    text[len] = '\0';
    cfg = config_parse(text, path, log);
    free(text);
    return cfg;
}

void
config_free(struct power_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->count; i++) {
        free(cfg->entries[i].section);
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
    }
    for (size_t i = 0; i < cfg->nsections; i++)
        free(cfg->sections[i]);
    free(cfg->sections);
    free(cfg->entries);
    free(cfg->name);
    free(cfg);
}

/* The last assignment wins, as in shell-style config files. */
static struct config_entry *
lookup(struct power_config *cfg, const char *section, const char *key)
{
    struct config_entry *found = NULL;

    for (size_t i = 0; i < cfg->count; i++) {
        struct config_entry *e = &cfg->entries[i];
        if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0) {
            e->used = true;
            found = e;
        }
    }
    return found;
}

size_t
config_named_sections(struct power_config *cfg, const char *type,
                      const char **names, size_t max)
{
    size_t n = 0, tlen = strlen(type);

    for (size_t i = 0; i < cfg->nsections && n < max; i++) {
        const char *s = cfg->sections[i];
        bool dup = false;
        if (strncmp(s, type, tlen) != 0 || s[tlen] != ' ')
            continue;
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(names[j], s + tlen + 1) == 0;
        if (!dup)
            names[n++] = s + tlen + 1;
    }
    return n;
}

bool
config_has(struct power_config *cfg, const char *section, const char *key)
{
    return lookup(cfg, section, key) != NULL;
}

void
config_bad_value(struct power_config *cfg, const char *section, const char *key,
                 const char *expected)
{
    struct config_entry *e = lookup(cfg, section, key);
    char what[256];

    snprintf(what, sizeof(what), "%s%s%s", section, *section ? "." : "", key);
    if (e)
        problem(cfg, e->line, "bad value \"%s\" for %s", e->value, what);
    else
        problem(cfg, 0, "bad value for %s", what);
    if (cfg->log)
        cfg->log(LOG_WARNING, "%s: %s expects %s; using the default",
                 cfg->name, what, expected);
}

bool
config_bool(struct power_config *cfg, const char *section, const char *key, bool dflt)
{
    struct config_entry *e = lookup(cfg, section, key);
    static const char *yes[] = { "yes", "true", "on", "1" };
    static const char *no[] = { "no", "false", "off", "0" };

    if (!e)
        return dflt;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0)
            return true;
        if (strcasecmp(e->value, no[i]) == 0)
            return false;
    }
    config_bad_value(cfg, section, key, "yes or no");
    return dflt;
}

double
config_double(struct power_config *cfg, const char *section, const char *key,
              double dflt, double min, double max)
{
    struct config_entry *e = lookup(cfg, section, key);
    char *end, expected[128];
    double v;

    if (!e)
        return dflt;
    errno = 0;
    v = strtod(e->value, &end);
    if (errno == 0 && end != e->value && *end == '\0' && isfinite(v) && v >= min && v <= max)
        return v;
    snprintf(expected, sizeof(expected), "a number from %g to %g", min, max);
    config_bad_value(cfg, section, key, expected);
    return dflt;
}

const char *
config_string(struct power_config *cfg, const char *section, const char *key,
              const char *dflt)
{
    struct config_entry *e = lookup(cfg, section, key);

    return e ? e->value : dflt;
}

int
config_report_unused(struct power_config *cfg)
{
    int n = 0;

    for (size_t i = 0; i < cfg->count; i++) {
        struct config_entry *e = &cfg->entries[i];
        if (e->used)
            continue;
        if (*e->section)
            problem(cfg, e->line, "unknown key \"%s\" in [%s] (ignored)", e->key, e->section);
        else
            problem(cfg, e->line, "unknown key \"%s\" (ignored)", e->key);
        n++;
    }
    return n;
}

unsigned
config_error_count(const struct power_config *cfg)
{
    return cfg->errors;
}
