/*
 * powermetrics_parse.c: one powermetrics plist document into an energy
 * sample. No I/O, no threads, no PCP: the stream (powermetrics_stream.c)
 * and the tests feed it documents.
 */
#include "powermetrics.h"

#include <ctype.h>
#include <math.h>
#include <plist/plist.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLIST_END "</plist>"
#define PLIST_END_LEN (sizeof(PLIST_END) - 1)
#define MAX_NESTING 256

static const char *const component_names[SOC_NCOMPONENTS] = {
    "cpu", "gpu", "ane", "dram", "combined"
};

const char *
soc_component_name(unsigned component)
{
    return component < SOC_NCOMPONENTS ? component_names[component] : NULL;
}

const char *
pm_problem_name(enum pm_problem problem)
{
    switch (problem) {
    case PM_OK: return "ok";
    case PM_TRUNCATED: return "truncated document";
    case PM_DUPLICATE_KEY: return "duplicate key";
    case PM_MISSING_FIELD: return "missing field";
    case PM_MALFORMED: return "malformed document";
    case PM_CHILD_EXIT: return "child exited";
    case PM_UNKNOWN_SAMPLER: return "unknown sampler";
    case PM_SPAWN_FAILED: return "cannot start command";
    case PM_NPROBLEMS: break;
    }
    return "unknown";
}

