/* The configuration file: values, defaults, errors with file and line (pmda/config.c). */
#include "check.h"
#include "config.h"
#include "fakesys.h"

#include <stdio.h>
#include <string.h>


static void
values_and_defaults(void)
{
    const char *text =
        "# global part\n"
        "interval = 2.5\n"
        "\n"
        "[model]\n"
        "idle_watts = 12   # trailing comment\n"
        "enabled = no\n"
        "[meter  usb0]\n"
        "device = /dev/ttyUSB0\n"
        "[meter usb1]\n"
        "device = /dev/ttyUSB1\n";
    struct power_config *cfg;
    const char *names[4];

    fake_log[0] = '\0';
    cfg = config_parse(text, "test.conf", fake_record);
    CHECK_NEAR(config_double(cfg, "", "interval", 1, 0, 10), 2.5, 0, "global key read");
    CHECK_NEAR(config_double(cfg, "model", "idle_watts", 10, 0, 1000), 12, 0, "section key read, comment stripped");
    CHECK_NEAR(config_double(cfg, "model", "max_watts", 40, 0, 1000), 40, 0, "missing key gives the default");
    CHECK(config_bool(cfg, "model", "enabled", true) == false, "boolean 'no'");
    CHECK(config_named_sections(cfg, "meter", names, 4) == 2, "two named meter sections");
    CHECK_STR(names[0], "usb0", "section names are normalised and in file order");
    CHECK_STR(config_string(cfg, "meter usb1", "device", NULL), "/dev/ttyUSB1", "named section key");
    CHECK(config_report_unused(cfg) == 1, "one key nobody asked for");
    CHECK(strstr(fake_log, "test.conf:8: unknown key \"device\" in [meter usb0]") != NULL,
          "unknown key reported with file and line");
    CHECK(config_error_count(cfg) == 1, "error count includes the unknown key");
    config_free(cfg);
}

static void
bad_values_keep_defaults(void)
{
    const char *text =
        "[model]\n"
        "idle_watts = lots\n"
        "max_watts = -3\n"
        "enabled = perhaps\n"
        "this line has no equals\n"
        "[broken\n"
        " = 4\n";
    struct power_config *cfg;

    fake_log[0] = '\0';
    cfg = config_parse(text, "bad.conf", fake_record);
    CHECK_NEAR(config_double(cfg, "model", "idle_watts", 10, 0, 1000), 10, 0, "non-number falls back to default");
    CHECK_NEAR(config_double(cfg, "model", "max_watts", 40, 0, 1000), 40, 0, "out of range falls back to default");
    CHECK(config_bool(cfg, "model", "enabled", true) == true, "bad boolean falls back to default");
    CHECK(strstr(fake_log, "bad.conf:2: bad value \"lots\" for model.idle_watts") != NULL,
          "bad number reported with line");
    CHECK(strstr(fake_log, "bad.conf:5: expected \"key = value\"") != NULL, "syntax error reported with line");
    CHECK(strstr(fake_log, "bad.conf:6: malformed section header") != NULL, "bad section header reported");
    CHECK(strstr(fake_log, "bad.conf:7: missing key") != NULL, "missing key reported");
    CHECK(config_error_count(cfg) == 6, "six problems counted (got %u)", config_error_count(cfg));
    config_free(cfg);
}

static void
missing_file(void)
{
    struct power_config *cfg;

    fake_log[0] = '\0';
    cfg = config_load("/nonexistent/power.conf", fake_record);
    CHECK(cfg != NULL, "a missing file still gives a config");
    CHECK(strstr(fake_log, "/nonexistent/power.conf: cannot read config") != NULL, "and says so");
    CHECK_NEAR(config_double(cfg, "", "interval", 1, 0, 10), 1, 0, "defaults apply");
    config_free(cfg);
    cfg = config_load(NULL, fake_record);
    CHECK(cfg && config_error_count(cfg) == 0, "no config file at all is not an error");
    config_free(cfg);
}

int
main(void)
{
    values_and_defaults();
    bad_values_keep_defaults();
    missing_file();
    return CHECK_DONE();
}
