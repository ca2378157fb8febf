/*
 * test_powermetrics.c: the powermetrics parser over real samples (M1
 * twice, M2 Ultra) and a macOS 12-layout one, the stream cut at arbitrary
 * points, every kind of bad document, the command splitter, the reading
 * of an unknown-sampler message, and the source with a stand-in child:
 * delivery, restart after the child exits, a command that cannot start,
 * the default command and the retry without a sampler on a stand-in for
 * macOS 12's powermetrics.
 */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source_harness.h"
#include "powermetrics.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct text {
    char  *data;
    size_t len;
};

static char fixture_dir[1024];

static struct text
fixture(const char *name)
{
    struct text t = { NULL, 0 };
    char path[1200];
    FILE *f;
    long size;

    snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
    if ((f = fopen(path, "rb")) == NULL) {
        printf("not ok - fixture %s: %s\n", path, strerror(errno));
        check_failures++;
        return t;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    t.data = malloc((size_t)size + 1);
    if (t.data && fread(t.data, 1, (size_t)size, f) == (size_t)size) {
        t.len = (size_t)size;
        t.data[t.len] = '\0';
    }
    fclose(f);
    return t;
}

/* Parse from an exact-size heap copy, so ASan sees any read past the end. */
static enum pm_problem
parse(const char *text, size_t len, struct pm_sample *s, char *detail, size_t size)
{
    char *copy = malloc(len ? len : 1);
    enum pm_problem sts;

    memcpy(copy, text, len);
    sts = pm_parse_document(copy, len, s, detail, size);
    free(copy);
    return sts;
}

static enum pm_problem
parse_str(const char *text, struct pm_sample *s)
{
    char detail[256];
    enum pm_problem sts = parse(text, strlen(text), s, detail, sizeof(detail));

    if (sts != PM_OK)
        printf("# %s: %s\n", pm_problem_name(sts), detail);
    return sts;
}

/* Replace the first occurrence of from with to; a new heap string. */
static char *
edit(const struct text *t, const char *from, const char *to)
{
    const char *at = strstr(t->data, from);
    size_t n = t->len - strlen(from) + strlen(to);
    char *out = malloc(n + 1);

    if (!at) {
        snprintf(out, n + 1, "%s", t->data);
        printf("# edit: \"%s\" not found\n", from);
        return out;
    }
    snprintf(out, n + 1, "%.*s%s%s", (int)(at - t->data), t->data, to, at + strlen(from));
    return out;
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" \
    "<plist version=\"1.0\">\n<dict>\n"
#define TAIL "</dict>\n</plist>\n"

/* What the three samples say, read off the files: processor.*_energy in
 * mJ over top-level elapsed_ns, and powermetrics's own mW for a cross-check. */
static const struct expected {
    const char *file;
    uint64_t    elapsed_ns;
    double      cpu_mj, gpu_mj, ane_mj;
    double      cpu_mw, combined_mw;
} samples[] = {
    { "powermetrics-output-m1.xml",       2019178750, 89, 31, 0, 44.0773, 59.4301 },
    { "powermetrics-output-m1-2.xml",      525992374, 54, 10, 0, 102.663, 121.675 },
    /* the gpu dict says 73491: processor.gpu_energy is the one behind gpu_power */
    { "powermetrics-output-m2ultra.xml",  1023721416, 855, 72607, 0, 835.188, 71759.8 },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static void
test_fixtures(struct text *docs)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        const struct expected *e = &samples[i];
        struct pm_sample s;
        char detail[256] = "", what[160];
        enum pm_problem sts;

        if (!docs[i].data)
            continue;
        /* powermetrics itself writes gpu.idle_ns twice in every sample:
         * a repeated key the agent does not read must not cost the sample */
        int repeats = 0;
        for (const char *k = strstr(docs[i].data, "<key>gpu</key>"); k && (k = strstr(k + 1, "<key>idle_ns</key>"));)
            repeats++;
        CHECK(repeats == 2, "%s repeats gpu.idle_ns (%d times)", e->file, repeats);
        sts = parse(docs[i].data, docs[i].len, &s, detail, sizeof(detail));
        CHECK(sts == PM_OK, "%s parses (%s %s)", e->file, pm_problem_name(sts), detail);
        CHECK(s.elapsed_ns == e->elapsed_ns, "%s: elapsed_ns %llu", e->file,
              (unsigned long long)s.elapsed_ns);
        snprintf(what, sizeof(what), "%s: cpu %g mJ", e->file, e->cpu_mj);
        CHECK_NEAR(s.energy_mj[SOC_CPU], e->cpu_mj, 0, what);
        snprintf(what, sizeof(what), "%s: gpu %g mJ", e->file, e->gpu_mj);
        CHECK_NEAR(s.energy_mj[SOC_GPU], e->gpu_mj, 0, what);
        snprintf(what, sizeof(what), "%s: ane %g mJ", e->file, e->ane_mj);
        CHECK_NEAR(s.energy_mj[SOC_ANE], e->ane_mj, 0, what);
        snprintf(what, sizeof(what), "%s: combined = cpu + gpu + ane", e->file);
        CHECK_NEAR(s.energy_mj[SOC_COMBINED], e->cpu_mj + e->gpu_mj + e->ane_mj, 0, what);
        CHECK(s.has[SOC_CPU] && s.has[SOC_GPU] && s.has[SOC_ANE] && s.has[SOC_COMBINED] &&
              !s.has[SOC_DRAM], "%s: cpu, gpu, ane, combined present; no dram on current macOS", e->file);
        /* powermetrics rounds its mW to 6 digits: energies over elapsed must agree */
        snprintf(what, sizeof(what), "%s: cpu_energy / elapsed is cpu_power %g mW", e->file, e->cpu_mw);
        CHECK_NEAR(s.energy_mj[SOC_CPU] / ((double)s.elapsed_ns / 1e9), e->cpu_mw, 1e-5, what);
        snprintf(what, sizeof(what), "%s: combined / elapsed is combined_power %g mW", e->file,
                 e->combined_mw);
        CHECK_NEAR(s.energy_mj[SOC_COMBINED] / ((double)s.elapsed_ns / 1e9), e->combined_mw, 1e-5, what);
    }
}

/*
 * The macOS 12 layout: the M1 sample above with processor.combined_power
 * replaced by dram_energy (24) and package_energy (131), as macOS 12
 * writes them (tests/fixtures/README.md says where from). combined must be
 * cpu + gpu + ane there too, so that the same SoC doing the same work
 * gives power.system the same number before and after an OS upgrade: not
 * + dram (144), not the package (131).
 */
static void
test_macos12(const struct text *m1)
{
    struct text doc = fixture("powermetrics-output-m1-macos12.xml");
    struct pm_sample s12, s13;
    char detail[256] = "";
    enum pm_problem sts;

    if (!doc.data || !m1->data) {
        free(doc.data);
        return;
    }
    CHECK(!strstr(doc.data, "combined_power") && strstr(doc.data, "<key>dram_energy</key>") &&
          strstr(doc.data, "<key>package_energy</key>"),
          "the macOS 12 sample has dram_energy and package_energy, no combined_power");
    sts = parse(doc.data, doc.len, &s12, detail, sizeof(detail));
    CHECK(sts == PM_OK, "the macOS 12 sample parses (%s %s)", pm_problem_name(sts), detail);
    CHECK(s12.has[SOC_DRAM] && s12.energy_mj[SOC_DRAM] == 24, "macOS 12: dram is its own instance (%g mJ)",
          s12.energy_mj[SOC_DRAM]);
    CHECK(s12.has_package && s12.package_mj == 131, "macOS 12: package_energy read (%g mJ)", s12.package_mj);
    CHECK_NEAR(s12.energy_mj[SOC_COMBINED], 89 + 31 + 0, 0, "macOS 12: combined = cpu + gpu + ane = 120 mJ");
    sts = parse(m1->data, m1->len, &s13, detail, sizeof(detail));
    CHECK(sts == PM_OK && s13.energy_mj[SOC_COMBINED] == s12.energy_mj[SOC_COMBINED] && !s13.has[SOC_DRAM],
          "combined is the same on the macOS 12 and 13 layouts of one sample (%g and %g mJ)",
          s12.energy_mj[SOC_COMBINED], s13.energy_mj[SOC_COMBINED]);
    free(doc.data);
}

/* ---- the stream ---- */

#define MAX_RESULTS 64

struct results {
    size_t          n;
    enum pm_problem problem[MAX_RESULTS];
    struct pm_sample sample[MAX_RESULTS];
};

static void
collect(void *arg, enum pm_problem problem, const struct pm_sample *sample, const char *detail)
{
    struct results *r = arg;

    if (problem != PM_OK)
        printf("# stream: %s: %s\n", pm_problem_name(problem), detail);
    if (r->n == MAX_RESULTS)
        return;
    r->problem[r->n] = problem;
    if (sample)
        r->sample[r->n] = *sample;
    r->n++;
}

/* Feed in chunks of 1..maxchunk bytes (from a fixed seed), each chunk an
 * exact-size heap copy. */
static void
feed_chunked(struct pm_stream *s, const char *data, size_t len, size_t maxchunk, unsigned seed,
             struct results *r)
{
    size_t off = 0;

    srand(seed);
    while (off < len) {
        size_t n = 1 + (size_t)rand() % maxchunk;
        char *chunk;
        if (n > len - off)
            n = len - off;
        chunk = malloc(n);
        memcpy(chunk, data + off, n);
        pm_stream_feed(s, chunk, n, collect, r);
        free(chunk);
        off += n;
    }
}

static bool
matches_fixtures(const struct results *r, size_t first)
{
    for (size_t i = 0; i < NSAMPLES; i++) {
        const struct pm_sample *s = &r->sample[first + i];
        if (first + i >= r->n || r->problem[first + i] != PM_OK ||
            s->elapsed_ns != samples[i].elapsed_ns || s->energy_mj[SOC_CPU] != samples[i].cpu_mj ||
            s->energy_mj[SOC_GPU] != samples[i].gpu_mj)
            return false;
    }
    return true;
}

/* The three documents in a row; 'N' in before/after stands for a NUL byte. */
static char *
join(struct text *docs, char before, char after, size_t *len)
{
    size_t total = 0;
    char *out, *o;

    for (size_t i = 0; i < NSAMPLES; i++)
        total += docs[i].len + 2;
    o = out = malloc(total);
    for (size_t i = 0; i < NSAMPLES; i++) {
        if (before)
            *o++ = before == 'N' ? '\0' : before;
        memcpy(o, docs[i].data, docs[i].len);
        o += docs[i].len;
        if (after)
            *o++ = after == 'N' ? '\0' : after;
    }
    *len = (size_t)(o - out);
    return out;
}

static void
test_stream(struct text *docs)
{
    static const struct { char before, after; const char *what; } layouts[] = {
        { 0, 'N', "a NUL after each document" },
        { 'N', 0, "a NUL before each document" },
        { 0, 0, "no NUL at all" },
    };
    static const size_t chunks[] = { 1, 7, 100, 4096, 1 << 20 };

    for (size_t i = 0; i < NSAMPLES; i++)
        if (!docs[i].data)
            return;
    for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
        size_t len;
        char *all = join(docs, layouts[l].before, layouts[l].after, &len);
        bool every = true;

        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            for (unsigned seed = 1; seed <= (chunks[c] == 1 ? 1u : 5u); seed++) {
                struct pm_stream *s = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
                struct results r = { 0 };
                feed_chunked(s, all, len, chunks[c], seed, &r);
                pm_stream_end(s, collect, &r);
                if (r.n != NSAMPLES || !matches_fixtures(&r, 0)) {
                    every = false;
                    printf("# %s, chunks up to %zu, seed %u: %zu results\n", layouts[l].what,
                           chunks[c], seed, r.n);
                }
                pm_stream_free(s);
            }
        }
        CHECK(every, "three documents with %s, cut at arbitrary points, give the three samples",
              layouts[l].what);
        free(all);
    }
}

