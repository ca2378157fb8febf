/*
 * fuzz_config: power.conf, through the agent's own reader (common/config.c)
 * and what the sources do with its values when they open: the model's
 * curve, the battery's ignore list, the VM globs, the power.system
 * priority list, the powermetrics command line (pm_split_command), and the
 * named [meter NAME] sections. Nothing is started and no file is read: the
 * sources that open threads or children (meter, powermetrics) or scan
 * sysfs and /proc at open (RAPL, attribution, which read only switches,
 * numbers and words) are left out or driven through their parsers only.
 *
 * Properties: the agent always gets a config (only memory can fail it);
 * every getter answers within its bounds; a model curve that reads has
 * increasing utilisations in 0..1 and finite non-negative watts; every
 * source opens and closes.
 */
#include "fuzz.h"
#include "battery.h"
#include "config.h"
#include "meter.h"
#include "model.h"
#include "powermetrics.h"
#include "rapl.h"
#include "system.h"
#include "vm.h"

#include <math.h>

#define ROOT "/nonexistent/pcp-power-fuzz"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the sources whose open parses more than a switch and a number; RAPL's
     * open also scans sysfs, which would make this harness a file system test */
    static const struct source_ops *const sources[] = { &model_source, &battery_source, &vm_source };
    /* the power.system candidates, as the agent gathers them from every source */
    static const struct source_ops *const offering[] = { &rapl_source, &model_source, &meter_source,
                                                         &battery_source, &powermetrics_source };
    const struct system_candidate *known[16];
    char *text = fuzz_text(data, size);
    struct power_config *cfg = config_parse(text, "power.conf", fuzz_log);
    struct source_env env = { ROOT, cfg, fuzz_log };
    struct system_state system;
    const char *names[METER_MAX + 1];
    char **argv, unknown[32];
    size_t argc = 0, nmeters, nknown = 0;
    double interval;

    FUZZ_ASSERT(cfg != NULL, "no config from %zu bytes", size);
    interval = config_double(cfg, "", "interval", 1.0, 0.05, 3600.0);
    FUZZ_ASSERT(interval >= 0.05 && interval <= 3600.0, "interval %g", interval);
    for (size_t i = 0; i < sizeof(offering) / sizeof(offering[0]); i++)
        for (const struct system_candidate *c = offering[i]->candidates; c->name && nknown < 16; c++)
            known[nknown++] = c;
    system_init(&system, config_string(cfg, "system", "priority", SYSTEM_DEFAULT_PRIORITY), known, nknown,
                unknown, sizeof(unknown));
    FUZZ_ASSERT(system.ncandidates <= SYSTEM_MAX_CANDIDATES, "%u candidates", system.ncandidates);
    if (config_has(cfg, "model", "curve")) {
        struct model_curve curve;
        memset(&curve, 0, sizeof(curve));
        if (model_curve_parse(config_string(cfg, "model", "curve", ""), &curve) > 0)
            for (unsigned i = 0; i < curve.npoints; i++) {
                FUZZ_ASSERT(curve.util[i] >= 0 && curve.util[i] <= 1 && (i == 0 || curve.util[i] > curve.util[i - 1]),
                            "curve point %u at %g", i, curve.util[i]);
                FUZZ_ASSERT(isfinite(curve.watts[i]) && curve.watts[i] >= 0, "curve point %u of %g W", i,
                            curve.watts[i]);
            }
    }
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        void *st = sources[i]->open(&env);
        FUZZ_ASSERT(st != NULL, "%s did not open", sources[i]->name);
        FUZZ_ASSERT(source_state_name(sources[i]->status(st)->state), "%s state", sources[i]->name);
        sources[i]->close(st);
    }
    if (config_bool(cfg, "powermetrics", "enabled", false) || config_has(cfg, "powermetrics", "command")) {
        argv = pm_split_command(config_string(cfg, "powermetrics", "command", "powermetrics"), 2, &argc);
        if (argv) {
            FUZZ_ASSERT(argc > 0 && argv[argc] == NULL, "argc %zu", argc);
            pm_argv_free(argv);
        }
    }
    nmeters = config_named_sections(cfg, "meter", names, METER_MAX + 1);
    FUZZ_ASSERT(nmeters <= METER_MAX + 1, "%zu meters", nmeters);
    for (size_t i = 0; i < nmeters; i++) {
        char section[128];
        snprintf(section, sizeof(section), "meter %s", names[i]);
        config_string(cfg, section, "device", NULL);
    }
    config_report_unused(cfg);
    config_error_count(cfg);
    config_free(cfg);
    free(text);
    return 0;
}
