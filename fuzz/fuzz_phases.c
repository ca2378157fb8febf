/*
 * fuzz_phases: a phases file for pmpower report --phases, through pmpower's
 * own reader (pmpower/phaselist.c): JSON (an array, or an object holding
 * "phases"; benchmark records with start_timestamp and duration_us) or CSV
 * (label,start,end). Times given as text go on to the ISO reader
 * (pmpower/timeparse.c) as pmpower resolves them.
 *
 * Properties: a parsed list is not empty; every phase has a label, a start
 * (a number in range, or text) and an end (number, text or duration); a
 * numeric time is a date pmpower can print; a duration is finite; an ISO
 * text that reads is in range and is written back as a date.
 */
#include "fuzz.h"
#include "phaselist.h"
#include "timeparse.h"

#include <math.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);    /* a zone with DST, needing no tzdata */
    tzset();
    return 0;
}

static void
check_text_time(const char *text)
{
    char err[512], back[64];
    double t;

    if (!timeparse_looks_iso(text) || timeparse_iso(text, &t, err, sizeof(err)) != 0)
        return;
    FUZZ_ASSERT(timeparse_in_range(t), "\"%s\" read as %g", text, t);
    timeparse_format(t, false, back, sizeof(back));
    FUZZ_ASSERT(back[0] != '(', "\"%s\" (%.6f) written as %s", text, t, back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size), err[512];
    struct phase_list list;

    if (phaselist_parse(text, &list, err, sizeof(err)) == 0) {
        FUZZ_ASSERT(list.count > 0, "an empty list");
        for (size_t i = 0; i < list.count; i++) {
            const struct phase *p = &list.items[i];
            FUZZ_ASSERT(p->label != NULL, "phase %zu has no label", i);
            FUZZ_ASSERT(p->have_start || p->start_text, "phase %zu has no start", i);
            FUZZ_ASSERT(p->have_end || p->end_text || p->duration >= 0, "phase %zu has no end", i);
            FUZZ_ASSERT(!p->have_start || timeparse_in_range(p->start), "start %g", p->start);
            FUZZ_ASSERT(!p->have_end || timeparse_in_range(p->end), "end %g", p->end);
            FUZZ_ASSERT(p->duration < 0 || isfinite(p->duration), "duration %g", p->duration);
            if (p->start_text)
                check_text_time(p->start_text);
            if (p->end_text)
                check_text_time(p->end_text);
        }
        phaselist_free(&list);
    } else
        FUZZ_ASSERT(err[0] != '\0' && list.count == 0 && list.items == NULL, "a failure without a message");
    free(text);
    return 0;
}