static void
test_stream_problems(struct text *docs)
{
    struct pm_stream *s;
    struct results r;
    char *dup;

    if (!docs[0].data || !docs[1].data)
        return;

    /* a document cut short, then a good one */
    s = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
    memset(&r, 0, sizeof(r));
    pm_stream_feed(s, docs[0].data, docs[0].len / 2, collect, &r);
    pm_stream_feed(s, "\0", 1, collect, &r);
    pm_stream_feed(s, docs[1].data, docs[1].len, collect, &r);
    pm_stream_feed(s, "\0", 1, collect, &r);
    CHECK(r.n == 2 && r.problem[0] == PM_TRUNCATED && r.problem[1] == PM_OK &&
          r.sample[1].energy_mj[SOC_CPU] == 54,
          "a truncated document is reported and the next one still parses (%zu results)", r.n);
    /* the child dies inside a document */
    pm_stream_feed(s, docs[0].data, docs[0].len / 3, collect, &r);
    pm_stream_end(s, collect, &r);
    CHECK(r.n == 3 && r.problem[2] == PM_TRUNCATED, "output ending inside a document is truncated");
    pm_stream_end(s, collect, &r);
    CHECK(r.n == 3, "ending twice reports nothing more");
    /* blank space and stray NULs between documents are not documents */
    pm_stream_feed(s, "\n\0\0  \n\0", 7, collect, &r);
    pm_stream_end(s, collect, &r);
    CHECK(r.n == 3, "blanks and NULs alone are not documents");
    pm_stream_free(s);

    /* a document bigger than the stream will hold, then a good one */
    s = pm_stream_new(8192);
    memset(&r, 0, sizeof(r));
    feed_chunked(s, docs[0].data, docs[0].len, 3000, 7, &r);
    pm_stream_feed(s, "\0", 1, collect, &r);
    dup = malloc(1024);
    snprintf(dup, 1024, HEAD "<key>elapsed_ns</key><integer>1000000000</integer>\n"
             "<key>processor</key><dict><key>cpu_energy</key><integer>5</integer>"
             "<key>gpu_energy</key><integer>0</integer><key>ane_energy</key><integer>0</integer></dict>\n" TAIL);
    pm_stream_feed(s, dup, strlen(dup), collect, &r);
    free(dup);
    CHECK(r.n == 2 && r.problem[0] == PM_MALFORMED && r.problem[1] == PM_OK &&
          r.sample[1].energy_mj[SOC_CPU] == 5,
          "an oversized document is skipped as malformed and the stream recovers (%zu results)", r.n);
    pm_stream_free(s);

    /* a duplicate key inside the stream */
    s = pm_stream_new(PM_DEFAULT_MAX_DOCUMENT);
    memset(&r, 0, sizeof(r));
    dup = edit(&docs[0], "<key>cpu_power</key>", "<key>cpu_energy</key><integer>5</integer><key>cpu_power</key>");
    pm_stream_feed(s, dup, strlen(dup), collect, &r);
    pm_stream_feed(s, docs[1].data, docs[1].len, collect, &r);
    CHECK(r.n == 2 && r.problem[0] == PM_DUPLICATE_KEY && r.problem[1] == PM_OK,
          "a document with a duplicate key is dropped, the next one kept");
    free(dup);
    pm_stream_free(s);
}

