#include "battery.h"
#include "battery_impl.h"
#include "battery_read.h"
#include "config.h"
#include "counter.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

int
battery_instance_id(const char *name)
{
    uint32_t h = 2166136261u;

    if (strncmp(name, "BAT", 3) == 0) {
        const char *digits = name + 3;
        size_t len = strlen(digits);
        /* "BAT01" would clash with "BAT1": only the canonical spelling maps to n */
        if (len >= 1 && len <= 3 && strspn(digits, "0123456789") == len &&
            (digits[0] != '0' || len == 1))
            return atoi(digits);
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return BATTERY_HASHED_BASE + (int)(h % BATTERY_HASHED_SPAN);
}

static int
unique_instance_id(const struct battery_state *st, const char *name)
{
    int id = battery_instance_id(name);

    for (;;) {
        bool clash = false;
        for (size_t i = 0; i < st->nbats && !clash; i++)
            clash = st->bats[i].inst == id;
        if (!clash)
            return id;
        id++;
    }
}

static void
mark_removed(struct battery_state *st, struct battery *b)
{
    if (b->present)
        st->env.log(LOG_INFO, "battery: %s removed: its instance has no values until it returns",
                    b->name);
    b->present = false;
    b->has_direction = b->discharging = b->idle = false;
    b->has_power = b->has_energy_now = b->has_capacity = false;
    /* nothing is drawn from a battery that is not there: do not bridge the gap */
    b->drawn.primed = false;
    memset(&b->rate, 0, sizeof(b->rate));
    snprintf(b->status, sizeof(b->status), "Removed");
    battery_note(b, "%s removed", b->name);
}

static struct battery *
find_or_add(struct battery_state *st, const char *name)
{
    struct battery *b;

    for (size_t i = 0; i < st->nbats; i++)
        if (strcmp(st->bats[i].name, name) == 0)
            return &st->bats[i];
    if (strlen(name) >= BATTERY_NAME_MAX) {
        status_error(&st->status, BATTERY_LONG_NAME, "ignoring %s: names longer than %d characters "
                     "are not followed", name, BATTERY_NAME_MAX - 1);
        return NULL;
    }
    if (st->nbats >= BATTERY_MAX) {
        status_error(&st->status, BATTERY_TOO_MANY, "ignoring %s: more than %d batteries", name,
                     BATTERY_MAX);
        return NULL;
    }
    b = &st->bats[st->nbats];
    memset(b, 0, sizeof(*b));
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->inst = unique_instance_id(st, name);
    b->rate_basis = LEVEL_NONE;
    st->nbats++;
    return b;
}

static bool
ignored(const struct battery_state *st, const char *name)
{
    for (size_t i = 0; i < st->nignore; i++)
        if (strcmp(st->ignore[i], name) == 0)
            return true;
    return false;
}

enum supply_kind { SUPPLY_OTHER, SUPPLY_BATTERY, SUPPLY_EXTERNAL_ONLINE };

static bool
has_file(const char *dir, const char *file)
{
    char path[PATH_MAX];

    return path_join(path, sizeof(path), "%s/%s", dir, file) == 0 && access(path, F_OK) == 0;
}

/* Sorted as upower's linux backend does (src/linux/up-device-supply.c:
 * up_device_supply_coldplug, up_device_supply_guess_type): a supply of scope
 * Device belongs to a peripheral; type Battery is a battery; Mains, a USB
 * supply (a USB-C or USB-PD charger through ucsi or tcpm: usb_type and
 * online), and any other supply with an online file are line power, which
 * powers the host while online is above 0 (1 fixed, 2 programmable voltage:
 * Documentation/ABI/testing/sysfs-class-power). */
static enum supply_kind
classify(struct battery_state *st, const char *dir, const char *name, char *type, size_t size)
{
    char path[PATH_MAX], scope[32];
    struct reading scratch = { .dir = dir };
    int64_t online;

    if (path_join(path, sizeof(path), "%s/type", dir) < 0 || sysfs_read_text(path, type, size) < 0)
        return SUPPLY_OTHER;
    /* mice, keyboards, headsets, a phone on USB: they do not power the host */
    if (path_join(path, sizeof(path), "%s/scope", dir) == 0 &&
        sysfs_read_text(path, scope, sizeof(scope)) == 0 && strcmp(scope, "Device") == 0)
        return SUPPLY_OTHER;
    if (strcmp(type, "Battery") == 0)
        return ignored(st, name) ? SUPPLY_OTHER : SUPPLY_BATTERY;
    /* upower: a USB supply without usb_type named wacom_ is a tablet's */
    if (strcmp(type, "USB") == 0 && !has_file(dir, "usb_type") && strstr(name, "wacom_"))
        return SUPPLY_OTHER;
    return battery_read(&st->status, &scratch, F_ONLINE, &online) == FILE_OK && online > 0 ?
           SUPPLY_EXTERNAL_ONLINE : SUPPLY_OTHER;
}

static void
scan_and_sample(struct battery_state *st, double now_s)
{
    char top[PATH_MAX], dir[PATH_MAX];
    struct dirent **list = NULL;
    enum supply_kind *kind = NULL;
    int n;

    if (path_join(top, sizeof(top), "%s/sys/class/power_supply", st->env.root) < 0)
        n = 0;
    else if ((n = scandir(top, &list, NULL, alphasort)) < 0) {
        /* counted once: a directory that stays unlistable is one error, not one a sample */
        if (errno != ENOENT && notice_set(&st->unlistable, st->env.log, LOG_WARNING, "battery: ",
                                          "cannot list %s: %s", top, strerror(errno)))
            status_count(&st->status, 1);
        n = 0;
    } else
        notice_clear(&st->unlistable);
    if (n > 0 && (kind = calloc((size_t)n, sizeof(*kind))) == NULL) {
        /* out of memory: skip this sample rather than call every battery removed */
        status_error(&st->status, BATTERY_OUT_OF_MEMORY, "out of memory listing %s: sample skipped", top);
        for (int i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return;
    }
    for (size_t i = 0; i < st->nbats; i++)
        st->bats[i].seen = false;
    st->ac_online = false;
    st->ac_name[0] = '\0';
    /* external power first: every battery's judgement depends on it */
    for (int i = 0; i < n; i++) {
        char type[32] = "";

        if (list[i]->d_name[0] == '.' ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        kind[i] = classify(st, dir, list[i]->d_name, type, sizeof(type));
        if (kind[i] == SUPPLY_EXTERNAL_ONLINE && !st->ac_online) {
            st->ac_online = true;
            snprintf(st->ac_name, sizeof(st->ac_name), "%.24s supply %.60s", type, list[i]->d_name);
        }
    }
    for (int i = 0; i < n; i++) {
        struct battery *b;
        int64_t present = 1;
        struct reading scratch = { .dir = dir };

        if (kind[i] != SUPPLY_BATTERY ||
            path_join(dir, sizeof(dir), "%s/%s", top, list[i]->d_name) < 0)
            continue;
        /* some drivers keep the directory of an empty bay and say present = 0 */
        if (battery_read(&st->status, &scratch, F_PRESENT, &present) == FILE_OK && present == 0)
            continue;
        if ((b = find_or_add(st, list[i]->d_name)) == NULL)
            continue;
        if (!b->present)
            st->env.log(LOG_INFO, "battery: %s %s (instance %d)", b->name,
                        b->ever_present ? "is back" : "found", b->inst);
        b->present = b->ever_present = true;
        b->seen = true;
        battery_sample_one(st, b, dir, now_s);
    }
    for (size_t i = 0; i < st->nbats; i++)
        if (!st->bats[i].seen)
            mark_removed(st, &st->bats[i]);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    free(kind);
}

static void
append(char *buf, size_t size, const char *text)
{
    size_t len = strlen(buf);

    if (*text)
        snprintf(buf + len, size - len, "%s%s", len ? "; " : "", text);
}

/* The host runs on its batteries alone when none is charging, none is on
 * AC, at least one is discharging with a known power, and the rest are
 * idle: only then is their discharge the whole machine's power. */
static void
judge_candidate(struct battery_state *st, char *why_not, size_t size)
{
    size_t ndischarging = 0, npresent = 0;

    why_not[0] = '\0';
    st->candidate_valid = false;
    if (st->ac_online) {
        /* even a battery discharging beside a weak adapter is only part of the draw */
        snprintf(why_not, size, "on AC power (%s online)", st->ac_name);
        return;
    }
    for (size_t i = 0; i < st->nbats; i++) {
        const struct battery *b = &st->bats[i];
        if (!b->present)
            continue;
        npresent++;
        if (!b->has_power) {
            snprintf(why_not, size, "%s has no power reading", b->name);
            return;
        }
        if (b->discharging && b->power_w < MIN_READING_W) {
            /* never offer a host drawing nothing: that is a failed reading */
            snprintf(why_not, size, "%s discharges at %g W", b->name, b->power_w);
            return;
        }
        if (b->discharging)
            ndischarging++;
        else if (!b->idle) {
            snprintf(why_not, size, "%s is %s", b->name, b->status);
            return;
        }
    }
    if (npresent == 0)
        return;
    if (ndischarging == 0) {
        snprintf(why_not, size, "no battery is discharging");
        return;
    }
    st->candidate_valid = true;
}

static void
battery_sample(void *state, const struct sample_time *now)
{
    struct battery_state *st = state;
    char why_not[160], why[STATUS_REASON] = "";
    size_t npresent = 0, nmeasurable = 0;

    if (!st->enabled)
        return;
    scan_and_sample(st, now->mono_s);
    judge_candidate(st, why_not, sizeof(why_not));

    for (size_t i = 0; i < st->nbats; i++) {
        const struct battery *b = &st->bats[i];
        if (b->present) {
            npresent++;
            nmeasurable += b->method != METHOD_NONE;
        }
        append(why, sizeof(why), b->note);
    }
    if (why_not[0]) {
        char text[200];
        snprintf(text, sizeof(text), "not used for power.system: %s", why_not);
        append(why, sizeof(why), text);
    }
    if (st->nbats == 0)
        status_set(&st->status, SOURCE_ABSENT, "no battery under %s/sys/class/power_supply", st->env.root);
    else
        status_set(&st->status, npresent == 0 ? SOURCE_ABSENT : nmeasurable == 0 ? SOURCE_FAILED :
                   SOURCE_ACTIVE, "%s", why);
}

static void
parse_ignore(struct battery_state *st, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t len;
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        len = strcspn(p, ", \t");
        if (len == 0)
            break;
        if (len >= BATTERY_NAME_MAX || st->nignore >= BATTERY_IGNORE_MAX) {
            config_bad_value(st->env.config, "battery", "ignore",
                             "up to 16 supply names such as \"BAT1, hidpp_battery_0\"");
            return;
        }
        snprintf(st->ignore[st->nignore++], BATTERY_NAME_MAX, "%.*s", (int)len, p);
        p += len;
    }
}

static void *
battery_open(const struct source_env *env)
{
    struct battery_state *st = calloc(1, sizeof(*st));
    const char *ignore;

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "battery", env->log);
    st->enabled = config_bool(env->config, "battery", "enabled", true);
    st->rate_timeout_s = config_double(env->config, "battery", "rate_timeout", 300.0, 1.0, 86400.0);
    st->rate_window_s = config_double(env->config, "battery", "rate_window", 30.0, 0.0, 3600.0);
    if ((ignore = config_string(env->config, "battery", "ignore", NULL)) != NULL)
        parse_ignore(st, ignore);
    if (!st->enabled) {
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([battery] enabled = no)");
        return st;
    }
    status_set(&st->status, SOURCE_ABSENT, "not sampled yet");
    return st;
}

static void
battery_close(void *state)
{
    free(state);
}

static const struct source_status *
battery_status(const void *state)
{
    return &((const struct battery_state *)state)->status;
}

static const struct system_candidate battery_candidates[] = {
    { "battery", true },    /* offered only while the host runs on its batteries alone */
    { NULL, false }
};

/* The sum of every battery's counter, removed ones included, so the sum
 * never steps back when a battery goes away. */
static bool
battery_system_energy(const void *state, size_t candidate, double *energy_j)
{
    const struct battery_state *st = state;
    double sum = 0.0;

    if (candidate != 0)
        return false;
    for (size_t i = 0; i < st->nbats; i++)
        sum += st->bats[i].drawn.energy_j;
    *energy_j = sum;
    return st->enabled && st->candidate_valid;
}

size_t
battery_count(const struct battery_state *st)
{
    return st->nbats;
}

bool
battery_get(const struct battery_state *st, size_t index, struct battery_info *info)
{
    const struct battery *b;

    if (index >= st->nbats)
        return false;
    b = &st->bats[index];
    info->name = b->name;
    info->inst = b->inst;
    info->present = b->present;
    info->status = b->status[0] ? b->status : "Unknown";
    info->method = battery_method_names[b->method];
    info->has_direction = b->present && b->has_direction;
    info->discharging = b->discharging;
    info->has_power = b->present && b->has_power;
    info->power_w = b->power_w;
    info->has_energy = b->present && b->counting;
    info->energy_j = b->drawn.energy_j;
    info->has_energy_now = b->present && b->has_energy_now;
    info->energy_now_j = b->energy_now_j;
    info->energy_now_priced = b->energy_now_priced;
    info->has_capacity = b->present && b->has_capacity;
    info->capacity_pct = b->capacity_pct;
    return true;
}

const struct source_ops battery_source = {
    .name = "battery",
    .candidates = battery_candidates,
    .open = battery_open,
    .sample = battery_sample,
    .close = battery_close,
    .status = battery_status,
    .system_energy = battery_system_energy,
};
