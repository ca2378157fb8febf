/*
 * test_units: PCP 7.2's power unit for the figures labelled joules and
 * watts (pmda/units.h). Built twice:
 *  - test_units against this machine's PCP (6.x, no PMDA_EXTRAUNITS): the
 *    units stay "none" and the label carries them; and every metric
 *    labelled joules or watts has its rule in pmlogrewrite/power.conf,
 *    with the units the mapping gives on PCP 7.2;
 *  - test_units_pcp72 against tests/unit/pcp72/, a stand-in for PCP
 *    7.2.0's headers: a power is power (W), an energy power (W) x sec, and
 *    the rate of an energy (dimTime - 1, as pmval and pmrep convert a
 *    counter) is a power; a row with units of its own keeps them.
 * PCP 7.2.0's pmapi.h and pmda.h (performancecopilot/pcp,
 * src/include/pcp/) and libpcp's units.c, which prints these as "power (W)"
 * and "power (W) sec", are the truth for the encoding.
 */
#include "check.h"
#include "units.h"

#include <pcp/pmda.h>
#include <stdio.h>
#include <string.h>

#ifdef PMDA_EXTRAUNITS

static bool
same(const pmUnits *a, const pmUnits *b)
{
    return a->dimSpace == b->dimSpace && a->dimTime == b->dimTime && a->dimCount == b->dimCount &&
           a->scaleSpace == b->scaleSpace && a->scaleTime == b->scaleTime && a->scaleCount == b->scaleCount &&
           a->extraUnit == b->extraUnit && a->extraScale == b->extraScale;
}

int
main(void)
{
    pmUnits w = PMDA_PMUNITS(0, 0, 0, 0, 0, 0), j = w, none = w, rate;
    pmUnits seconds = PMDA_PMUNITS(0, 1, 0, 0, PM_TIME_SEC, 0), kept = seconds;

    CHECK(units_have_power(), "built against PCP 7.2's headers, the power unit is there");
    CHECK(units_apply(UNITS_W, &w), "watts are given units");
    CHECK(w.extraUnit == PM_UNIT_POWER && w.extraScale == PM_POWER_W, "watts: power (W)");
    CHECK(!w.dimSpace && !w.dimTime && !w.dimCount && !w.scaleTime, "watts: no other dimension");
    CHECK(units_apply(UNITS_J, &j), "joules are given units");
    CHECK(j.extraUnit == PM_UNIT_POWER && j.extraScale == PM_POWER_W && j.dimTime == 1 &&
          j.scaleTime == PM_TIME_SEC && !j.dimSpace && !j.dimCount, "joules: power (W) x time (sec)");
    rate = j;
    rate.dimTime -= 1;
    rate.scaleTime = 0;
    CHECK(same(&rate, &w), "the rate of an energy counter is in the units of a power");
    CHECK(!units_apply("volts", &none) && same(&none, &(pmUnits)PMDA_PMUNITS(0, 0, 0, 0, 0, 0)),
          "another label is left alone");
    CHECK(!units_apply(NULL, &none), "and no label");
    CHECK(!units_apply(UNITS_J, &kept) && same(&kept, &seconds), "a row with units of its own keeps them");
    return CHECK_DONE();
}

#else    /* this machine's PCP */

#include "family.h"

#define MAX_NAMES 256

struct name { char name[128]; unsigned cluster, item; };

/* pmda/pmns: "node {" opens a node, "leaf PCPPOWER:cluster:item" names a metric */
static size_t
read_pmns(const char *path, struct name *names, size_t max)
{
    FILE *fp = fopen(path, "r");
    char line[256], node[96] = "", a[96];
    size_t n = 0;

    while (fp && fgets(line, sizeof(line), fp)) {
        if (sscanf(line, " %95s {", a) == 1 && strchr(line, '{'))
            snprintf(node, sizeof(node), "%s", a);
        else if (n < max && sscanf(line, " %95s PCPPOWER:%u:%u", a, &names[n].cluster, &names[n].item) == 3)
            snprintf(names[n].name, sizeof(names[n].name), "%s.%s", node, a), n++;
    }
    if (fp)
        fclose(fp);
    return n;
}

/* the extraunits of the metric's rule in the file, or "" (out holds 64) */
static void
rule_of(const char *text, const char *metric, char out[64])
{
    char head[160];
    const char *p;

    snprintf(head, sizeof(head), "metric %s {\n    extraunits -> ", metric);
    out[0] = '\0';
    if ((p = strstr(text, head)) != NULL)
        sscanf(p + strlen(head), "%63[^\n]", out);
}

int
main(void)
{
    static struct name names[MAX_NAMES];
    static char text[65536];
    size_t n = read_pmns("pmda/pmns", names, MAX_NAMES), len, labelled = 0;
    FILE *fp = fopen("pmlogrewrite/power.conf", "r");
    pmUnits u = PMDA_PMUNITS(0, 0, 0, 0, 0, 0);

    CHECK(!units_have_power(), "built against PCP 6 (no PMDA_EXTRAUNITS): no power unit");
    CHECK(!units_apply(UNITS_J, &u) && !u.dimTime && !u.scaleTime, "joules stay units none, the label says it");
    CHECK(units_kind_of(UNITS_J) == UNITS_KIND_ENERGY && units_kind_of(UNITS_W) == UNITS_KIND_POWER &&
          units_kind_of(NULL) == UNITS_KIND_NONE && units_kind_of("joule") == UNITS_KIND_NONE,
          "the labels name the kind exactly");
    CHECK(n > 0 && fp, "pmda/pmns and pmlogrewrite/power.conf read (run from the top of the tree)");
    len = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
    text[len] = '\0';
    if (fp)
        fclose(fp);

    for (const struct family *const *f = power_families; *f; f++)
        for (size_t m = 0; m < (*f)->nmetrics; m++) {
            const pmdaMetric *row = &(*f)->metrics[m];
            enum units_kind kind = units_kind_of(row->m_user);
            const char *want = kind == UNITS_KIND_ENERGY ? "0,1,0,0,SEC,0,POWER,W" : "0,0,0,0,0,0,POWER,W";
            const char *name = NULL;
            char got[64];

            if (kind == UNITS_KIND_NONE)
                continue;
            labelled++;
            for (size_t i = 0; i < n; i++)
                if (names[i].cluster == pmID_cluster(row->m_desc.pmid) && names[i].item == pmID_item(row->m_desc.pmid))
                    name = names[i].name;
            if (!name) {
                CHECK(false, "metric %u.%u has a name", pmID_cluster(row->m_desc.pmid), pmID_item(row->m_desc.pmid));
                continue;
            }
            rule_of(text, name, got);
            if (strcmp(got, want) != 0)
                CHECK(false, "pmlogrewrite/power.conf: %s has extraunits -> %s (got '%s')", name, want, got);
        }
    CHECK(labelled >= 40, "every metric labelled joules or watts has its rewrite rule (%zu)", labelled);
    return CHECK_DONE();
}

#endif