static void
test_bad_documents(struct text *docs)
{
    struct pm_sample s;
    char *doc;

    if (docs[0].data) {
        doc = edit(&docs[0], "<key>cpu_power</key>", "<key>cpu_energy</key><integer>5</integer><key>cpu_power</key>");
        CHECK(parse_str(doc, &s) == PM_DUPLICATE_KEY, "processor.cpu_energy twice: duplicate key");
        free(doc);
        doc = edit(&docs[0], "<key>is_delta</key>", "<key>elapsed_ns</key><integer>1</integer><key>is_delta</key>");
        CHECK(parse_str(doc, &s) == PM_DUPLICATE_KEY, "elapsed_ns twice at the top: duplicate key");
        free(doc);
        doc = edit(&docs[0], "<key>gpu_energy</key><integer>31</integer>",
                   "<key>gpu_energy</key><integer>31</integer><key>gpu_energy</key><integer>32</integer>");
        CHECK(parse_str(doc, &s) == PM_DUPLICATE_KEY, "gpu.gpu_energy twice: duplicate key");
        free(doc);
        doc = edit(&docs[0], "<key>used_ns</key>", "<key>freq</key><integer>1</integer><key>used_ns</key>");
        CHECK(parse_str(doc, &s) == PM_OK && s.energy_mj[SOC_CPU] == 89,
              "a repeat of a key the agent does not read is tolerated");
        free(doc);
        doc = edit(&docs[0], "<key>is_delta</key>", "<!-- <key>elapsed_ns</key> --><key>is_delta</key>");
        CHECK(parse_str(doc, &s) == PM_OK, "a key inside a comment is no duplicate");
        free(doc);
        doc = edit(&docs[0], "<key>elapsed_ns</key>", "<key>elapsed_ms</key>");
        CHECK(parse_str(doc, &s) == PM_MISSING_FIELD, "no elapsed_ns: missing field");
        free(doc);
        doc = edit(&docs[0], "<key>processor</key>", "<key>processors</key>");
        CHECK(parse_str(doc, &s) == PM_MISSING_FIELD, "no processor dict: missing field");
        free(doc);
        doc = edit(&docs[0], "<integer>89</integer>", "<integer>-89</integer>");
        CHECK(parse_str(doc, &s) == PM_MALFORMED, "a negative energy is malformed");
        free(doc);
        doc = edit(&docs[0], "<integer>89</integer>", "<string>89</string>");
        CHECK(parse_str(doc, &s) == PM_MALFORMED, "an energy that is a string is malformed");
        free(doc);
        doc = edit(&docs[0], "<key>elapsed_ns</key><integer>2019178750</integer>",
                   "<key>elapsed_ns</key><integer>0</integer>");
        CHECK(parse_str(doc, &s) == PM_MALFORMED, "elapsed_ns 0 is malformed");
        free(doc);
        doc = edit(&docs[0], "<key>hw_model</key>", "<hw_model>");
        CHECK(parse_str(doc, &s) == PM_MALFORMED, "XML libplist cannot read is malformed");
        free(doc);
        CHECK(parse(docs[0].data, docs[0].len - 20, &s, NULL, 0) == PM_TRUNCATED,
              "a document cut before </plist> is truncated");
    }
    CHECK(parse_str("", &s) == PM_TRUNCATED, "an empty document is truncated");
    CHECK(parse_str(HEAD "<key>elapsed_ns</key><integer>1000</integer>\n"
                    "<key>processor</key><dict><key>cpu_power</key><real>1</real></dict>\n" TAIL, &s)
          == PM_MISSING_FIELD, "a processor dict without energies: missing field");
    CHECK(parse_str("<?xml version=\"1.0\"?><plist><array><integer>1</integer></array></plist>", &s)
          == PM_MALFORMED, "a document that is not a dict is malformed");
    CHECK(parse_str(HEAD "<key>a</key><integer>1</integer><key>a</key></dict><dict></plist>", &s)
          != PM_OK, "unbalanced dicts are refused");
}

