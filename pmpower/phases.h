#ifndef PMPOWER_PHASES_H
#define PMPOWER_PHASES_H
#include "pmpower.h"
int phases_report(struct pp_ctx *c, struct pp_metric m[S_COUNT], const char *file, int top, bool json);
#endif
