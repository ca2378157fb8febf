/*
 * A stand-in for PCP 7.2's <pcp/pmapi.h>, as much as pmda/units.c uses, so
 * that its PCP 7.2 branch is built and tested on a machine with PCP 6
 * (tests/unit/test_units.c, built as test_units_pcp72). The names and
 * values are PCP 7.2.0's (performancecopilot/pcp src/include/pcp/pmapi.h:
 * pmUnits gained extraUnit and extraScale; PM_UNIT_POWER is 4, PM_POWER_W 2);
 * the field order here is not PCP's and nothing here is binary-compatible.
 */
#ifndef PCP72_STANDIN_PMAPI_H
#define PCP72_STANDIN_PMAPI_H

typedef struct pmUnits {
    signed int   dimSpace : 4, dimTime : 4, dimCount : 4;
    unsigned int scaleSpace : 4, scaleTime : 4;
    signed int   scaleCount : 4;
    signed int   extraUnit : 5;
    unsigned int extraScale : 3;
} pmUnits;

#define PM_TIME_SEC   3
#define PM_UNIT_POWER 4
#define PM_POWER_kW   1
#define PM_POWER_W    2

#endif
