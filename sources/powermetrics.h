/*
 * powermetrics.h: Apple silicon energy from macOS's powermetrics(1).
 *
 * The source runs `powermetrics --samplers cpu_power,gpu_power -f plist
 * -i MS` as a child ([powermetrics] command; the agent appends -i) and
 * reads its stdout on a thread: a stream of XML property lists, one per
 * sample, separated by NUL bytes. Each document gives the energy of the
 * sample's window in millijoules, in the top-level "processor" dict
 * (cpu_energy, gpu_energy, ane_energy; macOS 12 also dram_energy and
 * package_energy) over top-level elapsed_ns. The cpu_power sampler alone
 * brings all of them; there is no ane_power sampler before macOS 13. The
 * thread parses with libplist and hands the energies to sample() under a
 * lock; it makes no PCP calls and does not log (sample() logs for it).
 *
 * Counters are the sum of the documents' energies (not the integral of
 * the *_power gauges, which powermetrics rounds). A truncated document,
 * a duplicate key, a missing field or XML libplist cannot read is dropped
 * and counted; a child that exits is counted and started again after a
 * back-off of 1 s doubling to 60 s (back to 1 s once a child delivers).
 * A child that exits without a sample after saying on stderr that one of
 * the --samplers is unrecognised is started again at once without it.
 *
 * Instances (fixed ids, power.soc): cpu, gpu, ane, dram, combined.
 * combined is cpu + gpu + ane on every macOS version (macOS 13+'s own
 * combined_power); dram (macOS 12 only) and package_energy never enter
 * it. It is the power.system candidate "powermetrics".
 */
#ifndef POWER_POWERMETRICS_H
#define POWER_POWERMETRICS_H

#include "source.h"

extern const struct source_ops powermetrics_source;
/* Its state, as open() returns it: the accessors below take it. */
struct pm_state;

/* The power.soc instances; the value is the instance id. */
enum soc_component {
    SOC_CPU = 0,
    SOC_GPU = 1,
    SOC_ANE = 2,
    SOC_DRAM = 3,
    SOC_COMBINED = 4,
    SOC_NCOMPONENTS
};

const char *soc_component_name(unsigned component);

struct soc_reading {
    bool   valid;        /* seen, and the child delivered it recently */
    double energy_j;     /* sum of every document's energy since the agent started */
    double power_w;      /* energy / elapsed over the documents of the latest batch */
};

bool powermetrics_reading(const struct pm_state *st, unsigned component, struct soc_reading *out);

/* ---- the parser, apart from the child so tests can drive it ---- */

/* What can go wrong with a document or the child; each kind is counted
 * into power.source.errors and logged once. */
enum pm_problem {
    PM_OK = 0,
    PM_TRUNCATED,       /* ends before </plist> */
    PM_DUPLICATE_KEY,   /* a dict names one key twice: which value is meant is unknowable */
    PM_MISSING_FIELD,   /* no elapsed_ns, no processor dict, or no energy in it */
    PM_MALFORMED,       /* not XML libplist can read, wrong types, negative, oversized */
    PM_CHILD_EXIT,      /* the child exited or was killed */
    PM_UNKNOWN_SAMPLER, /* the child refused one of the --samplers; run again without it */
    PM_SPAWN_FAILED,    /* the command could not be started */
    PM_NPROBLEMS
};

const char *pm_problem_name(enum pm_problem problem);

struct pm_sample {
    uint64_t elapsed_ns;
    bool     has[SOC_NCOMPONENTS];
    double   energy_mj[SOC_NCOMPONENTS];
    bool     has_package;    /* macOS 12's package_energy: read, never part of combined */
    double   package_mj;
};

/* Parse one document (without its NUL). detail receives a message for
 * the log when the answer is not PM_OK. */
enum pm_problem pm_parse_document(const char *text, size_t len, struct pm_sample *out,
                                  char *detail, size_t detail_size);

/* Called for every document the stream completes, good or bad. */
typedef void (*pm_document_fn)(void *arg, enum pm_problem problem,
                               const struct pm_sample *sample, const char *detail);

/* Splits a byte stream into documents: a document ends at a NUL byte or
 * right after its </plist>, whichever comes first, so neither where
 * powermetrics puts the NUL nor how reads cut the stream matters.
 * Documents over max_document bytes are reported malformed and skipped. */
struct pm_stream;

#define PM_DEFAULT_MAX_DOCUMENT (4u << 20)

struct pm_stream *pm_stream_new(size_t max_document);
void pm_stream_feed(struct pm_stream *s, const char *data, size_t len,
                    pm_document_fn fn, void *arg);
/* End of input (the child's stdout closed): what is left is truncated. */
void pm_stream_end(struct pm_stream *s, pm_document_fn fn, void *arg);
void pm_stream_free(struct pm_stream *s);

/* Split a command line on blanks, with '...' and "..." quoting (no
 * escapes, no shell). Returns a NULL-terminated argv with room for extra
 * more entries at the end, or NULL when empty, unbalanced or out of
 * memory; free with pm_argv_free(). */
char **pm_split_command(const char *command, size_t extra, size_t *argc);
void   pm_argv_free(char **argv);

/* When text (what a child wrote on stderr) says that a sampler is
 * unrecognised, and that sampler is in argv's --samplers (or -s) list
 * beside at least one other, remove it from the list in place, copy its
 * name to name and return true. */
bool pm_drop_unknown_sampler(char **argv, const char *text, char *name, size_t name_size);

#endif
