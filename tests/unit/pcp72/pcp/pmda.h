/* A stand-in for PCP 7.2's <pcp/pmda.h>: its two units macros (see pmapi.h here). */
#ifndef PCP72_STANDIN_PMDA_H
#define PCP72_STANDIN_PMDA_H

#define PMDA_PMUNITS(a, b, c, d, e, f) \
    { .dimSpace = a, .dimTime = b, .dimCount = c, .scaleSpace = d, .scaleTime = e, .scaleCount = f }
#define PMDA_EXTRAUNITS(a, b, c, d, e, f, g, h) \
    { .dimSpace = a, .dimTime = b, .dimCount = c, .scaleSpace = d, .scaleTime = e, .scaleCount = f, \
      .extraUnit = g, .extraScale = h }

#endif
