/*
 * test_phaselog: the agent keeps phase marks stored by pmpower mark: start
 * and end with the client's epoch or its own clock, numbered for good, the
 * latest 64 kept so pmlogger records each; malformed marks are refused.
 */
#include "check.h"
#include "phaselog.h"

int
main(void)
{
    struct phaselog log;

    phaselog_init(&log);
    CHECK(phaselog_latest(&log) == NULL, "an empty log has no latest mark");
    CHECK(phaselog_store(&log, "start 1770200125.123456 prefill", 5.0) == 0, "a start with the client's time");
    CHECK_STR(phaselog_latest(&log)->text, "1770200125.123456 start prefill", "kept as EPOCH VERB LABEL");
    CHECK(phaselog_store(&log, "end decode step 2", 1770200130.5) == 0, "an end without a time");
    CHECK_STR(phaselog_latest(&log)->text, "1770200130.500000 end decode step 2",
              "the agent's clock stamps it; labels may hold spaces");
    CHECK(phaselog_latest(&log)->seq == 2 && strcmp(phaselog_latest(&log)->name, "2") == 0,
          "marks are numbered from 1; the number is the instance name");
    CHECK(phaselog_store(&log, "begin x", 1) < 0, "an unknown verb is refused");
    CHECK(phaselog_store(&log, "start", 1) < 0, "a mark without a label is refused");
    CHECK(phaselog_store(&log, "start 12", 1) == 0 && strcmp(phaselog_latest(&log)->text, "1.000000 start 12") == 0,
          "a numeric label alone is a label, not a time");
    CHECK(phaselog_store(&log, "end a\nb", 1) < 0, "a label of two lines is refused");
    CHECK(phaselog_store(&log, "start 1e999 x", 1) < 0, "an epoch that overflows to inf is refused");
    CHECK(phaselog_store(&log, "start 1e300 x", 1) < 0, "an epoch past the year 9999 is refused");
    CHECK(phaselog_store(&log, "start 1e-300 x", 1) < 0,
          "an epoch below 1 is refused: it would be kept as 0.000000 (found by fuzz/fuzz_marks.c)");
    CHECK(phaselog_store(&log, "start 253402214400 x", 1) == 0 &&
          strcmp(phaselog_latest(&log)->text, "253402214400.000000 start x") == 0,
          "9999-12-31T00:00:00Z is the latest epoch kept");
    for (int i = 0; i < 100; i++)
        phaselog_store(&log, "start loop", 100.0 + i);
    CHECK(log.count == PHASELOG_SIZE && log.stored == 104, "the ring keeps the latest 64 of 104 marks");
    CHECK(phaselog_at(&log, 0)->seq == 41 && phaselog_latest(&log)->seq == 104,
          "oldest first; numbers are never reused (%d..%d)", phaselog_at(&log, 0)->seq, phaselog_latest(&log)->seq);
    return CHECK_DONE();
}
