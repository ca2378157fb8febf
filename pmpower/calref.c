/*
 * calref.c: what pmpower calibrate measures against: the reference the
 * host has (a wall meter, an ACPI power meter, RAPL psys or package+dram,
 * a battery on discharge, as the agent publishes them), read in one fetch with the
 * agent's time and CPU counters.
 */
#include "calibrate.h"

#include <stdio.h>
#include <string.h>

/* One fetch: the agent's time, CPU counters and the reference's energy. */
bool
cal_read_now(struct cal *c, struct reading *out)
{
    pmHighResResult *r;
    pmValueSet *vs;
    bool ok;

    if (pp_fetch(c->m, C_COUNT, &r) < 0)
        return false;
    ok = pp_get_double(r, c->m, C_COUNT, C_SAMPLE_TIME, PP_IN_NULL, &out->t) &&
         pp_get_double(r, c->m, C_COUNT, C_BUSY, PP_IN_NULL, &out->busy) &&
         pp_get_double(r, c->m, C_COUNT, C_CPU, PP_IN_NULL, &out->cpu);
    out->energy = 0;
    for (size_t i = 0; ok && i < c->ref.ninst; i++) {
        double e;
        ok = pp_get_double(r, c->m, C_COUNT, (size_t)c->ref.metric, c->ref.inst[i], &e);
        out->energy += e;
    }
    /* a battery that stops discharging (a charger plugged in) is no reference */
    if (ok && strcmp(c->ref.name, "battery") == 0 && (vs = pp_vset(r, c->m, C_COUNT, C_DISCHARGING)))
        for (size_t i = 0; i < c->ref.ninst; i++) {
            double d;
            if (!pp_get_double(r, c->m, C_COUNT, C_DISCHARGING, c->ref.inst[i], &d) || d != 1)
                ok = false;
        }
    pmFreeHighResResult(r);
    return ok;
}

static bool
named(const char *name, const char *prefix, const char *suffix)
{
    size_t p = strlen(prefix), n = strlen(name), s = strlen(suffix);
    size_t i = p;

    if (n < p + 1 + s || strncmp(name, prefix, p) != 0 || strcmp(name + n - s, suffix) != 0)
        return false;
    for (; i < n - s; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return true;
}

static void
add_part(struct reference *ref, int inst, const char *name)
{
    size_t used = strlen(ref->parts);

    if (ref->ninst >= MAX_PARTS)
        return;
    ref->inst[ref->ninst++] = inst;
    snprintf(ref->parts + used, sizeof(ref->parts) - used, "%s%s", used ? " + " : "", name);
}

/* Can this candidate be the reference now? Fills ref when it can. */
static bool
try_reference(struct cal *c, const pmHighResResult *r, const char *name, struct reference *ref)
{
    pmValueSet *vs;

    memset(ref, 0, sizeof(*ref));
    snprintf(ref->name, sizeof(ref->name), "%s", name);
    if (strcmp(name, "meter") == 0) {
        double e;
        ref->metric = C_METER;
        if (!pp_get_double(r, c->m, C_COUNT, C_METER, PP_IN_NULL, &e))
            return false;
        add_part(ref, PP_IN_NULL, "power.meter.total.energy");
        return true;
    }
    if (strncmp(name, "rapl:", 5) == 0) {
        bool psys = strcmp(name, "rapl:psys") == 0;
        int lowest = -1;
        ref->metric = C_RAPL;
        if (!(vs = pp_vset(r, c->m, C_COUNT, C_RAPL)))
            return false;
        for (int j = 0; j < vs->numval; j++) {
            const char *iname = pp_inst_name(c->ctx, c->m[C_RAPL].desc.indom, vs->vlist[j].inst);
            if (psys) {
                /* the lowest package's platform zone, never a sum (as the agent) */
                if ((strcmp(iname, "psys") == 0 || named(iname, "psys-", "")) &&
                    (lowest < 0 || strcmp(iname, "psys") == 0))
                    lowest = vs->vlist[j].inst;
            } else if (named(iname, "package-", "") || named(iname, "package-", "/dram")) {
                add_part(ref, vs->vlist[j].inst, iname);
            }
        }
        if (psys && lowest >= 0)
            add_part(ref, lowest, pp_inst_name(c->ctx, c->m[C_RAPL].desc.indom, lowest));
        return ref->ninst > 0;
    }
    if (strcmp(name, "hwmon:power_meter") == 0) {
        /* the first ACPI power meter (hwmon driver power_meter), as the agent
         * takes it for power.system: one meter covers the platform */
        ref->metric = C_HWMON;
        if (!(vs = pp_vset(r, c->m, C_COUNT, C_HWMON)))
            return false;
        for (int j = 0; j < vs->numval && ref->ninst == 0; j++) {
            const char *iname = pp_inst_name(c->ctx, c->m[C_HWMON].desc.indom, vs->vlist[j].inst);
            if (iname && strncmp(iname, "power_meter-", 12) == 0)
                add_part(ref, vs->vlist[j].inst, iname);
        }
        return ref->ninst > 0;
    }
    if (strcmp(name, "battery") == 0) {
        ref->metric = C_BATTERY;
        if (!(vs = pp_vset(r, c->m, C_COUNT, C_BATTERY)))
            return false;
        for (int j = 0; j < vs->numval; j++) {
            double d;
            if (!pp_get_double(r, c->m, C_COUNT, C_DISCHARGING, vs->vlist[j].inst, &d) || d != 1)
                return false;
            add_part(ref, vs->vlist[j].inst, pp_inst_name(c->ctx, c->m[C_BATTERY].desc.indom, vs->vlist[j].inst));
        }
        return ref->ninst > 0;
    }
    return false;
}

int
cal_find_reference(struct cal *c)
{
    /* the agent's own ranking of whole-host figures ([system] priority) */
    static const char *const order[] = { "meter", "hwmon:power_meter", "rapl:psys", "rapl:package+dram", "battery" };
    pmHighResResult *r;
    int sts;

    if ((sts = pp_fetch(c->m, C_COUNT, &r)) < 0) {
        fprintf(stderr, "%s: fetch failed: %s\n", pmGetProgname(), pmErrStr(sts));
        return -1;
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (c->set.reference && strcmp(c->set.reference, order[i]) != 0)
            continue;
        if (try_reference(c, r, order[i], &c->ref)) {
            pmFreeHighResResult(r);
            return 0;
        }
    }
    pmFreeHighResResult(r);
    if (c->set.reference)
        fprintf(stderr, "%s: the reference %s has no value on %s now%s\n", pmGetProgname(), c->set.reference,
                c->ctx->source, strcmp(c->set.reference, "battery") == 0 ? " (is the host on its battery?)" : "");
    else
        fprintf(stderr, "%s: %s has no reference to calibrate against: no wall meter (power.meter), no ACPI power "
                "meter (power.hwmon), no RAPL "
                "(power.rapl), no battery on discharge (power.battery). Plug in a meter ([meter] in "
                "power.conf), or calibrate a sibling that has one and copy its [model] section here\n",
                pmGetProgname(), c->ctx->source);
    return -1;
}