/* HEAD, a valid sample, then n times open inside "deep", n times close, TAIL */
static char *
nested(size_t n, const char *open, const char *close)
{
    static const char *const start = HEAD "<key>elapsed_ns</key><integer>1000</integer>\n"
        "<key>processor</key><dict><key>cpu_energy</key><integer>5</integer><key>gpu_energy</key>"
        "<integer>1</integer><key>ane_energy</key><integer>0</integer></dict>\n<key>deep</key>";
    size_t len = strlen(start) + n * (strlen(open) + strlen(close)) + strlen(TAIL) + 1;
    char *doc = malloc(len), *p = doc;

    p += sprintf(p, "%s", start);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", open);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", close);
    sprintf(p, "%s", TAIL);
    return doc;
}

/* libplist 2.2 frees a tree recursively, also after a failed parse: deep
 * nesting of any container overflows the stack (found by fuzz/fuzz_powermetrics.c,
 * the input that counts in fuzz/corpus/powermetrics/deep-arrays.xml). */
static void
test_nesting(void)
{
    struct pm_sample s;
    char detail[256], *doc;

    doc = nested(255, "<array>", "</array>");
    CHECK(parse_str(doc, &s) == PM_OK, "255 arrays in the top dict: 256 levels are read");
    free(doc);
    doc = nested(256, "<array>", "</array>");
    CHECK(parse(doc, strlen(doc), &s, detail, sizeof(detail)) == PM_MALFORMED &&
          strstr(detail, "nested deeper than 256"), "257 levels are refused: %s", detail);
    free(doc);
    /* libplist skips a quoted "?>" in a processing instruction, starts a
     * comment's end after "<!--", and reads CDATA and quoted attributes as
     * text: a close hidden there is not a close */
    static const struct {
        size_t n;
        const char *open, *close, *what;
    } refused[] = {
        { 250000, "<array>", "</array>", "250,000 nested arrays (3.75 MB), before libplist overflows the stack" },
        { 250000, "<array>", "", "250,000 arrays never closed (libplist frees what it built)" },
        { 300, "<dict><key>k</key>", "</dict>", "300 nested dicts" },
        { 300, "<array><?x \"?></array>\" ?>", "</array>", "closes hidden in a processing instruction" },
        { 300, "<array><!--></array>-->", "</array>", "closes hidden in a comment" },
        { 300, "<array x=\"></array>\">", "</array>", "closes hidden in a quoted attribute" },
        { 300, "<array><string><![CDATA[</string></array>]]></string>", "</array>", "closes hidden in CDATA" },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        doc = nested(refused[i].n, refused[i].open, refused[i].close);
        CHECK(parse(doc, strlen(doc), &s, detail, sizeof(detail)) == PM_MALFORMED &&
              strstr(detail, "nested deeper than 256"), "refused: %s", refused[i].what);
        free(doc);
    }
    {
        char *many = malloc(100000 * 8 + 9), *p = many;
        for (int i = 0; i < 100000; i++)
            p += sprintf(p, "<array/>");
        sprintf(p, "</array>");
        doc = nested(1, "<array>", many);
        CHECK(parse_str(doc, &s) == PM_OK, "100,000 empty arrays side by side are no nesting");
        free(doc);
        free(many);
    }
}

