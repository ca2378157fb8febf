/*
 * test_pmpower_phaselist: pmpower report --phases reads labelled windows
 * from JSON (its own shape, benchmark records with start_timestamp and
 * duration_us, an object holding "phases") and from CSV, and says which
 * line is wrong when it cannot.
 */
#include "check.h"
#include "phaselist.h"

int
main(void)
{
    struct phase_list l;
    char err[256];
    int sts;

    sts = phaselist_parse("[{\"label\": \"prefill\", \"start\": \"2026-02-04 10:15:25.123456\", "
                          "\"end\": \"2026-02-04 10:15:26.5\"},\n"
                          " {\"label\": \"decode\", \"start\": \"2026-02-04 10:15:26.5\", \"end\": \"+3s\", "
                          "\"tokens\": [1, 2, {\"x\": null}], \"ok\": true}]", &l, err, sizeof(err));
    CHECK(sts == 0 && l.count == 2, "a JSON array of two phases (%s)", sts ? err : "ok");
    if (sts == 0) {
        CHECK_STR(l.items[0].label, "prefill", "the first label");
        CHECK_STR(l.items[0].start_text, "2026-02-04 10:15:25.123456", "start kept as text to resolve");
        CHECK_STR(l.items[1].end_text, "+3s", "PCP syntax kept for the caller");
        CHECK(!l.items[0].have_start && l.items[0].duration < 0, "no number, no duration");
        phaselist_free(&l);
    }

    sts = phaselist_parse("{\"benchmark\": \"llm\", \"phases\": [{\"name\": \"tier1\", "
                          "\"start_timestamp\": 1770200125123456, \"duration_us\": 2500000}]}",
                          &l, err, sizeof(err));
    CHECK(sts == 0 && l.count == 1, "benchmark records: an object with phases, start_timestamp, duration_us (%s)",
          sts ? err : "ok");
    if (sts == 0) {
        CHECK_STR(l.items[0].label, "tier1", "\"name\" is a label");
        CHECK(l.items[0].have_start && fabs(l.items[0].start - 1770200125.123456) < 1e-6,
              "a microsecond epoch number becomes seconds (%.6f)", l.items[0].start);
        CHECK_NEAR(l.items[0].duration, 2.5, 1e-12, "duration_us becomes seconds");
        CHECK(!l.items[0].have_end && !l.items[0].end_text, "the end comes from the duration");
        phaselist_free(&l);
    }
    sts = phaselist_parse("[{\"start_timestamp\": 1770200125.5, \"end_timestamp\": 1770200127000}]",
                          &l, err, sizeof(err));
    CHECK(sts == 0 && fabs(l.items[0].start - 1770200125.5) < 1e-9 && fabs(l.items[0].end - 1770200127.0) < 1e-9,
          "epoch seconds and milliseconds are told apart");
    if (sts == 0) {
        CHECK_STR(l.items[0].label, "phase1", "an unlabelled phase is named by its position");
        phaselist_free(&l);
    }

    sts = phaselist_parse("label,start,end\nwarmup,2026-02-04 10:00:00,2026-02-04 10:00:10.25\n"
                          "\"run, one\",1770200125,1770200135.5\r\n# a comment\n\n", &l, err, sizeof(err));
    CHECK(sts == 0 && l.count == 2, "CSV with a header, quotes, CRLF, comments and blank lines (%s)",
          sts ? err : "ok");
    if (sts == 0) {
        CHECK_STR(l.items[0].end_text, "2026-02-04 10:00:10.25", "CSV times kept as text");
        CHECK_STR(l.items[1].label, "run, one", "a quoted label with a comma");
        CHECK(l.items[1].have_end && fabs(l.items[1].end - 1770200135.5) < 1e-9, "CSV epoch numbers");
        phaselist_free(&l);
    }

    sts = phaselist_parse("a,2026-02-04 10:00:00\n", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "line 1") && strstr(err, "label,start,end"), "a short CSV line is named: %s", err);
    sts = phaselist_parse("[{\"label\": \"x\", \"start\": \"2026-02-04\"}]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "no end"), "a phase without an end is refused: %s", err);
    sts = phaselist_parse("[{\"label\": \"x\",\n \"start\" \"2026-02-04\"}]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "line 2"), "a JSON syntax error names its line: %s", err);
    sts = phaselist_parse("[{\"label\": \"unterminated]", &l, err, sizeof(err));
    CHECK(sts < 0, "an unterminated string is refused");
    sts = phaselist_parse("[]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "no phases"), "an empty list is refused: %s", err);
    sts = phaselist_parse("   ", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "empty"), "an empty file is refused");
    sts = phaselist_parse("[{\"label\": \"\\u0041\\n\", \"start\": 1, \"end\": 2}]", &l, err, sizeof(err));
    CHECK(sts == 0 && strcmp(l.items[0].label, "A\n") == 0, "JSON escapes in labels");
    if (sts == 0)
        phaselist_free(&l);

    /* found by fuzz/fuzz_phases.c (inputs kept in fuzz/corpus/phases): a time no date can show */
    sts = phaselist_parse("[{\"label\": \"x\", \"start\": 1e300, \"end\": 2e300}]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "line 1") && strstr(err, "0001-01-01 to 9999-12-31"),
          "a JSON time of 1e300 is refused: %s", err);
    sts = phaselist_parse("[{\"label\": \"x\", \"start\": -1e300, \"end\": 2}]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "epoch"), "and -1e300: %s", err);
    sts = phaselist_parse("[{\"start\": 1, \"duration_s\": 1e999}]", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "finite"), "an infinite duration is refused: %s", err);
    sts = phaselist_parse("label,start,end\nx,1,1e300\n", &l, err, sizeof(err));
    CHECK(sts < 0 && strstr(err, "line 2") && strstr(err, "9999"), "a CSV time of 1e300 is refused: %s", err);
    sts = phaselist_parse("x,nan,2\n", &l, err, sizeof(err));
    CHECK(sts < 0, "and a CSV time of nan");
    return CHECK_DONE();
}
