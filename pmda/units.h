/*
 * units.h: the PCP units of the figures a family labels "joules" or "watts"
 * (family.h UNITS_J, UNITS_W). PCP 7.2.0 added "extra" units to pmUnits
 * (pmapi.h: extraUnit and extraScale, PM_UNIT_POWER with the scales
 * PM_POWER_kW, _W, _mW, _uW; pmda.h: PMDA_EXTRAUNITS), as PCP's own denki
 * and nvidia agents use them (src/pmdas/denki/denki.c, src/pmdas/nvidia/nvidia.c).
 * Built against such a PCP, a power carries power (W) and an energy
 * counter power (W) x time (sec), so that its rate is power (W); against
 * PCP 6 the units stay "none". The "units" label stays in both: dashboards
 * select on it, and pmseries names a series by its labels.
 */
#ifndef POWER_UNITS_H
#define POWER_UNITS_H

#include <pcp/pmapi.h>
#include <stdbool.h>

/* the units a figure carries as a PCP label, on every PCP */
#define UNITS_J "joules"
#define UNITS_W "watts"

enum units_kind { UNITS_KIND_NONE, UNITS_KIND_POWER, UNITS_KIND_ENERGY };

/* What a family's units label says the figure is (NULL: no label). */
enum units_kind units_kind_of(const char *label);

/* Whether this build's PCP has the power unit (PCP 7.2.0 and later). */
bool units_have_power(void);

/* Set units for the figure the label names, when this build's PCP has the
 * power unit and the row carries none of its own; true when it set them. */
bool units_apply(const char *label, pmUnits *units);

#endif