static void
test_other_layouts(void)
{
    struct pm_sample s;

    /* macOS 12: dram and package beside the parts; neither joins combined */
    CHECK(parse_str(HEAD "<key>elapsed_ns</key><integer>1000000000</integer>\n"
                    "<key>processor</key><dict>\n"
                    "<key>cpu_energy</key><integer>100</integer><key>gpu_energy</key><integer>20</integer>\n"
                    "<key>ane_energy</key><integer>3</integer><key>dram_energy</key><integer>40</integer>\n"
                    "<key>package_energy</key><integer>130</integer></dict>\n" TAIL, &s) == PM_OK &&
          s.has[SOC_DRAM] && s.energy_mj[SOC_DRAM] == 40 && s.energy_mj[SOC_COMBINED] == 123,
          "dram is an instance and stays out of combined, and so does package (%g)",
          s.energy_mj[SOC_COMBINED]);
    CHECK(parse_str(HEAD "<key>elapsed_ns</key><integer>1000000000</integer>\n"
                    "<key>processor</key><dict>\n"
                    "<key>dram_energy</key><integer>40</integer>\n"
                    "<key>package_energy</key><integer>123</integer></dict>\n" TAIL, &s)
          == PM_MISSING_FIELD, "package alone does not stand in for combined: missing field");
    CHECK(parse_str(HEAD "<key>elapsed_ns</key><integer>1000000000</integer>\n"
                    "<key>processor</key><dict>\n"
                    "<key>cpu_energy</key><integer>100</integer><key>gpu_energy</key><integer>20</integer>"
                    "</dict>\n" TAIL, &s)
          == PM_MISSING_FIELD, "no ane_energy: combined would mean less, so missing field");
    CHECK(parse_str(HEAD "<key>elapsed_ns</key><real>5e8</real>\n"
                    "<key>processor</key><dict><key>cpu_energy</key><real>1.5</real>"
                    "<key>ane_energy</key><integer>2</integer></dict>\n"
                    "<key>gpu</key><dict><key>gpu_energy</key><integer>7</integer></dict>\n" TAIL, &s)
          == PM_OK && s.elapsed_ns == 500000000 && s.energy_mj[SOC_CPU] == 1.5 &&
          s.has[SOC_GPU] && s.energy_mj[SOC_GPU] == 7 && s.energy_mj[SOC_COMBINED] == 10.5,
          "reals are accepted, and gpu.gpu_energy stands in when processor has none");
    CHECK(soc_component_name(SOC_COMBINED) && strcmp(soc_component_name(SOC_COMBINED), "combined") == 0 &&
          soc_component_name(SOC_NCOMPONENTS) == NULL, "component names");
}

