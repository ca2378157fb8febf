/*
 * units.c: PCP 7.2's power unit for the figures labelled joules and watts
 * (units.h). The test of the mapping is tests/unit/test_units.c, built
 * twice: against this machine's PCP, and against tests/unit/pcp72/, a
 * stand-in for PCP 7.2's headers.
 */
#include "units.h"

#include <string.h>

enum units_kind
units_kind_of(const char *label)
{
    if (label && strcmp(label, UNITS_J) == 0)
        return UNITS_KIND_ENERGY;
    if (label && strcmp(label, UNITS_W) == 0)
        return UNITS_KIND_POWER;
    return UNITS_KIND_NONE;
}

#include <pcp/pmda.h>

#ifdef PMDA_EXTRAUNITS

bool
units_have_power(void)
{
    return true;
}

static bool
no_units(const pmUnits *u)
{
    return !u->dimSpace && !u->dimTime && !u->dimCount && !u->scaleSpace && !u->scaleTime && !u->scaleCount &&
           !u->extraUnit && !u->extraScale;
}

bool
units_apply(const char *label, pmUnits *units)
{
    static const pmUnits watts = PMDA_EXTRAUNITS(0, 0, 0, 0, 0, 0, PM_UNIT_POWER, PM_POWER_W);
    /* energy as power x time: its rate is power, in W */
    static const pmUnits joules = PMDA_EXTRAUNITS(0, 1, 0, 0, PM_TIME_SEC, 0, PM_UNIT_POWER, PM_POWER_W);
    enum units_kind kind = units_kind_of(label);

    if (kind == UNITS_KIND_NONE || !no_units(units))
        return false;
    *units = kind == UNITS_KIND_ENERGY ? joules : watts;
    return true;
}

#else    /* PCP before 7.2: no power unit; the label says it */

bool
units_have_power(void)
{
    return false;
}

bool
units_apply(const char *label, pmUnits *units)
{
    (void)label;
    (void)units;
    return false;
}

#endif
