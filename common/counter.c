#include "counter.h"

#include <ctype.h>
#include <errno.h>

uint64_t
wrap_counter_update(struct wrap_counter *c, uint64_t raw)
{
    uint64_t delta;

    if (!c->primed) {
        c->primed = true;
        c->last_raw = raw;
        c->extended = raw;
        return 0;
    }
    if (raw >= c->last_raw)
        delta = raw - c->last_raw;
    else if (c->range > 0 && c->last_raw < c->range && raw < c->range) {
        delta = (c->range - c->last_raw) + raw;
        c->wraps++;
    } else {
        delta = 0;
        c->resets++;
    }
    c->last_raw = raw;
    c->extended += delta;
    return delta;
}

double
energy_integrator_add(struct energy_integrator *ig, double t_s, double watts)
{
    double added = 0.0;

    if (ig->primed && t_s > ig->last_s) {
        added = (t_s - ig->last_s) * (ig->last_w + watts) / 2.0;
        ig->energy_j += added;
    }
    if (!ig->primed || t_s > ig->last_s) {
        ig->last_s = t_s;
        ig->last_w = watts;
        ig->primed = true;
    }
    return added;
}

bool
parse_u64_text(const char *text, uint64_t *value)
{
    uint64_t v = 0;
    const char *p = text;

    while (*p == ' ' || *p == '\t')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p != '\0')
        return false;
    *value = v;
    return true;
}
