/*
 * config.h: the agent's configuration file.
 *
 * INI-like: "key = value" lines, "# comments", and sections "[rapl]",
 * "[model]", or named ones such as "[meter usb0]". Keys before the first
 * section belong to section "". Each getter marks its key as used; after
 * every source has opened, config_report_unused() names the keys nobody
 * asked for, with file and line. A bad value is reported the same way and
 * the default is used, so the agent always starts.
 */
#ifndef POWER_CONFIG_H
#define POWER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct power_config;

/* path NULL (or a missing file, which is reported) gives an empty config:
 * every getter returns its default. NULL only when out of memory. */
struct power_config *config_load(const char *path, power_log_fn log);
struct power_config *config_parse(const char *text, const char *name, power_log_fn log);
void config_free(struct power_config *cfg);

/* Names of the sections "[TYPE NAME]", in file order; returns the count. */
size_t config_named_sections(struct power_config *cfg, const char *type,
                             const char **names, size_t max);

bool        config_bool(struct power_config *cfg, const char *section, const char *key, bool dflt);
double      config_double(struct power_config *cfg, const char *section, const char *key,
                          double dflt, double min, double max);
const char *config_string(struct power_config *cfg, const char *section, const char *key,
                          const char *dflt);
bool        config_has(struct power_config *cfg, const char *section, const char *key);

/* Report a bad value at the key's file and line (for checks a getter cannot do). */
void config_bad_value(struct power_config *cfg, const char *section, const char *key,
                      const char *expected);

/* Log every key no getter asked for; returns how many. */
int config_report_unused(struct power_config *cfg);

/* Problems found (syntax, bad values, unknown keys): power.control.config_errors. */
unsigned config_error_count(const struct power_config *cfg);

#endif
