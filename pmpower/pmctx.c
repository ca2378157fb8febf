#include "pmctx.h"
#include "stop.h"
#include "timeparse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

/* instance names: a small cache, since proc names are asked for again and again */
struct name_entry {
    pmInDom indom;
    int     inst;
    char   *name;
};

struct pp_inst_cache {
    struct name_entry *entries;
    size_t             count, cap;
    char               number[32];     /* the name of an instance PCP cannot name */
};

double
pp_time(const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

void
pp_timespec(double t, struct timespec *ts)
{
    double secs = floor(t);

    ts->tv_sec = (time_t)secs;
    ts->tv_nsec = (long)llround((t - secs) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

double
pp_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return pp_time(&ts);
}

void
pp_sleep_until(double t)
{
    double wait = t - pp_now();
    struct timespec ts;
    sigset_t held;

    if (wait <= 0)
        return;
    ts.tv_sec = (time_t)wait;
    ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
    /* A stop held back over the last fetch (pp_stop_hold) is already
     * requested: no sleep of a whole interval first. pselect lets the
     * signals in only while it sleeps, so one that comes between the check
     * and the sleep still ends it. EINTR: the caller checks its stop flag. */
    pp_stop_hold(&held);
    if (!pp_stop_requested())
        pselect(0, NULL, NULL, NULL, &ts, &held);
    pp_stop_release(&held);
}

void
pp_format_time(double t, char *buf, size_t size)
{
    timeparse_format(t, false, buf, size);
}

int
pp_open(struct pp_ctx *c, const char *host, const char *archive)
{
    int sts;

    memset(c, 0, sizeof(*c));
    c->handle = -1;
    if (archive) {
        pmHighResLogLabel label;
        struct timespec end;

        c->archive = true;
        snprintf(c->source, sizeof(c->source), "%s", archive);
        if ((sts = pmNewContext(PM_CONTEXT_ARCHIVE, archive)) < 0) {
            fprintf(stderr, "%s: cannot open archive \"%s\": %s: give the archive's base name "
                    "or its .meta/.0 file, or a directory of archives\n",
                    pmGetProgname(), archive, pmErrStr(sts));
            return -1;
        }
        c->handle = sts;
        if ((sts = pmGetHighResArchiveLabel(&label)) < 0 ||
            (sts = pmGetHighResArchiveEnd(&end)) < 0) {
            fprintf(stderr, "%s: cannot read the time range of archive \"%s\": %s\n",
                    pmGetProgname(), archive, pmErrStr(sts));
            pp_close(c);
            return -1;
        }
        c->start = pp_time(&label.start);
        c->end = pp_time(&end);
        snprintf(c->hostname, sizeof(c->hostname), "%s", label.hostname);
    } else {
        const char *h = host ? host : "local:";
        snprintf(c->source, sizeof(c->source), "%s", h);
        if ((sts = pmNewContext(PM_CONTEXT_HOST, h)) < 0) {
            fprintf(stderr, "%s: cannot connect to pmcd on \"%s\": %s: check the host name "
                    "and that pmcd runs there (systemctl start pmcd), or use -a ARCHIVE\n",
                    pmGetProgname(), h, pmErrStr(sts));
            return -1;
        }
        c->handle = sts;
        c->start = pp_now();
        c->end = INFINITY;
        pmGetContextHostName_r(c->handle, c->hostname, sizeof(c->hostname));
    }
    return 0;
}

void
pp_close(struct pp_ctx *c)
{
    if (c->handle >= 0)
        pmDestroyContext(c->handle);
    c->handle = -1;
    if (c->names) {
        for (size_t i = 0; i < c->names->count; i++)
            free(c->names->entries[i].name);
        free(c->names->entries);
        free(c->names);
        c->names = NULL;
    }
}

int
pp_lookup(struct pp_metric *m, size_t n)
{
    int found = 0;
    sigset_t held;

    pp_stop_hold(&held);
    for (size_t i = 0; i < n; i++) {
        char *name = (char *)m[i].name;
        m[i].ok = pmLookupName(1, (const char **)&name, &m[i].pmid) >= 0 &&
                  m[i].pmid != PM_ID_NULL &&
                  pmLookupDesc(m[i].pmid, &m[i].desc) >= 0;
        if (!m[i].ok)
            m[i].pmid = PM_ID_NULL;
        found += m[i].ok;
    }
    pp_stop_release(&held);
    return found;
}

struct child_list {
    char **names;
    int    count;
};

static void
traverse_one(const char *name, void *arg)
{
    struct child_list *list = arg;
    char **grown = realloc(list->names, (list->count + 1) * sizeof(char *));

    if (!grown)
        return;
    list->names = grown;
    if ((grown[list->count] = strdup(name)) != NULL)
        list->count++;
}

int
pp_children(const char *node, char ***names)
{
    struct child_list list = { NULL, 0 };
    sigset_t held;
    int sts;

    pp_stop_hold(&held);
    sts = pmTraversePMNS_r(node, traverse_one, &list);
    pp_stop_release(&held);
    if (sts < 0) {
        for (int i = 0; i < list.count; i++)
            free(list.names[i]);
        free(list.names);
        *names = NULL;
        return sts;
    }
    *names = list.names;
    return list.count;
}

int
pp_fetch(const struct pp_metric *m, size_t n, pmHighResResult **rp)
{
    pmID ids[n ? n : 1];
    size_t k = 0;
    sigset_t held;
    int sts;

    for (size_t i = 0; i < n; i++)
        if (m[i].ok)
            ids[k++] = m[i].pmid;
    if (k == 0)
        return PM_ERR_NAME;
    pp_stop_hold(&held);
    sts = pmFetchHighRes((int)k, ids, rp);
    pp_stop_release(&held);
    return sts;
}

pmValueSet *
pp_vset(const pmHighResResult *r, const struct pp_metric *m, size_t n, size_t i)
{
    int k = 0;

    if (i >= n || !m[i].ok)
        return NULL;
    for (size_t j = 0; j < i; j++)
        k += m[j].ok;
    if (k >= r->numpmid || r->vset[k]->pmid != m[i].pmid)
        return NULL;
    return r->vset[k];
}

int
pp_set_interp(struct pp_ctx *c, double t, double step)
{
    struct timespec when, delta;

    (void)c;
    pp_timespec(t, &when);
    pp_timespec(step, &delta);
    return pmSetModeHighRes(PM_MODE_INTERP, &when, &delta);
}

int
pp_set_forward(struct pp_ctx *c, double t)
{
    struct timespec when;

    (void)c;
    pp_timespec(t, &when);
    return pmSetModeHighRes(PM_MODE_FORW, &when, NULL);
}

int
pp_double(const pmValueSet *vs, const pmDesc *d, int j, double *out)
{
    pmAtomValue av;
    int sts;

    if (!vs || j < 0 || j >= vs->numval)
        return PM_ERR_VALUE;
    if (d->type == PM_TYPE_STRING || d->type == PM_TYPE_AGGREGATE || d->type == PM_TYPE_EVENT)
        return PM_ERR_TYPE;
    if ((sts = pmExtractValue(vs->valfmt, &vs->vlist[j], d->type, &av, PM_TYPE_DOUBLE)) < 0)
        return sts;
    *out = av.d;
    return 1;
}

int
pp_string(const pmValueSet *vs, const pmDesc *d, int j, char **out)
{
    pmAtomValue av;
    int sts;

    if (!vs || j < 0 || j >= vs->numval)
        return PM_ERR_VALUE;
    if ((sts = pmExtractValue(vs->valfmt, &vs->vlist[j], d->type, &av, PM_TYPE_STRING)) < 0)
        return sts;
    *out = av.cp;
    return 1;
}

bool
pp_get_double(const pmHighResResult *r, const struct pp_metric *m, size_t n, size_t i,
              int inst, double *out)
{
    pmValueSet *vs = pp_vset(r, m, n, i);

    if (!vs || vs->numval <= 0)
        return false;
    for (int j = 0; j < vs->numval; j++)
        if (inst == PP_IN_NULL || vs->vlist[j].inst == inst)
            return pp_double(vs, &m[i].desc, j, out) > 0;
    return false;
}

static const char *
inst_number(struct pp_inst_cache *cache, int inst)
{
    snprintf(cache->number, sizeof(cache->number), "%d", inst);
    return cache->number;
}

const char *
pp_inst_name(struct pp_ctx *c, pmInDom indom, int inst)
{
    struct pp_inst_cache *cache = c->names;
    char *name = NULL;
    int sts;

    if (!cache && (cache = c->names = calloc(1, sizeof(*cache))) == NULL)
        return "?";
    for (size_t i = cache->count; i-- > 0;)
        if (cache->entries[i].indom == indom && cache->entries[i].inst == inst)
            return cache->entries[i].name;
    if (c->archive) {
        sts = pmNameInDomArchive(indom, inst, &name);
    } else {
        sigset_t held;

        pp_stop_hold(&held);
        sts = pmNameInDom(indom, inst, &name);
        pp_stop_release(&held);
    }
    if (sts < 0 || !name)
        return inst_number(cache, inst);
    if (cache->count == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 64;
        struct name_entry *grown = realloc(cache->entries, cap * sizeof(*grown));
        if (!grown) {
            free(name);
            return inst_number(cache, inst);
        }
        cache->entries = grown;
        cache->cap = cap;
    }
    cache->entries[cache->count] = (struct name_entry){ indom, inst, name };
    return cache->entries[cache->count++].name;
}

double
pp_wait_sample(struct pp_ctx *c, double *interval, double timeout)
{
    struct pp_metric *cached = c->pace;
    pmHighResResult *r;
    double first = -1, now, iv = 1.0, deadline = pp_now() + timeout;

    if (!c->pace_looked_up) {
        cached[0] = (struct pp_metric){ .name = "power.control.samples" };
        cached[1] = (struct pp_metric){ .name = "power.control.interval" };
        pp_lookup(cached, 2);
        c->pace_looked_up = true;
    }
    if (!cached[0].ok) {
        if (interval)
            *interval = 1.0;
        return -1;
    }
    for (;;) {
        double samples;
        if (pp_fetch(cached, 2, &r) < 0)
            return -1;
        now = pp_time(&r->timestamp);
        if (pp_get_double(r, cached, 2, 1, PP_IN_NULL, &iv) && interval)
            *interval = iv;
        if (!pp_get_double(r, cached, 2, 0, PP_IN_NULL, &samples)) {
            pmFreeHighResResult(r);
            return -1;
        }
        pmFreeHighResResult(r);
        if (first < 0)
            first = samples;
        else if (samples != first)
            return now;
        if (pp_now() > deadline || pp_stop_requested())
            return now;
        /* poll at a twentieth of the interval: the boundary is known that closely */
        {
            double step = iv / 20;
            struct timespec ts;
            if (step < 0.002)
                step = 0.002;
            if (step > 0.05)
                step = 0.05;
            ts.tv_sec = 0;
            ts.tv_nsec = (long)(step * 1e9);
            nanosleep(&ts, NULL);
        }
    }
}

int
pp_parse_time(const struct pp_ctx *c, const char *text, bool is_end, double *t)
{
    char err[512];
    struct timespec lstart, lend, start, end, offset;
    char *errmsg = NULL;
    int sts;

    if (timeparse_looks_iso(text)) {
        if (timeparse_iso(text, t, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", pmGetProgname(), err);
            return -1;
        }
        return 0;
    }
    /* live: "+30s" and "-10min" are from now (PCP would take "-" from an archive's end) */
    if (!c->archive && (text[0] == '+' || text[0] == '-')) {
        struct timespec d;
        if (pmParseHighResInterval(text + 1, &d, &errmsg) >= 0) {
            *t = pp_now() + (text[0] == '-' ? -1 : 1) * pp_time(&d);
            return 0;
        }
        free(errmsg);
        errmsg = NULL;
    }
    pp_timespec(c->start, &lstart);
    if (isfinite(c->end))
        pp_timespec(c->end, &lend);
    else {
        lend.tv_sec = PM_MAX_TIME_T;
        lend.tv_nsec = 0;
    }
    sts = pmParseHighResTimeWindow(is_end ? NULL : text, is_end ? text : NULL, NULL, NULL,
                                   &lstart, &lend, &start, &end, &offset, &errmsg);
    if (sts < 0) {
        fprintf(stderr, "%s: cannot read %s time \"%s\": use PCP time syntax (-10min, +30s, "
                "\"@ Sat Nov 21 10:00:00 2026\") or ISO (2026-02-04 10:15:25.123456)\n",
                pmGetProgname(), is_end ? "end (-T)" : "start (-S)", text);
        free(errmsg);
        return -1;
    }
    free(errmsg);
    *t = pp_time(is_end ? &end : &start);
    if (!isfinite(c->end) && *t > 1e15) {
        fprintf(stderr, "%s: \"%s\" is relative to the end of an archive; a live host "
                "has none: give a time from now (+30s) or an absolute time\n", pmGetProgname(), text);
        return -1;
    }
    return 0;
}

int
pp_parse_interval(const char *text, const char *what, double *seconds)
{
    struct timespec ts;
    char *errmsg = NULL;

    if (pmParseHighResInterval(text, &ts, &errmsg) < 0) {
        fprintf(stderr, "%s: %s takes a duration (10, 1.5s, 2min), not \"%s\"\n",
                pmGetProgname(), what, text);
        free(errmsg);
        return -1;
    }
    *seconds = pp_time(&ts);
    return 0;
}