static void
test_split_command(void)
{
    size_t argc = 0;
    char **argv = pm_split_command("  /usr/bin/powermetrics  --samplers 'cpu_power, gpu_power' -f\tplist ", 2, &argc);

    CHECK(argv && argc == 5 && strcmp(argv[0], "/usr/bin/powermetrics") == 0 &&
          strcmp(argv[2], "cpu_power, gpu_power") == 0 && strcmp(argv[4], "plist") == 0 &&
          argv[5] == NULL && argv[6] == NULL && argv[7] == NULL,
          "a command splits on blanks, quotes keep words whole, room is left for -i MS");
    pm_argv_free(argv);
    argv = pm_split_command("sh -c \"echo 'a b'\"x", 0, &argc);
    CHECK(argv && argc == 3 && strcmp(argv[2], "echo 'a b'x") == 0, "quotes join with what follows");
    pm_argv_free(argv);
    CHECK(pm_split_command("   ", 2, &argc) == NULL, "a blank command is refused");
    CHECK(pm_split_command("sh -c 'unclosed", 2, &argc) == NULL, "an unclosed quote is refused");
}

/* drop(command, stderr): the command after pm_drop_unknown_sampler, or
 * "no" when it declines */
static char *
drop(const char *command, const char *said, char *name, size_t name_size)
{
    size_t argc = 0, len = 0;
    char **argv = pm_split_command(command, 0, &argc);
    char *out = malloc(512);

    snprintf(out, 512, "no");
    name[0] = '\0';
    if (argv && pm_drop_unknown_sampler(argv, said, name, name_size))
        for (char **a = argv; *a; a++)
            len += (size_t)snprintf(out + len, 512 - len, "%s%s", a == argv ? "" : " ", *a);
    pm_argv_free(argv);
    return out;
}

static void
test_unknown_sampler(void)
{
    /* the words powermetrics uses (tlkh/asitop issue #53) */
    static const char said[] = "powermetrics: unrecognized sampler: ane_power\n";
    static const struct {
        const char *command, *said, *want, *name, *what;
    } cases[] = {
        { "powermetrics --samplers cpu_power,gpu_power,ane_power -f plist -i 1000", said,
          "powermetrics --samplers cpu_power,gpu_power -f plist -i 1000", "ane_power",
          "ane_power is taken off the end of the list" },
        { "powermetrics -s ane_power,cpu_power -f plist", said, "powermetrics -s cpu_power -f plist",
          "ane_power", "-s, and the first of the list" },
        { "powermetrics --samplers=cpu_power,ane_power,gpu_power", said,
          "powermetrics --samplers=cpu_power,gpu_power", "ane_power", "--samplers=, the middle" },
        { "powermetrics --samplers cpu_power,gpu_power,ane_power", "something first\nUnknown sampler 'ane_power'\n",
          "powermetrics --samplers cpu_power,gpu_power", "ane_power", "other words, on a later line" },
        { "powermetrics --samplers cpu_power,gpu_power,smc", "powermetrics: unrecognized sampler: smc",
          "powermetrics --samplers cpu_power,gpu_power", "smc", "any sampler of the list, as smc on arm64" },
        { "powermetrics --samplers cpu_power,gpu_power", said, "no", "",
          "a sampler not in the list is not ours to drop" },
        { "powermetrics --samplers ane_power", said, "no", "", "nor is the last one of the list" },
        { "powermetrics --samplers cpu_power,gpu_power,ane_power", "powermetrics: must be run as root", "no", "",
          "another complaint is not an unknown sampler" },
        { "powermetrics --samplers cpu_power,ane_power_x", "unrecognized sampler: ane_power", "no", "",
          "a longer name that contains it is another sampler" },
        { "replay.sh -f plist", said, "no", "", "a command without --samplers" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[64], what[256];
        char *got = drop(cases[i].command, cases[i].said, name, sizeof(name));
        snprintf(what, sizeof(what), "unknown sampler: %s", cases[i].what);
        CHECK(strcmp(got, cases[i].want) == 0 && strcmp(name, cases[i].name) == 0,
              "%s (\"%s\" -> \"%s\", dropped \"%s\")", what, cases[i].command, got, name);
        free(got);
    }
}

/* ---- the source with a stand-in child ---- */

static void
sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* the source over a stand-in child (source_harness.h), sampled every 50 ms of its own clock */
struct run {
    struct harness h;
    double         t;
};

/* command NULL: the default command */
static bool
run_open(struct run *r, const char *command)
{
    char text[4096];

    snprintf(text, sizeof(text), "[powermetrics]\nenabled = yes\ninterval = 0.2\n%s%s\n",
             command ? "command = " : "", command ? command : "");
    harness_open(&r->h, &powermetrics_source, "", text);
    r->t = 0;
    return r->h.state != NULL;
}

static void
run_sample(struct run *r)
{
    r->t += 0.05;
    harness_sample(&r->h, r->t);
}

/* Sample every 50 ms until cond holds or limit seconds pass. */
#define RUN_UNTIL(r, limit, cond) do {                          \
    for (int i_ = 0; i_ < (int)((limit) / 0.05) && !(cond); i_++) { \
        sleep_s(0.05);                                          \
        run_sample(r);                                          \
    }                                                           \
} while (0)

static void
run_close(struct run *r)
{
    harness_close(&r->h);
}

