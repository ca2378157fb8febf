#include "sources.h"
#include "model.h"
#include "rapl.h"

/* Adding a source: its ops here, its metrics in metrics.c, pmns and help. */
const struct source_ops *const power_sources[] = {
    &rapl_source,
    &model_source,
    NULL
};
