/*
 * fuzz_wattsup: the bytes of a WattsUp? Pro serial line, through the agent's
 * own reader: the framer (sources/wattsup.c) cuts records as the reader
 * thread's handle_bytes() does (sources/meter_line.c), each record is parsed,
 * a header sets the layout (or, from a meter that sends none, the data
 * record's field count), a data record becomes a reading, and the
 * readings go into the meter's energy counter (meter_accum_*).
 *
 * Properties: the line cut into arbitrary reads gives the same events as
 * in one read (a record may span any number of reads); a framed record is
 * NUL-terminated within WATTSUP_MAX_RECORD; readings are finite and W is
 * not negative; the counter read back in time is finite, never decreases
 * and never exceeds what was counted.
 */
#include "fuzz.h"
#include "meter.h"
#include "meter_accum.h"
#include "wattsup.h"

#include <math.h>

#define MAX_EVENTS 4096

struct events {
    size_t n;
    enum wattsup_frame kind[MAX_EVENTS];
    uint32_t hash[MAX_EVENTS];     /* of the record text the event carries */
};

static uint32_t
hash_text(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* A record as handle_record() takes it: parse, then a header or a reading. */
static void
take_record(const char *text, struct wattsup_layout *layout, bool *have_layout,
            struct meter_accum *acc, double *t)
{
    struct wattsup_record rec;
    struct wattsup_reading r;
    enum wattsup_status sts = wattsup_record_parse(text, &rec);
    char choose[128];

    FUZZ_ASSERT(wattsup_status_message(sts) != NULL, "status %d", (int)sts);
    if (sts != WATTSUP_OK)
        return;
    FUZZ_ASSERT(rec.argc >= 0 && rec.argc <= WATTSUP_MAX_FIELDS, "argc %d", rec.argc);
    if (rec.cmd == 'h') {
        struct wattsup_layout l;
        if (wattsup_layout_from_header(&rec, &l) == WATTSUP_OK) {
            FUZZ_ASSERT(l.index[WATTSUP_W] >= 0 && l.index[WATTSUP_W] < l.nfields, "W at %d of %d",
                        l.index[WATTSUP_W], l.nfields);
            *layout = l;
            *have_layout = true;
            /* the handshake's answer to this header */
            int len = wattsup_format_choose(layout, choose, sizeof(choose));
            FUZZ_ASSERT(len < 0 || (size_t)len == strlen(choose), "choose %d", len);
        }
        return;
    }
    if (rec.cmd != 'd')
        return;
    /* handle_data(): a meter that sent no header has its record's field count name the layout */
    if (!*have_layout && wattsup_layout_for_record(&rec, layout) != WATTSUP_OK)
        return;
    *have_layout = true;
    if (wattsup_reading_parse(&rec, layout, &r) != WATTSUP_OK)
        return;
    FUZZ_ASSERT(isfinite(r.watts) && r.watts >= 0 && isfinite(r.volts) && isfinite(r.amps) &&
                isfinite(r.power_factor), "reading %g W %g V %g A %g", r.watts, r.volts, r.amps,
                r.power_factor);
    *t += 1.0;
    meter_accum_record(acc, *t, &r);
    double before = meter_accum_energy_at(acc, *t - 0.5), now = meter_accum_energy_at(acc, *t);
    FUZZ_ASSERT(isfinite(before) && isfinite(now) && before <= now && now <= acc->energy_j,
                "counter %g at %g, %g at %g, %g in all", before, *t - 0.5, now, *t, acc->energy_j);
}

/* The line in reads of the given sizes (0: all at once), as handle_bytes() loops. */
static void
frame(const uint8_t *data, size_t size, struct fuzz_cuts *cuts, struct events *ev)
{
    struct wattsup_framer f;
    struct wattsup_layout layout;
    struct meter_accum acc;
    bool have_layout = false;
    double t = 0;
    size_t off = 0;

    memset(&acc, 0, sizeof(acc));
    acc.interval_s = 1;
    acc.max_gap_s = 3;
    wattsup_framer_reset(&f);
    wattsup_layout_default(&layout, 18);
    ev->n = 0;
    while (off < size) {
        size_t chunk = cuts ? fuzz_cuts_next(cuts) : size;
        const char *buf = (const char *)data + off;
        size_t len = chunk < size - off ? chunk : size - off;

        off += len;
        while (len > 0) {
            size_t used = 0;
            enum wattsup_frame kind = wattsup_framer_next(&f, buf, len, &used);

            FUZZ_ASSERT(used <= len && (used > 0 || kind == WATTSUP_FRAME_CUT || kind == WATTSUP_FRAME_NONE),
                        "used %zu of %zu, event %d", used, len, (int)kind);
            if (kind == WATTSUP_FRAME_CUT && used == 0)
                FUZZ_ASSERT(buf[0] == '#', "a cut leaves the '#' for the next call");
            if (kind != WATTSUP_FRAME_NONE && ev->n < MAX_EVENTS) {
                ev->kind[ev->n] = kind;
                ev->hash[ev->n++] = kind == WATTSUP_FRAME_GARBAGE ? 0 : hash_text(f.record);
            }
            if (kind == WATTSUP_FRAME_RECORD) {
                FUZZ_ASSERT(strlen(f.record) <= WATTSUP_MAX_RECORD && f.record[0] == '#',
                            "record of %zu bytes", strlen(f.record));
                take_record(f.record, &layout, &have_layout, &acc, &t);
            } else if (kind == WATTSUP_FRAME_CUT || kind == WATTSUP_FRAME_TOO_LONG)
                meter_accum_break(&acc);
            buf += used;
            len -= used;
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct events whole, pieces;
    struct fuzz_cuts cuts;

    frame(data, size, NULL, &whole);
    fuzz_cuts_init(&cuts, data, size);
    frame(data, size, &cuts, &pieces);
    FUZZ_ASSERT(whole.n == pieces.n, "%zu events in one read, %zu in pieces", whole.n, pieces.n);
    for (size_t i = 0; i < whole.n; i++)
        FUZZ_ASSERT(whole.kind[i] == pieces.kind[i] && whole.hash[i] == pieces.hash[i],
                    "event %zu differs: %d in one read, %d in pieces", i, (int)whole.kind[i],
                    (int)pieces.kind[i]);
    return 0;
}
