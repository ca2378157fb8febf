/*
 * fuzz_marks: phase marks as any local user can store them into the agent
 * (pmstore power.phase.mark, pmpower mark): "start|end [EPOCH] LABEL",
 * kept by agent/phaselog.c as "EPOCH VERB LABEL" in power.phase.log. The
 * input is one mark per line, stored one after the other.
 *
 * Properties: a kept mark reads back as pmpower report --phases archive
 * reads it (pmpower/phases.c: "%lf %15s %255[^\n]"), with an epoch above
 * 0 and at most PHASELOG_MAX_EPOCH, a verb start or end, and the label
 * stored; sequence numbers only grow.
 */
#include "fuzz.h"
#include "phaselog.h"

#include <math.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size), *line = text;
    struct phaselog log;
    int last_seq = 0;

    phaselog_init(&log);
    while (line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (phaselog_store(&log, line, 1770200125.5) == 0) {
            const struct phase_mark *m = phaselog_latest(&log);
            char verb[16], label[256];
            double t;
            FUZZ_ASSERT(m && m->seq > last_seq, "sequence %d after %d", m ? m->seq : -1, last_seq);
            last_seq = m->seq;
            FUZZ_ASSERT(sscanf(m->text, "%lf %15s %255[^\n]", &t, verb, label) == 3,
                        "mark \"%s\" does not read back", m->text);
            FUZZ_ASSERT(isfinite(t) && t > 0 && t <= PHASELOG_MAX_EPOCH, "epoch %g in \"%s\"", t, m->text);
            FUZZ_ASSERT(strcmp(verb, "start") == 0 || strcmp(verb, "end") == 0, "verb %s", verb);
        }
        line = nl ? nl + 1 : NULL;
    }
    FUZZ_ASSERT(log.count <= PHASELOG_SIZE, "%zu marks kept", log.count);
    free(text);
    return 0;
}