static double
reading(struct run *r, unsigned c, bool *valid)
{
    struct soc_reading s;

    powermetrics_reading(r->h.state, c, &s);
    if (valid)
        *valid = s.valid;
    return s.energy_j;
}

/* The lines of a small file, joined by '|'. */
static void
read_lines(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t len = 0;
    char line[512];

    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f) && len < size) {
        line[strcspn(line, "\n")] = '\0';
        len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "|" : "", line);
    }
    if (f)
        fclose(f);
}

/*
 * A stand-in for powermetrics on macOS 12 (and Intel Macs), which has no
 * ane_power sampler: it writes the words the real one uses to stderr and
 * exits at once (the exit status is not known; the agent does not look at
 * it). Without ane_power it writes the macOS 12-layout sample and stays.
 * It is named powermetrics and found through PATH, as the default command
 * finds the real one.
 */
static void
test_macos12_child(void)
{
    char dir[] = "/tmp/pm-macos12.XXXXXX", path[PATH_MAX], runs[PATH_MAX + 8], got[1024];
    char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL, *new_path;
    struct soc_reading s;
    const char *why;
    struct run r;
    FILE *f;

    if (!mkdtemp(dir))
        return;
    snprintf(path, sizeof(path), "%s/powermetrics", dir);
    snprintf(runs, sizeof(runs), "%s/runs", dir);
    if ((f = fopen(path, "w")) == NULL)
        return;
    fprintf(f, "#!/bin/sh\n"
               "echo \"$*\" >> %s\n"
               "case \"$*\" in *ane_power*) echo 'powermetrics: unrecognized sampler: ane_power' >&2; exit 1;; esac\n"
               "cat %s/powermetrics-output-m1-macos12.xml; printf '\\0'\n"
               "exec sleep 60\n", runs, fixture_dir);
    fclose(f);
    chmod(path, 0755);
    new_path = malloc(strlen(dir) + (old_path ? strlen(old_path) : 0) + 2);
    sprintf(new_path, "%s:%s", dir, old_path ? old_path : "/usr/bin:/bin");
    setenv("PATH", new_path, 1);

    /* the default command */
    if (run_open(&r, NULL)) {
        fake_log_clear();
        RUN_UNTIL(&r, 5.0, (powermetrics_reading(r.h.state, SOC_COMBINED, &s), s.valid));
        read_lines(runs, got, sizeof(got));
        CHECK(s.valid && source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_ACTIVE,
              "the default command delivers on macOS 12's powermetrics (runs: %s)", got);
        CHECK_STR(got, "--samplers cpu_power,gpu_power -f plist -i 200",
                  "the default asks for cpu_power and gpu_power, not ane_power");
        CHECK_NEAR(s.energy_j, 0.120, 1e-12, "combined on macOS 12 is cpu + gpu + ane: 0.120 J");
        powermetrics_reading(r.h.state, SOC_DRAM, &s);
        CHECK(s.valid && fabs(s.energy_j - 0.024) < 1e-12, "dram has its value on macOS 12 (%g J)", s.energy_j);
        CHECK(source_errors_of(&powermetrics_source, r.h.state) == 0 && fake_problem_lines() == 0,
              "and nothing went wrong (%llu errors, %d log lines)",
              (unsigned long long)source_errors_of(&powermetrics_source, r.h.state), fake_problem_lines());
        run_close(&r);
    }

    /* a command with ane_power, as the default was before and installed
     * power.conf files still say */
    unlink(runs);
    if (run_open(&r, "powermetrics --samplers cpu_power,gpu_power,ane_power -f plist")) {
        fake_log_clear();
        RUN_UNTIL(&r, 10.0, (powermetrics_reading(r.h.state, SOC_COMBINED, &s), s.valid));
        read_lines(runs, got, sizeof(got));
        CHECK(s.valid, "a command with ane_power delivers on macOS 12 too (runs: %s)", got);
        CHECK_STR(got, "--samplers cpu_power,gpu_power,ane_power -f plist -i 200|"
                       "--samplers cpu_power,gpu_power -f plist -i 200",
                  "it is run once with ane_power and once more without it");
        CHECK(source_errors_of(&powermetrics_source, r.h.state) == 1, "the retry is counted once (%llu)",
              (unsigned long long)source_errors_of(&powermetrics_source, r.h.state));
        CHECK(fake_problem_lines() == 1 && fake_log_count("unknown sampler") == 1 &&
              fake_log_count("unrecognized sampler: ane_power") == 1 &&
              fake_log_count("--samplers cpu_power,gpu_power -f plist -i 200") == 1,
              "and logged once, with powermetrics's words and the command now run: %s", fake_log);
        CHECK(source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_ACTIVE, "the source is active");
        run_close(&r);
    }
    setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
    unlink(runs);
    unlink(path);
    rmdir(dir);
    free(new_path);
    free(old_path);
}