static enum pm_problem
problem(enum pm_problem kind, char *detail, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum pm_problem
problem(enum pm_problem kind, char *detail, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (detail && size) {
        va_start(ap, fmt);
        vsnprintf(detail, size, fmt, ap);
        va_end(ap);
    }
    return kind;
}

static bool
starts(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

static const char *
find(const char *p, const char *end, const char *needle)
{
    return memmem(p, (size_t)(end - p), needle, strlen(needle));
}

/* The keys the parser reads, by the dict they live in ("" is the top). */
static const struct {
    const char *dict;
    const char *key;
} read_keys[] = {
    { "", "elapsed_ns" }, { "", "processor" }, { "", "gpu" },
    { "processor", "cpu_energy" }, { "processor", "gpu_energy" }, { "processor", "ane_energy" },
    { "processor", "dram_energy" }, { "processor", "package_energy" },
    { "gpu", "gpu_energy" },
};
#define NREAD_KEYS (sizeof(read_keys) / sizeof(read_keys[0]))

struct frame {
    const char *name;       /* the key this dict is the value of; NULL for the top */
    size_t      namelen;
    const char *last_key;   /* the latest key seen in this dict, to name a child dict */
    size_t      last_len;
    uint32_t    seen;       /* bit i: read_keys[i] seen in this dict */
};

static bool
same(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/*
 * libplist keeps the last of two equal keys in a dict without a word, so a
 * document naming cpu_energy twice would give one of two numbers with no
 * sign of the doubt. Look for repeats of the keys we read before libplist
 * does. Only those: powermetrics itself repeats some keys it does not
 * matter to us (gpu.idle_ns, in every sample of the fixtures, with equal
 * values). A light walk of the tags that knows dicts, keys, comments,
 * CDATA and processing instructions, and nothing else of XML.
 */
static enum pm_problem
check_duplicate_keys(const char *text, size_t len, char *detail, size_t detail_size)
{
    const char *p = text, *end = text + len;
    struct frame frames[MAX_NESTING];
    size_t depth = 0;

    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *close, *name = p + 1;
        size_t namelen = 0;

        if (starts(p, end, "<!--") || starts(p, end, "<![CDATA[") || starts(p, end, "<?")) {
            const char *term = p[1] == '?' ? "?>" : p[2] == '-' ? "-->" : "]]>";
            if ((close = find(p + 2, end, term)) == NULL)
                return problem(PM_MALFORMED, detail, detail_size, "unterminated comment or CDATA");
            p = close + strlen(term);
            continue;
        }
        if ((close = memchr(p, '>', (size_t)(end - p))) == NULL)
            return problem(PM_MALFORMED, detail, detail_size, "unterminated tag");
        if (name < close && *name == '/')
            namelen++;
        while (name + namelen < close && isalnum((unsigned char)name[namelen]))
            namelen++;
        bool empty_element = close[-1] == '/';
        if (same(name, namelen, "dict") && !empty_element) {
            struct frame *f = &frames[depth];
            if (depth == MAX_NESTING)
                return problem(PM_MALFORMED, detail, detail_size, "dicts nested deeper than %d", MAX_NESTING);
            memset(f, 0, sizeof(*f));
            if (depth > 0) {
                f->name = frames[depth - 1].last_key;
                f->namelen = frames[depth - 1].last_len;
            }
            depth++;
        } else if (same(name, namelen, "/dict")) {
            if (depth == 0)
                return problem(PM_MALFORMED, detail, detail_size, "</dict> without <dict>");
            depth--;
        } else if (same(name, namelen, "key") && depth > 0) {
            struct frame *f = &frames[depth - 1];
            const char *key = close + 1, *key_end = empty_element ? key : find(key, end, "</key>");
            if (!key_end)
                return problem(PM_MALFORMED, detail, detail_size, "unterminated <key>");
            f->last_key = key;
            f->last_len = (size_t)(key_end - key);
            for (size_t i = 0; i < NREAD_KEYS && depth <= 2; i++) {
                bool in_dict = depth == 1 ? read_keys[i].dict[0] == '\0'
                                          : f->name && same(f->name, f->namelen, read_keys[i].dict);
                if (!in_dict || !same(key, f->last_len, read_keys[i].key))
                    continue;
                if (f->seen & (1u << i))
                    return problem(PM_DUPLICATE_KEY, detail, detail_size,
                                   "key \"%s\" appears twice in %s", read_keys[i].key,
                                   depth == 1 ? "the top-level dict" : read_keys[i].dict);
                f->seen |= 1u << i;
            }
            if (!empty_element)
                close = key_end + strlen("</key>") - 1;
        }
        p = close + 1;
    }
    return PM_OK;
}

/*
 * libplist 2.2 (Debian 12) parses without recursion but frees a tree
 * recursively (plist_free_node, src/plist.c), also when a parse fails
 * halfway: about 250,000 nested arrays, under the 4 MiB document limit,
 * overflow the stack. (libplist 2.7 caps nesting at 512 itself,
 * PLIST_MAX_NESTING_DEPTH in commit e45099f, and frees iteratively since
 * commit 8c78d89.) So dicts and arrays are counted as libplist's own
 * tokenizer sees them (node_from_xml and get_text_parts in src/xplist.c,
 * tag 2.2.0): a '>' quoted in a tag, a "?>" quoted in a processing
 * instruction, comments, CDATA and DOCTYPE end where libplist ends them,
 * so none can hide a container from the count. Where libplist would stop
 * with an error the walk may stop too: no tree deeper than counted so far
 * has been built, and libplist refuses the document anyway.
 */
struct xml_walk {
    const char *pos, *end;
};

static bool
walk_at(const struct xml_walk *w, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(w->end - w->pos) >= n && memcmp(w->pos, s, n) == 0;
}

static void
walk_blanks(struct xml_walk *w)
{
    while (w->pos < w->end && (*w->pos == ' ' || *w->pos == '\t' || *w->pos == '\r' || *w->pos == '\n'))
        w->pos++;
}

/* A "..." run at w->pos is passed whole, to its closing quote; false when unclosed. */
static bool
walk_quoted(struct xml_walk *w)
{
    const char *q = memchr(w->pos + 1, '"', (size_t)(w->end - w->pos - 1));

    w->pos = q ? q : w->end;
    return q != NULL;
}

/* To the first of stops (or the end), passing quoted runs when quotes: find_next(). */
static bool
walk_to_any(struct xml_walk *w, const char *stops, bool quotes)
{
    for (; w->pos < w->end; w->pos++) {
        if (quotes && *w->pos == '"') {
            if (!walk_quoted(w))
                return false;
        } else if (memchr(stops, *w->pos, strlen(stops)))
            return true;
    }
    return true;
}

/* Past the next s: find_str() and the check that it was found. */
static bool
walk_past(struct xml_walk *w, const char *s, bool quotes)
{
    for (; w->pos < w->end; w->pos++) {
        if (walk_at(w, s)) {
            w->pos += strlen(s);
            return true;
        }
        if (quotes && *w->pos == '"' && !walk_quoted(w))
            return false;
    }
    return false;
}

/* A leaf's text, past its </name>: get_text_parts(). */
static bool
walk_leaf_text(struct xml_walk *w, const char *name, size_t namelen)
{
    for (;;) {
        const char *lt = memchr(w->pos, '<', (size_t)(w->end - w->pos));
        if (!lt)
            return false;
        w->pos = lt + 1;
        if (walk_at(w, "!--")) {
            w->pos += 3;
            if (!walk_past(w, "-->", false))
                return false;
        } else if (walk_at(w, "![CDATA[")) {
            w->pos += 8;
            if (!walk_past(w, "]]>", false))
                return false;
        } else if (walk_at(w, "/"))
            break;
        else
            return false;
    }
    w->pos++;
    if ((size_t)(w->end - w->pos) <= namelen || memcmp(w->pos, name, namelen) != 0)
        return false;
    w->pos += namelen;
    walk_blanks(w);
    if (w->pos >= w->end || *w->pos != '>')
        return false;
    w->pos++;
    return true;
}

static bool
tag_is(const char *name, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(name, s, len) == 0;
}

/* False when libplist would build a tree of dicts and arrays nested deeper than MAX_NESTING. */
static bool
nesting_within_limit(const char *text, size_t len)
{
    static const char *const leaves[] = {
        "key", "string", "integer", "real", "true", "false", "data", "date",
    };
    struct xml_walk w = { text, text + len };
    size_t depth = 0;           /* dicts and arrays open */
    bool rooted = false, empty_root = false;

    for (;;) {
        const char *name;
        size_t namelen;
        bool empty, leaf = false;

        walk_blanks(&w);
        if (w.pos >= w.end || *w.pos != '<')
            return true;        /* the end, or text libplist refuses */
        w.pos++;
        if (walk_at(&w, "?")) {
            if (!walk_past(&w, "?>", true))
                return true;
            continue;
        }
        if (walk_at(&w, "!--")) {
            w.pos += 3;
            if (!walk_past(&w, "-->", false))
                return true;
            continue;
        }
        if (walk_at(&w, "!DOCTYPE")) {
            if (!walk_to_any(&w, "[>", true) || w.pos >= w.end)
                return true;
            if (*w.pos == '[' ? !walk_past(&w, "]>", true) : (w.pos++, false))
                return true;
            continue;
        }
        name = w.pos;
        walk_to_any(&w, " \r\n\t<>", false);
        namelen = (size_t)(w.pos - name);
        if (w.pos < w.end && *w.pos != '>' && !walk_to_any(&w, "<>", true))
            return true;
        if (w.pos >= w.end || *w.pos != '>')
            return true;
        empty = w.pos[-1] == '/';
        if (empty && (size_t)(w.pos - name - 1) < namelen)
            namelen = (size_t)(w.pos - name - 1);
        w.pos++;
        for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
            leaf |= tag_is(name, namelen, leaves[i]);
        if (tag_is(name, namelen, "dict") || tag_is(name, namelen, "array")) {
            if (!rooted)
                empty_root = empty;
            rooted = true;
            if (!empty && ++depth > MAX_NESTING)
                return false;
        } else if (tag_is(name, namelen, "/dict") || tag_is(name, namelen, "/array")) {
            /* a close that does not match is an error to libplist: counting it is harmless */
            if (depth == 0)
                return true;
            if (--depth == 0 && !empty_root)
                return true;    /* the root closed: libplist reads no further */
        } else if (leaf) {
            if (!empty && !walk_leaf_text(&w, name, namelen))
                return true;
            if (!rooted)
                return true;    /* a leaf for root: libplist reads no further */
        } else if (!tag_is(name, namelen, "plist") && !tag_is(name, namelen, "/plist"))
            return true;        /* a tag libplist refuses */
    }
}

/* A non-negative finite number from an integer or real node. libplist 2.2
 * hands a negative <integer> back as a huge unsigned one. */
static enum pm_problem
get_number(plist_t node, const char *what, double *value, char *detail, size_t detail_size)
{
    plist_type type = plist_get_node_type(node);

    if (type == PLIST_UINT) {
        uint64_t v = 0;
        plist_get_uint_val(node, &v);
        if (v > (uint64_t)INT64_MAX)
            return problem(PM_MALFORMED, detail, detail_size, "%s is negative", what);
        *value = (double)v;
        return PM_OK;
    }
    if (type == PLIST_REAL) {
        double v = 0;
        plist_get_real_val(node, &v);
        if (!isfinite(v) || v < 0)
            return problem(PM_MALFORMED, detail, detail_size, "%s is %g", what, v);
        *value = v;
        return PM_OK;
    }
    return problem(PM_MALFORMED, detail, detail_size, "%s is not a number (plist type %d)", what, (int)type);
}

static enum pm_problem
read_document(plist_t root, struct pm_sample *out, char *detail, size_t detail_size)
{
    static const struct { const char *key; int component; } processor_keys[] = {
        { "cpu_energy", SOC_CPU },
        { "gpu_energy", SOC_GPU },
        { "ane_energy", SOC_ANE },
        { "dram_energy", SOC_DRAM },
        { "package_energy", -1 },
    };
    plist_t node, processor, gpu;
    double elapsed, v;
    enum pm_problem sts;

    if (plist_get_node_type(root) != PLIST_DICT)
        return problem(PM_MALFORMED, detail, detail_size, "the document is not a dict");
    if ((node = plist_dict_get_item(root, "elapsed_ns")) == NULL)
        return problem(PM_MISSING_FIELD, detail, detail_size, "no elapsed_ns");
    if ((sts = get_number(node, "elapsed_ns", &elapsed, detail, detail_size)) != PM_OK)
        return sts;
    if (!(elapsed >= 1))
        return problem(PM_MALFORMED, detail, detail_size, "elapsed_ns is 0");
    out->elapsed_ns = (uint64_t)elapsed;
    if ((processor = plist_dict_get_item(root, "processor")) == NULL ||
        plist_get_node_type(processor) != PLIST_DICT)
        return problem(PM_MISSING_FIELD, detail, detail_size, "no processor dict");
    for (size_t i = 0; i < sizeof(processor_keys) / sizeof(processor_keys[0]); i++) {
        char what[64];
        if ((node = plist_dict_get_item(processor, processor_keys[i].key)) == NULL)
            continue;
        snprintf(what, sizeof(what), "processor.%s", processor_keys[i].key);
        if ((sts = get_number(node, what, &v, detail, detail_size)) != PM_OK)
            return sts;
        if (processor_keys[i].component < 0) {
            out->package_mj = v;
            out->has_package = true;
        } else {
            out->has[processor_keys[i].component] = true;
            out->energy_mj[processor_keys[i].component] = v;
        }
    }
    /* The gpu dict has its own gpu_energy, which on an M2 Ultra differs
     * from processor.gpu_energy; the processor one is what gpu_power and
     * combined_power are made from, so it wins when both are there. */
    if (!out->has[SOC_GPU] && (gpu = plist_dict_get_item(root, "gpu")) != NULL &&
        plist_get_node_type(gpu) == PLIST_DICT &&
        (node = plist_dict_get_item(gpu, "gpu_energy")) != NULL) {
        if ((sts = get_number(node, "gpu.gpu_energy", &v, detail, detail_size)) != PM_OK)
            return sts;
        out->has[SOC_GPU] = true;
        out->energy_mj[SOC_GPU] = v;
    }
    /* combined is cpu + gpu + ane on every macOS: what macOS 13 and later
     * print as combined_power. macOS 12 has no combined_power but a
     * package_energy that is neither that sum nor that sum plus dram, and
     * a dram_energy that later versions dropped; adding either would make
     * power.system jump when the host is upgraded. Without all three parts
     * the sum would silently mean less, so such a document is refused. */
    for (int c = SOC_CPU; c <= SOC_ANE; c++)
        if (!out->has[c])
            return problem(PM_MISSING_FIELD, detail, detail_size,
                           "no %s_energy in processor (cpu, gpu and ane make combined; "
                           "run powermetrics with --samplers cpu_power,gpu_power)",
                           soc_component_name((unsigned)c));
    out->has[SOC_COMBINED] = true;
    out->energy_mj[SOC_COMBINED] = out->energy_mj[SOC_CPU] + out->energy_mj[SOC_GPU] +
                                   out->energy_mj[SOC_ANE];
    return PM_OK;
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

enum pm_problem
pm_parse_document(const char *text, size_t len, struct pm_sample *out,
                  char *detail, size_t detail_size)
{
    plist_t root = NULL;
    enum pm_problem sts;

    memset(out, 0, sizeof(*out));
    if (detail && detail_size)
        detail[0] = '\0';
    while (len > 0 && is_blank(text[len - 1]))
        len--;
    while (len > 0 && is_blank(text[0])) {
        text++;
        len--;
    }
    if (len < PLIST_END_LEN || memcmp(text + len - PLIST_END_LEN, PLIST_END, PLIST_END_LEN) != 0)
        return problem(PM_TRUNCATED, detail, detail_size,
                       "document of %zu bytes ends without </plist>", len);
    if (len > UINT32_MAX)
        return problem(PM_MALFORMED, detail, detail_size, "document of %zu bytes", len);
    if (!nesting_within_limit(text, len))
        return problem(PM_MALFORMED, detail, detail_size, "dicts and arrays nested deeper than %d",
                       MAX_NESTING);
    if ((sts = check_duplicate_keys(text, len, detail, detail_size)) != PM_OK)
        return sts;
    plist_from_xml(text, (uint32_t)len, &root);
    if (!root)
        return problem(PM_MALFORMED, detail, detail_size,
                       "libplist cannot read the %zu-byte document as an XML property list", len);
    sts = read_document(root, out, detail, detail_size);
    plist_free(root);
    return sts;
}
