/*
 * phasewin.c: the phases of report --phases and plot --phases as windows:
 * read from a file (phaselist.h) or from the marks the agent kept
 * (power.phase.log, written by pmpower mark) in the archive, each resolved
 * to its start and end.
 */
#include "phasewin.h"
#include "timeparse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
read_all(const char *path)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    size_t cap = 4096, n = 0, got;
    char *buf;

    if (!fp) {
        fprintf(stderr, "%s: cannot read phases file %s: %s\n", pmGetProgname(), path, strerror(errno));
        return NULL;
    }
    if ((buf = malloc(cap)) == NULL)
        return NULL;
    while ((got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
    }
    if (fp != stdin)
        fclose(fp);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* marks kept by the agent: power.phase.log instances "EPOCH start|end LABEL" */
struct mark {
    int    seq;
    double t;
    bool   start;
    char   label[256];
};

static int
cmp_mark(const void *a, const void *b)
{
    const struct mark *x = a, *y = b;

    return x->t < y->t ? -1 : x->t > y->t ? 1 : x->seq - y->seq;
}

static int
phases_from_archive(struct pp_ctx *c, struct phase_list *list)
{
    struct pp_metric log = { .name = "power.phase.log" };
    struct mark *marks = NULL;
    size_t nmarks = 0;
    pmHighResResult *r;

    memset(list, 0, sizeof(*list));
    if (pp_lookup(&log, 1) != 1) {
        fprintf(stderr, "%s: archive \"%s\" has no phase marks (power.phase.log): mark phases with "
                "pmpower mark while pmlogger logs power.phase, or give --phases FILE\n",
                pmGetProgname(), c->source);
        return 1;
    }
    pp_set_forward(c, c->start);
    while (pp_fetch(&log, 1, &r) >= 0) {
        pmValueSet *vs = r->numpmid > 0 ? r->vset[0] : NULL;
        for (int j = 0; vs && j < vs->numval; j++) {
            char *text, verb[16], label[256];
            double t;
            bool seen = false;
            for (size_t k = 0; k < nmarks && !seen; k++)
                seen = marks[k].seq == vs->vlist[j].inst;
            if (seen || pp_string(vs, &log.desc, j, &text) <= 0)
                continue;
            if (sscanf(text, "%lf %15s %255[^\n]", &t, verb, label) == 3 &&
                (strcmp(verb, "start") == 0 || strcmp(verb, "end") == 0)) {
                struct mark *grown = realloc(marks, (nmarks + 1) * sizeof(*marks));
                if (grown) {
                    marks = grown;
                    marks[nmarks].seq = vs->vlist[j].inst;
                    marks[nmarks].t = t;
                    marks[nmarks].start = verb[0] == 's';
                    snprintf(marks[nmarks].label, sizeof(marks[nmarks].label), "%s", label);
                    nmarks++;
                }
            }
            free(text);
        }
        pmFreeHighResResult(r);
    }
    qsort(marks, nmarks, sizeof(*marks), cmp_mark);
    /* pair each start with the next end of the same label */
    for (size_t i = 0; i < nmarks; i++) {
        if (!marks[i].start)
            continue;
        for (size_t k = i + 1; k < nmarks; k++) {
            if (!marks[k].start && strcmp(marks[k].label, marks[i].label) == 0) {
                struct phase *grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
                if (!grown)
                    break;
                list->items = grown;
                memset(&list->items[list->count], 0, sizeof(struct phase));
                list->items[list->count].label = strdup(marks[i].label);
                list->items[list->count].start = marks[i].t;
                list->items[list->count].end = marks[k].t;
                list->items[list->count].have_start = list->items[list->count].have_end = true;
                list->items[list->count].duration = -1;
                list->count++;
                marks[k].start = true;     /* used */
                marks[k].label[0] = '\0';
                break;
            }
        }
    }
    free(marks);
    if (list->count == 0) {
        fprintf(stderr, "%s: archive \"%s\" holds no complete phase (a start and an end mark)\n",
                pmGetProgname(), c->source);
        return 1;
    }
    return 0;
}

static int
resolve_time(struct pp_ctx *c, const struct phase *p, double *start, double *end)
{
    if (p->have_start)
        *start = p->start;
    else if (pp_parse_time(c, p->start_text, false, start) < 0)
        return -1;
    if (p->have_end)
        *end = p->end;
    else if (p->end_text) {
        if (pp_parse_time(c, p->end_text, true, end) < 0)
            return -1;
    } else
        *end = *start + p->duration;
    /* marks, durations and resolved texts too: no garbage window from 1e300 */
    if (!timeparse_in_range(*start) || !timeparse_in_range(*end)) {
        fprintf(stderr, "%s: phase \"%s\": its %s %g is not a time (" TIMEPARSE_RANGE_TEXT ")\n",
                pmGetProgname(), p->label, timeparse_in_range(*start) ? "end" : "start",
                timeparse_in_range(*start) ? *end : *start);
        return -1;
    }
    return 0;
}

int
phase_window(struct pp_ctx *c, const struct phase *p, double *start, double *end)
{
    if (resolve_time(c, p, start, end) < 0)
        return 2;
    if (!(*end > *start)) {
        fprintf(stderr, "%s: phase \"%s\" ends before it starts\n", pmGetProgname(), p->label);
        return 2;
    }
    return 0;
}

/* The phase list: from the archive's marks, or from a file (- for stdin). */
int
phases_load(struct pp_ctx *c, const char *file, struct phase_list *list)
{
    char err[512], *text;

    if (strcmp(file, "archive") == 0)
        return phases_from_archive(c, list);
    if ((text = read_all(file)) == NULL)
        return 1;
    if (phaselist_parse(text, list, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s: %s\n", pmGetProgname(), file, err);
        free(text);
        return 2;
    }
    free(text);
    return 0;
}

int
phases_windows(struct pp_ctx *c, const char *file, struct phase_list *list, double **start, double **end)
{
    int sts;

    *start = *end = NULL;
    if ((sts = phases_load(c, file, list)) != 0)
        return sts;
    *start = calloc(list->count ? list->count : 1, sizeof(**start));
    *end = calloc(list->count ? list->count : 1, sizeof(**end));
    if (!*start || !*end)
        return 1;
    for (size_t i = 0; i < list->count; i++) {
        if ((sts = phase_window(c, &list->items[i], &(*start)[i], &(*end)[i])) != 0)
            return sts;
    }
    return 0;
}
