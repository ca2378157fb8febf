#include "zones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every zone the host has, as labels, into buf: "rapl:package-0, model". */
static void
zones_there(struct pp_ctx *c, const struct pp_metric m[S_COUNT], char *buf, size_t size)
{
    struct pp_metric fm[S_COUNT];
    pmHighResResult *r;
    size_t len = 0;

    buf[0] = '\0';
    memcpy(fm, m, sizeof(fm));
    for (int s = S_FIRST_TOP; s < S_COUNT; s++)
        fm[s].ok = false;
    fm[S_SYSTEM].ok = false;
    if (pp_fetch(fm, S_COUNT, &r) < 0)
        return;
    for (int s = S_SYSTEM + 1; s < S_FIRST_TOP; s++) {
        pmValueSet *vs = pp_vset(r, fm, S_COUNT, (size_t)s);
        for (int j = 0; vs && j < vs->numval && len < size; j++) {
            char label[200];
            pp_series_label(c, fm, s, vs->vlist[j].inst, label, sizeof(label));
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", label);
        }
    }
    pmFreeHighResResult(r);
}

static int
zone_find(const struct pp_metric m[S_COUNT], const char *label, int *series, int *inst)
{
    const char *colon = strchr(label, ':');
    size_t plen = colon ? (size_t)(colon - label) : strlen(label);

    for (int s = S_SYSTEM + 1; s < S_FIRST_TOP; s++) {
        const char *prefix = pp_series_prefix(s);
        if (!m[s].ok || strlen(prefix) != plen || strncmp(prefix, label, plen) != 0)
            continue;
        if (m[s].desc.indom == PM_INDOM_NULL) {
            *series = s;
            *inst = PP_IN_NULL;
            return colon ? -1 : 0;
        }
        if (!colon)
            return -1;
        *series = s;
        *inst = pmLookupInDom(m[s].desc.indom, colon + 1);
        return *inst >= 0 ? 0 : -1;
    }
    return -1;
}

int
zones_parse(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const char *text, struct zones *z)
{
    char *copy = strdup(text), *save = NULL;
    int sts = 0;

    memset(z, 0, sizeof(*z));
    if (!copy)
        return 1;
    for (char *tok = strtok_r(copy, ",", &save); tok && sts == 0; tok = strtok_r(NULL, ",", &save)) {
        if (z->n == ZONES_MAX) {
            fprintf(stderr, "%s: --zone takes at most %d zones\n", pmGetProgname(), ZONES_MAX);
            sts = 2;
        } else if (zone_find(m, tok, &z->series[z->n], &z->inst[z->n]) < 0) {
            char there[2048];
            zones_there(c, m, there, sizeof(there));
            fprintf(stderr, "%s: --zone %s: no such zone on %s (there are: %s)\n", pmGetProgname(), tok,
                    c->source, there[0] ? there : "none");
            sts = 2;
        } else {
            size_t len = strlen(z->text);
            snprintf(z->label[z->n], sizeof(z->label[0]), "%s", tok);
            snprintf(z->text + len, sizeof(z->text) - len, "%s%s", len ? "+" : "", tok);
            z->n++;
        }
    }
    free(copy);
    if (sts == 0 && z->n == 0) {
        fprintf(stderr, "%s: --zone takes labels such as rapl:package-0,rapl:package-0/dram\n", pmGetProgname());
        sts = 2;
    }
    return sts;
}

void
zones_metrics(const struct zones *z, struct pp_metric fm[S_COUNT])
{
    for (int s = 0; s < S_COUNT; s++) {
        bool needed = s == S_SYSTEM || s == S_SAMPLE_TIME || s == S_START_TIME;
        for (size_t i = 0; i < z->n && !needed; i++)
            needed = z->series[i] == s;
        if (!needed)
            fm[s].ok = false;
    }
}

bool
zones_read(const pmHighResResult *r, const struct pp_metric fm[S_COUNT], const struct zones *z, double *e)
{
    for (size_t i = 0; i < z->n; i++)
        if (!pp_get_double(r, fm, S_COUNT, (size_t)z->series[i], z->inst[i], &e[i]))
            return false;
    return true;
}
