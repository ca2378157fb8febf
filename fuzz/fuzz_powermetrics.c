/*
 * fuzz_powermetrics: what powermetrics's stdout can hold, through the
 * agent's own stream (sources/powermetrics_stream.c, _parse.c): documents end at a NUL
 * or after </plist>, each is checked (truncation, duplicate keys, nesting)
 * and read with libplist.
 *
 * Properties: the stream cut into arbitrary reads gives the same documents,
 * problems and samples as in one read; a good sample has elapsed_ns >= 1,
 * finite non-negative energies, cpu, gpu and ane, and combined = their sum
 * (never dram or the package: macOS 12 and 13 must agree); a stream with a
 * small document limit survives the same input.
 */
#include "fuzz.h"
#include "powermetrics.h"

#include <math.h>

#define MAX_DOCS 256

struct seen {
    size_t n;
    enum pm_problem problem[MAX_DOCS];
    struct pm_sample sample[MAX_DOCS];
};

static void
on_document(void *arg, enum pm_problem problem, const struct pm_sample *s, const char *detail)
{
    struct seen *seen = arg;

    FUZZ_ASSERT(problem >= PM_OK && problem < PM_NPROBLEMS && pm_problem_name(problem),
                "problem %d", (int)problem);
    FUZZ_ASSERT(detail != NULL && strlen(detail) < 256, "detail");
    FUZZ_ASSERT((problem == PM_OK) == (s != NULL), "a sample exactly when the document is good");
    if (s) {
        FUZZ_ASSERT(s->elapsed_ns >= 1, "elapsed_ns %llu", (unsigned long long)s->elapsed_ns);
        FUZZ_ASSERT(s->has[SOC_CPU] && s->has[SOC_GPU] && s->has[SOC_ANE] && s->has[SOC_COMBINED],
                    "a good sample without cpu, gpu, ane or combined");
        for (int c = 0; c < SOC_NCOMPONENTS; c++)
            FUZZ_ASSERT(!s->has[c] || (isfinite(s->energy_mj[c]) && s->energy_mj[c] >= 0),
                        "%s energy %g", soc_component_name((unsigned)c), s->energy_mj[c]);
        FUZZ_ASSERT(!s->has_package || (isfinite(s->package_mj) && s->package_mj >= 0), "package %g",
                    s->package_mj);
        FUZZ_ASSERT(s->energy_mj[SOC_COMBINED] ==
                    s->energy_mj[SOC_CPU] + s->energy_mj[SOC_GPU] + s->energy_mj[SOC_ANE],
                    "combined %g", s->energy_mj[SOC_COMBINED]);
    }
    if (seen->n < MAX_DOCS) {
        seen->problem[seen->n] = problem;
        if (s)
            seen->sample[seen->n] = *s;
        else
            memset(&seen->sample[seen->n], 0, sizeof(seen->sample[0]));
        seen->n++;
    }
}

static bool
same_sample(const struct pm_sample *a, const struct pm_sample *b)
{
    if (a->elapsed_ns != b->elapsed_ns)
        return false;
    for (int c = 0; c < SOC_NCOMPONENTS; c++)
        if (a->has[c] != b->has[c] || (a->has[c] && a->energy_mj[c] != b->energy_mj[c]))
            return false;
    return a->has_package == b->has_package && (!a->has_package || a->package_mj == b->package_mj);
}

static void
run(const uint8_t *data, size_t size, size_t max_document, struct fuzz_cuts *cuts, struct seen *seen)
{
    struct pm_stream *s = pm_stream_new(max_document);
    size_t off = 0;

    if (!s)
        abort();
    seen->n = 0;
    while (off < size) {
        size_t chunk = cuts ? fuzz_cuts_next(cuts) : size;
        size_t len = chunk < size - off ? chunk : size - off;
        pm_stream_feed(s, (const char *)data + off, len, on_document, seen);
        off += len;
    }
    pm_stream_end(s, on_document, seen);
    pm_stream_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seen whole, pieces, small;
    struct fuzz_cuts cuts;

    run(data, size, PM_DEFAULT_MAX_DOCUMENT, NULL, &whole);
    fuzz_cuts_init(&cuts, data, size);
    run(data, size, PM_DEFAULT_MAX_DOCUMENT, &cuts, &pieces);
    FUZZ_ASSERT(whole.n == pieces.n, "%zu documents in one read, %zu in pieces", whole.n, pieces.n);
    for (size_t i = 0; i < whole.n; i++)
        FUZZ_ASSERT(whole.problem[i] == pieces.problem[i] &&
                    same_sample(&whole.sample[i], &pieces.sample[i]),
                    "document %zu: %s in one read, %s in pieces", i, pm_problem_name(whole.problem[i]),
                    pm_problem_name(pieces.problem[i]));
    /* a limit the input can exceed: oversized documents are skipped, not kept */
    fuzz_cuts_init(&cuts, data, size);
    run(data, size, 256, &cuts, &small);
    return 0;
}