static void
test_source(void)
{
    struct run r;
    char cmd[2048];
    const char *why;
    bool valid = false;
    double e;

    if (!run_open(&r, "/bin/true")) {
        printf("not ok - open\n");
        return;
    }
    run_close(&r);

    /* one sample, then the child stays (with a grandchild holding stdout) */
    snprintf(cmd, sizeof(cmd), "sh -c 'cat %s/powermetrics-output-m1.xml; printf \"\\\\0\"; sleep 60'",
             fixture_dir);
    if (!run_open(&r, cmd))
        return;
    CHECK(source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_ABSENT, "before a sample: absent (%s)", why);
    RUN_UNTIL(&r, 5.0, (reading(&r, SOC_COMBINED, &valid), valid));
    CHECK(valid, "the child's document arrives");
    CHECK_NEAR(reading(&r, SOC_CPU, NULL), 0.089, 1e-12, "cpu energy 89 mJ = 0.089 J");
    CHECK_NEAR(reading(&r, SOC_COMBINED, NULL), 0.120, 1e-12, "combined energy 0.120 J");
    reading(&r, SOC_DRAM, &valid);
    CHECK(!valid, "no dram on this Mac");
    struct soc_reading s;
    powermetrics_reading(r.h.state, SOC_COMBINED, &s);
    CHECK_NEAR(s.power_w, 0.120 / 2.01917875, 1e-12, "combined power is energy over elapsed_ns");
    CHECK(source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_ACTIVE, "active while delivering");
    CHECK(source_energy(&powermetrics_source, r.h.state, "powermetrics", &e) && e == 0.120,
          "offers the powermetrics candidate: combined energy");
    /* no more documents: after 3 intervals + 2 s the readings are stale */
    for (int i = 0; i < 60; i++)
        run_sample(&r);     /* 3 s of agent time */
    reading(&r, SOC_COMBINED, &valid);
    CHECK(!valid && !source_energy(&powermetrics_source, r.h.state, "powermetrics", &e),
          "a silent child makes the readings stale");
    CHECK(source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_FAILED && strstr(why, "no sample"),
          "and the source says so (%s)", why);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_close(&r);     /* must stop the child and its sleeping grandchild promptly */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(took < 1.0, "close stops a child that does not exit by itself, at once (%.3f s)", took);

    /* a child that exits after one document is started again */
    snprintf(cmd, sizeof(cmd), "sh -c 'cat %s/powermetrics-output-m1.xml; printf \"\\\\0\"'", fixture_dir);
    if (!run_open(&r, cmd))
        return;
    fake_log_clear();
    RUN_UNTIL(&r, 8.0, reading(&r, SOC_COMBINED, NULL) > 0.3);
    e = reading(&r, SOC_COMBINED, &valid);
    CHECK(e > 0.3 && valid, "the child is restarted and each run adds its 0.120 J (%g)", e);
    CHECK(fabs(e / 0.120 - (double)(long)(e / 0.120 + 0.5)) < 1e-9,
          "the energy is a whole number of documents (%g)", e);
    CHECK(source_errors_of(&powermetrics_source, r.h.state) >= 2, "each exit is counted (%llu)",
          (unsigned long long)source_errors_of(&powermetrics_source, r.h.state));
    CHECK(fake_problem_lines() == 1, "and logged once (%d lines)", fake_problem_lines());
    run_close(&r);

    /* a command that does not exist */
    if (!run_open(&r, "/nonexistent/powermetrics --samplers cpu_power"))
        return;
    fake_log_clear();
    RUN_UNTIL(&r, 3.0, source_errors_of(&powermetrics_source, r.h.state) > 0);
    CHECK(source_state_of(&powermetrics_source, r.h.state, &why) == SOURCE_FAILED && strstr(why, "nonexistent"),
          "a missing command fails and says which (%s)", why);
    CHECK(fake_problem_lines() == 1, "logged once (%d)", fake_problem_lines());
    run_close(&r);

    test_macos12_child();

    /* off by default on Linux */
    {
        struct power_config *cfg = config_parse("", "empty.conf", fake_record);
        struct source_env env = { "", cfg, fake_record };
        void *st = powermetrics_source.open(&env);
#ifdef __APPLE__
        CHECK(source_state_of(&powermetrics_source, st, &why) != SOURCE_DISABLED, "on by default on macOS");
#else
        CHECK(source_state_of(&powermetrics_source, st, &why) == SOURCE_DISABLED && strstr(why, "enabled"),
              "off by default on Linux (%s)", why);
#endif
        powermetrics_source.close(st);
        config_free(cfg);
    }
}

int
main(void)
{
    struct text docs[NSAMPLES];
    const char *dir = getenv("POWER_FIXTURES");

    /* whole lines, so that a child's stderr, which the agent passes on,
     * falls between them in the log */
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(fixture_dir, sizeof(fixture_dir), "%s/powermetrics", dir ? dir : "tests/fixtures");
    for (size_t i = 0; i < NSAMPLES; i++)
        docs[i] = fixture(samples[i].file);
    test_fixtures(docs);
    test_macos12(&docs[0]);
    test_stream(docs);
    test_stream_problems(docs);
    test_bad_documents(docs);
    test_nesting();
    test_other_layouts();
    test_split_command();
    test_unknown_sampler();
    test_source();
    for (size_t i = 0; i < NSAMPLES; i++)
        free(docs[i].data);
    return CHECK_DONE();
}
