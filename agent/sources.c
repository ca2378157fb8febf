#include "sources.h"
#include "battery.h"
#include "meter.h"
#include "model.h"
#include "powermetrics.h"
#include "rapl.h"
#include "vm.h"

/* Adding a source: its ops here, its metrics in metrics.c, pmns and help. */
const struct source_ops *const power_sources[] = {
    &rapl_source,
    &model_source,
    &meter_source,
    &battery_source,
    &vm_source,
    &powermetrics_source,
    NULL
};
