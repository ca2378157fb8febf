/*
 * test_meter.c: the WattsUp framer and parsers against exact byte
 * sequences (records split anywhere, garbage, cut and overlong records,
 * 16- and 18-field firmware), the energy accounting of records, and the
 * meter source's config handling and clean shutdown with no hardware.
 */
#include "check.h"
#include "config.h"
#include "fakesys.h"
#include "source_harness.h"
#include "meter.h"
#include "meter_accum.h"
#include "wattsup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define REC18 "#d,-,18,1234,1201,1027,56,0,0,0,1300,1210,1100,1200,1190,1000,98,100,0,600,1250;"
#define REC18_CHOSEN "#d,-,18,1234,1201,1027,_,_,_,_,_,_,_,_,_,_,98,_,_,_,_;"
#define HDR18 "#h,-,18,W,V,A,WH,Cost,WH/Mo,Cost/Mo,Wmax,Vmax,Amax,Wmin,Vmin,Amin,PF,DC,PC,Hz,VA;"
#define HDR16 "#h,-,16,W,V,A,WH,Cost,WH/Mo,Cost/Mo,Wmax,Vmax,Amax,Wmin,Vmin,Amin,PF,DC,PC;"
#define REC16 "#d,-,16,555,2302,241,_,_,_,_,_,_,_,_,_,_,99,_,_;"

/* ---- framer ---- */

struct events {
    int  records, garbage, cut, too_long;
    char last[WATTSUP_MAX_RECORD + 1];
    char all[4][WATTSUP_MAX_RECORD + 1];
};

static void
feed(struct wattsup_framer *f, const char *data, size_t len, struct events *ev)
{
    while (len > 0) {
        size_t used = 0;
        enum wattsup_frame e = wattsup_framer_next(f, data, len, &used);

        switch (e) {
        case WATTSUP_FRAME_RECORD:
            snprintf(ev->last, sizeof(ev->last), "%s", f->record);
            if (ev->records < 4)
                snprintf(ev->all[ev->records], sizeof(ev->all[0]), "%s", f->record);
            ev->records++;
            break;
        case WATTSUP_FRAME_GARBAGE: ev->garbage++; break;
        case WATTSUP_FRAME_CUT: ev->cut++; break;
        case WATTSUP_FRAME_TOO_LONG: ev->too_long++; break;
        case WATTSUP_FRAME_NONE: break;
        }
        if (used == 0 && e == WATTSUP_FRAME_NONE)
            break;
        data += used;
        len -= used;
    }
}

static void
test_framer(void)
{
    struct wattsup_framer f;
    struct events ev;
    size_t used;
    const char *rec = REC18;
    size_t len = strlen(rec);

    wattsup_framer_reset(&f);
    CHECK(wattsup_framer_next(&f, rec, len, &used) == WATTSUP_FRAME_RECORD && used == len,
          "framer: one whole record in one read (used %zu of %zu)", used, len);
    CHECK_STR(f.record, REC18, "framer: the record text is exact");

    /* a record split at every possible point, across two reads */
    int split_ok = 0;
    for (size_t cut = 1; cut < len; cut++) {
        memset(&ev, 0, sizeof(ev));
        wattsup_framer_reset(&f);
        feed(&f, rec, cut, &ev);
        feed(&f, rec + cut, len - cut, &ev);
        split_ok += ev.records == 1 && ev.garbage + ev.cut + ev.too_long == 0 && strcmp(ev.last, rec) == 0;
    }
    CHECK(split_ok == (int)len - 1, "framer: a record split at any of %zu points is whole (%d were)",
          len - 1, split_ok);

    /* one byte per read */
    memset(&ev, 0, sizeof(ev));
    wattsup_framer_reset(&f);
    for (size_t i = 0; i < len; i++)
        feed(&f, rec + i, 1, &ev);
    CHECK(ev.records == 1 && strcmp(ev.last, rec) == 0, "framer: one byte per read gives the record");

    /* line ends between records are not garbage */
    memset(&ev, 0, sizeof(ev));
    wattsup_framer_reset(&f);
    feed(&f, "\r\n" REC18 "\r\n" REC18_CHOSEN "\r\n \t", strlen("\r\n" REC18 "\r\n" REC18_CHOSEN "\r\n \t"), &ev);
    CHECK(ev.records == 2 && ev.garbage == 0 && strcmp(ev.all[1], REC18_CHOSEN) == 0,
          "framer: two records with line ends: %d records, %d garbage", ev.records, ev.garbage);

    /* line noise (not ASCII, I.2) is one event per run, even across reads and blanks */
    memset(&ev, 0, sizeof(ev));
    wattsup_framer_reset(&f);
    feed(&f, "zz\x01\xff", 4, &ev);
    feed(&f, " junk\r\n", 7, &ev);
    feed(&f, REC18 "\x80" REC18, strlen(REC18) * 2 + 1, &ev);
    CHECK(ev.garbage == 2 && ev.records == 2,
          "framer: noise runs counted once each: %d runs (want 2), %d records (want 2)",
          ev.garbage, ev.records);

    /* the first noise byte is consumed alone, so the caller can show it */
    wattsup_framer_reset(&f);
    CHECK(wattsup_framer_next(&f, "a\x01" "b#", 4, &used) == WATTSUP_FRAME_GARBAGE && used == 2,
          "framer: noise reported at its first byte (used %zu)", used);

    /* "All characters outside of a packet are ignored" (I.3): the power-on
     * banner (I.7's example) and NUL padding between records are no errors */
    {
        static const char stream[] = "EED05F01 $Revision: 4.41 $ 200612212301 60Hz 120V\r\n"
                                     REC18 "\r\n\0\0\0" REC18 "\0\r\n";
        memset(&ev, 0, sizeof(ev));
        wattsup_framer_reset(&f);
        feed(&f, stream, sizeof(stream) - 1, &ev);
        CHECK(ev.records == 2 && ev.garbage + ev.cut + ev.too_long == 0 && strcmp(ev.all[1], REC18) == 0,
              "framer: banner and NULs outside packets are skipped silently (%d records, %d garbage)",
              ev.records, ev.garbage);
    }

    /* "Carriage Return, Line Feed and Tab characters are ignored within a
     * packet" (I.4), even inside a number */
    {
        static const char stream[] = "#d,\t-,18,12\r\n34,1201,1027,56,0,0,0,1300,1210,1100,1200,1190,"
                                     "1000,98,100,0,600,\t1250\r\n;";
        struct wattsup_record r;
        memset(&ev, 0, sizeof(ev));
        wattsup_framer_reset(&f);
        feed(&f, stream, sizeof(stream) - 1, &ev);
        CHECK(ev.records == 1 && strcmp(ev.last, REC18) == 0 && wattsup_record_parse(ev.last, &r) == WATTSUP_OK,
              "framer: CR, LF and tab inside a packet are dropped: \"%s\"", ev.last);
    }

    /* a record cut short by the next '#' */
    memset(&ev, 0, sizeof(ev));
    wattsup_framer_reset(&f);
    CHECK(wattsup_framer_next(&f, "#d,-,18,12" REC18, 10 + len, &used) == WATTSUP_FRAME_CUT &&
          used == 10, "framer: a cut record is reported before the '#' that cut it (used %zu)", used);
    CHECK_STR(f.record, "#d,-,18,12", "framer: the cut record is kept for the message");
    CHECK(wattsup_framer_next(&f, REC18, len, &used) == WATTSUP_FRAME_RECORD && strcmp(f.record, REC18) == 0,
          "framer: the record after a cut one is whole");

    /* an overlong record: one event, the rest skipped until the next '#' */
    {
        char big[600];
        memset(big, 'x', sizeof(big));
        big[0] = '#';
        memcpy(big + 400, ";abc", 4);
        memset(&ev, 0, sizeof(ev));
        wattsup_framer_reset(&f);
        feed(&f, big, sizeof(big), &ev);
        feed(&f, REC18, len, &ev);
        CHECK(ev.too_long == 1 && ev.garbage == 0 && ev.records == 1 && strcmp(ev.last, REC18) == 0,
              "framer: overlong record: %d too_long (want 1), %d garbage (want 0), %d records (want 1)",
              ev.too_long, ev.garbage, ev.records);
    }

    /* a NUL inside a record does not pass as a shorter one */
    {
        char withnul[] = "#d,-,1,5\0;";
        struct wattsup_record r;
        wattsup_framer_reset(&f);
        struct wattsup_layout l;
        struct wattsup_reading reading;
        wattsup_layout_default(&l, 1);
        wattsup_framer_reset(&f);
        CHECK(wattsup_framer_next(&f, withnul, sizeof(withnul) - 1, &used) == WATTSUP_FRAME_RECORD &&
              strcmp(f.record, "#d,-,1,5?;") == 0 && wattsup_record_parse(f.record, &r) == WATTSUP_OK &&
              wattsup_reading_parse(&r, &l, &reading) == WATTSUP_ERR_VALUE,
              "framer+parser: a NUL inside a record shows as '?' and the record is refused (\"%s\")", f.record);
    }
}

/* ---- records, headers, readings ---- */

static void
test_parse(void)
{
    struct wattsup_record rec, hdr;
    struct wattsup_layout layout, def;
    struct wattsup_reading r;
    enum wattsup_status sts;

    sts = wattsup_record_parse(REC18, &rec);
    CHECK(sts == WATTSUP_OK && rec.cmd == 'd' && rec.sub == '-' && rec.argc == 18,
          "parse: 18-field data record (status %d, cmd %c, argc %d)", sts, rec.cmd, rec.argc);
    CHECK_STR(rec.field[0], "1234", "parse: first field");
    CHECK_STR(rec.field[17], "1250", "parse: last field");

    wattsup_layout_default(&def, 18);
    sts = wattsup_reading_parse(&rec, &def, &r);
    CHECK(sts == WATTSUP_OK, "reading: default layout parses (status %d)", sts);
    CHECK_NEAR(r.watts, 123.4, 1e-12, "reading: W is tenths of a watt (1234 -> 123.4)");
    CHECK_NEAR(r.volts, 120.1, 1e-12, "reading: V is tenths of a volt (1201 -> 120.1)");
    CHECK_NEAR(r.amps, 1.027, 1e-12, "reading: A is milliamps (1027 -> 1.027)");
    CHECK_NEAR(r.power_factor, 0.98, 1e-12, "reading: PF is percent (98 -> 0.98)");
    CHECK(r.has_volts && r.has_amps && r.has_power_factor, "reading: V, A and PF present");

    /* the header gives the layout */
    sts = wattsup_record_parse(HDR18, &hdr);
    CHECK(sts == WATTSUP_OK && hdr.cmd == 'h' && hdr.argc == 18, "parse: 18-field header");
    sts = wattsup_layout_from_header(&hdr, &layout);
    CHECK(sts == WATTSUP_OK && layout.nfields == 18 && memcmp(layout.index, def.index, sizeof(def.index)) == 0,
          "layout: the 18-field header is the documented order");

    /* fields not chosen come as "_" */
    wattsup_record_parse(REC18_CHOSEN, &rec);
    sts = wattsup_reading_parse(&rec, &layout, &r);
    CHECK(sts == WATTSUP_OK && r.watts == 123.4 && r.has_power_factor && r.power_factor == 0.98,
          "reading: unchosen fields as _ (status %d, W %g)", sts, r.watts);

    /* 16-field firmware: no Hz, VA */
    wattsup_record_parse(HDR16, &hdr);
    sts = wattsup_layout_from_header(&hdr, &layout);
    CHECK(sts == WATTSUP_OK && layout.nfields == 16 && layout.index[WATTSUP_HZ] == -1 &&
          layout.index[WATTSUP_VA] == -1 && layout.index[WATTSUP_PF] == 13,
          "layout: 16-field header (nfields %d, Hz at %d, PF at %d)", layout.nfields,
          layout.index[WATTSUP_HZ], layout.index[WATTSUP_PF]);
    wattsup_record_parse(REC16, &rec);
    sts = wattsup_reading_parse(&rec, &layout, &r);
    CHECK(sts == WATTSUP_OK, "reading: 16-field record parses (status %d)", sts);
    CHECK_NEAR(r.watts, 55.5, 1e-12, "reading: 16-field W");
    CHECK_NEAR(r.volts, 230.2, 1e-12, "reading: 16-field V");
    CHECK_NEAR(r.amps, 0.241, 1e-12, "reading: 16-field A");
    CHECK_NEAR(r.power_factor, 0.99, 1e-12, "reading: 16-field PF");
    /* an 18-field record under a 16-field header is not guessed at */
    wattsup_record_parse(REC18, &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_COUNT,
          "reading: record with more fields than the header is malformed");

    /* any order the header names, case aside */
    wattsup_record_parse("#h,-,4,V,w,pf,A;", &hdr);
    sts = wattsup_layout_from_header(&hdr, &layout);
    wattsup_record_parse("#d,-,4, 1200 ,500,90,417;", &rec);
    CHECK(sts == WATTSUP_OK && wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_OK &&
          r.watts == 50.0 && r.volts == 120.0 && r.amps == 0.417 && r.power_factor == 0.90,
          "reading: fields in the header's order (W %g V %g A %g PF %g)", r.watts, r.volts, r.amps,
          r.power_factor);
    wattsup_record_parse("#h,-,2,V,A;", &hdr);
    CHECK(wattsup_layout_from_header(&hdr, &layout) == WATTSUP_ERR_HEADER,
          "layout: a header without W is refused");

    /* commands parse too: empty fields are fields */
    sts = wattsup_record_parse("#L,W,3,E,,1;", &rec);
    CHECK(sts == WATTSUP_OK && rec.argc == 3 && strcmp(rec.field[0], "E") == 0 &&
          rec.field[1][0] == '\0' && strcmp(rec.field[2], "1") == 0, "parse: a command with an empty field");
    sts = wattsup_record_parse("#H,R,0;", &rec);
    CHECK(sts == WATTSUP_OK && rec.cmd == 'H' && rec.argc == 0, "parse: a command with no fields");

    /* malformed */
    static const struct { const char *text; enum wattsup_status want; } bad[] = {
        { "d,-,3,1,2,3;", WATTSUP_ERR_SYNTAX },
        { "#d,-,3,1,2,3", WATTSUP_ERR_SYNTAX },
        { "#d,-;", WATTSUP_ERR_SYNTAX },
        { "#dd,-,0;", WATTSUP_ERR_SYNTAX },
        { "#d,-,x,1;", WATTSUP_ERR_SYNTAX },
        { "#d,-,99,1;", WATTSUP_ERR_SYNTAX },
        { "#d,-,1,2#;", WATTSUP_ERR_SYNTAX },
        { "#d,-,18,1,2;", WATTSUP_ERR_COUNT },
        { "#d,-,2,1,2,3;", WATTSUP_ERR_COUNT },
    };
    int bad_ok = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sts = wattsup_record_parse(bad[i].text, &rec);
        if (sts == bad[i].want)
            bad_ok++;
        else
            printf("# \"%s\": status %d, want %d\n", bad[i].text, sts, bad[i].want);
    }
    CHECK(bad_ok == (int)(sizeof(bad) / sizeof(bad[0])), "parse: %d of %zu malformed records refused as expected",
          bad_ok, sizeof(bad) / sizeof(bad[0]));

    wattsup_layout_default(&layout, 3);
    wattsup_record_parse("#d,-,3,1,x,3;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_VALUE, "reading: a non-number is refused");
    wattsup_record_parse("#d,-,3,12a4,1,3;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_VALUE, "reading: digits with a letter refused");
    wattsup_record_parse("#d,-,3,,1,3;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_VALUE, "reading: an empty field is refused");
    wattsup_record_parse("#d,-,3,_,1,3;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_NO_WATTS, "reading: W as _ is refused");
    wattsup_record_parse("#d,-,3,5,_,_;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_OK && r.watts == 0.5 && !r.has_volts &&
          !r.has_amps, "reading: V and A not sent (W %g)", r.watts);
    wattsup_record_parse("#d,-,3,-5,1,1;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_VALUE,
          "reading: a negative W (the document's range is 0 - 50000) is refused");

    /* no header (old RS-232 meters): the documented layout for 16 or 18 fields */
    {
        struct wattsup_layout guess;

        wattsup_record_parse(REC16, &rec);
        CHECK(wattsup_layout_for_record(&rec, &guess) == WATTSUP_OK && guess.nfields == 16 &&
              guess.index[WATTSUP_PF] == 13 && guess.index[WATTSUP_HZ] == -1 &&
              wattsup_reading_parse(&rec, &guess, &r) == WATTSUP_OK && r.watts == 55.5,
              "layout: a 16-field record with no header reads as the documented 16 fields");
        wattsup_record_parse(REC18, &rec);
        CHECK(wattsup_layout_for_record(&rec, &guess) == WATTSUP_OK && guess.nfields == 18 &&
              guess.index[WATTSUP_VA] == 17, "layout: an 18-field record with no header, 18 fields");
        wattsup_record_parse("#d,-,4,1,2,3,4;", &rec);
        CHECK(wattsup_layout_for_record(&rec, &guess) == WATTSUP_ERR_COUNT,
              "layout: no documented layout for 4 fields: not guessed at");
    }

    wattsup_record_parse("#d,-,3,99999999999,1,1;", &rec);
    CHECK(wattsup_reading_parse(&rec, &layout, &r) == WATTSUP_ERR_VALUE, "reading: an absurd number is refused");
}

static void
test_commands(void)
{
    struct wattsup_layout layout;
    char buf[160];
    int n;

    wattsup_layout_default(&layout, 18);
    n = wattsup_format_choose(&layout, buf, sizeof(buf));
    CHECK(n == (int)strlen(buf), "choose: returns its length (%d)", n);
    CHECK_STR(buf, "#C,W,18,1,1,1,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0;", "choose: W, V, A, PF of 18 fields");
    wattsup_layout_default(&layout, 16);
    wattsup_format_choose(&layout, buf, sizeof(buf));
    CHECK_STR(buf, "#C,W,16,1,1,1,0,0,0,0,0,0,0,0,0,0,1,0,0;", "choose: W, V, A, PF of 16 fields");
    CHECK(wattsup_format_choose(&layout, buf, 20) == -1, "choose: a short buffer is refused, not overrun");
    /* "No empty arguments are allowed" (I.4): <Reserved> is "1" as Mochel's
     * wattsup.c, upower's up-device-wup.c, kwapi and energymon send it, then
     * the "0" and "-" seen in the field */
    n = wattsup_format_log_start(0, 1, buf, sizeof(buf));
    CHECK(n == (int)strlen(buf), "log start: returns its length (%d)", n);
    CHECK_STR(buf, "#L,W,3,E,1,1;", "log start: first form, every 1 s, no empty argument");
    wattsup_format_log_start(1, 10, buf, sizeof(buf));
    CHECK_STR(buf, "#L,W,3,E,0,10;", "log start: second form, every 10 s");
    wattsup_format_log_start(2, 1, buf, sizeof(buf));
    CHECK_STR(buf, "#L,W,3,E,-,1;", "log start: third form");
    CHECK(wattsup_format_log_start(WATTSUP_LOG_FORMS, 1, buf, sizeof(buf)) == -1, "log start: no fourth form");
    CHECK(wattsup_format_log_start(0, 1, buf, 5) == -1, "log start: a short buffer is refused");
}

/* ---- energy from records ---- */

static struct wattsup_reading
watts(double w)
{
    struct wattsup_reading r = { .watts = w };
    return r;
}

static void
test_accum(void)
{
    struct meter_accum a = { .interval_s = 1.0, .max_gap_s = 3.0 };
    struct wattsup_reading r;
    double added;

    /* A record's W is the mean over the interval that ended as it was sent:
     * each record adds W x the interval it covers, a step, not a trapezoid */
    added = meter_accum_record(&a, 10.0, (r = watts(100), &r));
    CHECK_NEAR(added, 100.0, 1e-12, "accum: the first record covers its own logging interval: 100 J");
    CHECK(a.have && a.samples == 1, "accum: one record");
    meter_accum_record(&a, 11.0, (r = watts(100), &r));
    added = meter_accum_record(&a, 12.0, (r = watts(200), &r));
    CHECK_NEAR(added, 200.0, 1e-12, "accum: 200 W over the second before it is 200 J (a trapezoid says 150)");
    CHECK_NEAR(a.energy_j, 400.0, 1e-12, "accum: 100 + 100 + 200 J");
    /* a silence beyond max_gap: only the record's own interval counts */
    added = meter_accum_record(&a, 20.0, (r = watts(200), &r));
    CHECK(added == 200.0 && a.energy_j == 600.0 && a.gaps == 1,
          "accum: after 8 s of silence a record adds its own second only (added %g, gaps %llu)", added,
          (unsigned long long)a.gaps);
    meter_accum_record(&a, 21.0, (r = watts(100), &r));
    CHECK_NEAR(a.energy_j, 700.0, 1e-12, "accum: and the next follows it");
    /* the line dropped and came back within a logging interval: nothing twice */
    meter_accum_break(&a);
    added = meter_accum_record(&a, 21.5, (r = watts(100), &r));
    CHECK(added == 50.0 && a.energy_j == 750.0 && a.gaps == 2,
          "accum: after a break, a record 0.5 s after the last adds 0.5 s, not its full interval (%g)", added);
    /* delivery jitter cancels out: records 1.02 s then 0.98 s apart */
    meter_accum_record(&a, 22.52, (r = watts(100), &r));
    meter_accum_record(&a, 23.5, (r = watts(100), &r));
    CHECK_NEAR(a.energy_j, 950.0, 1e-9, "accum: jittered records add the time they cover: 2 s x 100 W");
    added = meter_accum_record(&a, 23.5, (r = watts(100), &r));
    CHECK(added == 0, "accum: a record at the same instant adds nothing");
    CHECK(a.samples == 9 && a.last.watts == 100 && a.last_s == 23.5, "accum: samples %llu, latest W %g at %g",
          (unsigned long long)a.samples, a.last.watts, a.last_s);
    {
        struct meter_accum n = { .interval_s = 1.0 };
        added = meter_accum_record(&n, 5.0, (r = watts(-3), &r));
        CHECK(added == 0 && n.energy_j == 0, "accum: negative watts add nothing: the counter never runs back");
    }

    /* the counter between records, for the timer */
    {
        struct meter_accum c = { .interval_s = 1.0, .max_gap_s = 3.0 };

        CHECK(meter_accum_energy_at(&c, 5.0) == 0, "energy_at: no records, 0 J");
        meter_accum_record(&c, 10.0, (r = watts(100), &r));
        meter_accum_record(&c, 11.0, (r = watts(100), &r));
        meter_accum_record(&c, 12.0, (r = watts(200), &r));
        CHECK_NEAR(meter_accum_energy_at(&c, 8.0), 0, 1e-12, "energy_at: before the first record's interval, 0 J");
        CHECK_NEAR(meter_accum_energy_at(&c, 9.5), 50, 1e-12, "energy_at: inside the first record's interval");
        CHECK_NEAR(meter_accum_energy_at(&c, 11.0), 200, 1e-12, "energy_at: at a record, its counter");
        /* the step: the power that changed at 11 s belongs to [11, 12] */
        CHECK_NEAR(meter_accum_energy_at(&c, 11.5), 300, 1e-12,
                   "energy_at: half way through the 200 W record: 200 + 100 J (a trapezoid says 262.5)");
        CHECK_NEAR(meter_accum_energy_at(&c, 12.0) - meter_accum_energy_at(&c, 11.0), 200, 1e-12,
                   "energy_at: the energy of [11, 12] s is that second's mean power");
        CHECK_NEAR(meter_accum_energy_at(&c, 14.0), 400, 1e-12, "energy_at: after the latest, held (no guessing)");
        /* sampled on a timer out of phase with the records, the steps are gone */
        double prev = meter_accum_energy_at(&c, 9.3), worst = 0;
        for (double t = 9.3 + 0.25; t <= 11.0; t += 0.25) {
            double e = meter_accum_energy_at(&c, t);
            worst = fmax(worst, fabs((e - prev) / 0.25 - 100));
            prev = e;
        }
        CHECK(worst < 1e-9, "energy_at: read every 0.25 s at a steady 100 W, each step is 100 W (worst off %g)", worst);
        /* a gap: held across it, never interpolated */
        meter_accum_record(&c, 20.0, (r = watts(200), &r));
        meter_accum_record(&c, 21.0, (r = watts(200), &r));
        CHECK_NEAR(meter_accum_energy_at(&c, 16.0), 400, 1e-12, "energy_at: held across a gap");
        CHECK_NEAR(meter_accum_energy_at(&c, 19.5), 500, 1e-12, "energy_at: rising again in the record's interval");
        CHECK_NEAR(meter_accum_energy_at(&c, 20.5), 700, 1e-12, "energy_at: and in the next");
        /* the ring keeps the latest METER_ACCUM_POINTS records */
        for (int i = 0; i < 20; i++)
            meter_accum_record(&c, 22.0 + i, (r = watts(100), &r));
        CHECK(c.npoints == METER_ACCUM_POINTS && c.points[METER_ACCUM_POINTS - 1].t_s == 41.0,
              "energy_at: the ring holds the latest %d records", METER_ACCUM_POINTS);
        CHECK_NEAR(meter_accum_energy_at(&c, 40.5) + 50, meter_accum_energy_at(&c, 41.0), 1e-9,
                   "energy_at: still exact at the newest end");
    }

    /* What the timer publishes: at an agent sample s, the latest record came
     * at most one interval ago, so the counter read one interval and a
     * margin back is the true energy up to that instant, at any phase of
     * the samples against the records. True power: 100 W, then 300 W from
     * 17 s on; records each second carry each second's mean. */
    {
        double worst = 0, lag = 1.0 + 0.25;
        int checked = 0;

        for (double phase = 0.0; phase < 1.0; phase += 0.1) {
            struct meter_accum d = { .interval_s = 1.0, .max_gap_s = 3.0 };
            int k = 10;

            for (double s = 13.0 + phase; s < 30.0; s += 1.0) {
                double t = s - lag, truth = 100 * (fmin(t, 17.0) - 9.0) + 300 * fmax(t - 17.0, 0.0);
                for (; k <= s; k++)     /* only the records that came by this sample */
                    meter_accum_record(&d, k, (r = watts(k <= 17 ? 100 : 300), &r));
                worst = fmax(worst, fabs(meter_accum_energy_at(&d, t) - truth));
                checked++;
            }
        }
        CHECK(worst < 1e-9, "published: one interval + 0.25 s back, the counter is the true energy at %d "
              "samples of every phase, across a power step (worst off %g J)", checked, worst);
    }

    /* bytes to joules: a stream split at every byte, 10 records 1 s apart */
    {
        struct meter_accum b = { .interval_s = 1.0, .max_gap_s = 3.0 };
        struct wattsup_framer f;
        struct wattsup_layout layout;
        char stream[4096] = "";
        double t = 100.0, want = 0;
        int bad = 0;

        wattsup_layout_default(&layout, 18);
        wattsup_framer_reset(&f);
        for (int i = 0; i < 10; i++) {
            char rec[160];
            int w10 = 1000 + 37 * i;   /* 100.0 W upwards */
            snprintf(rec, sizeof(rec), "#d,-,18,%d,1200,833,_,_,_,_,_,_,_,_,_,_,100,_,_,_,_;\r\n", w10);
            strcat(stream, rec);
            want += w10 / 10.0;        /* each record's second */
        }
        for (size_t i = 0; stream[i]; i++) {
            size_t used;
            if (wattsup_framer_next(&f, stream + i, 1, &used) == WATTSUP_FRAME_RECORD) {
                struct wattsup_record rec;
                if (wattsup_record_parse(f.record, &rec) != WATTSUP_OK ||
                    wattsup_reading_parse(&rec, &layout, &r) != WATTSUP_OK)
                    bad++;
                else
                    meter_accum_record(&b, t, &r);
                t += 1.0;
            }
        }
        CHECK(bad == 0 && b.samples == 10, "accum: 10 records from a byte-at-a-time stream (%llu, %d bad)",
              (unsigned long long)b.samples, bad);
        CHECK_NEAR(b.energy_j, want, 1e-12, "accum: their energy is each record's W x its second");
    }
}

/* ---- the source, with no hardware ---- */

static void
test_source_no_meters(void)
{
    struct harness h;
    const char *why = NULL;
    double e;

    harness_open(&h, &meter_source, "", "[model]\nidle_watts = 5\n");
    harness_sample(&h, monotonic_seconds());
    CHECK(harness_state(&h, &why) == SOURCE_ABSENT && why && strstr(why, "no [meter NAME]"),
          "source: no [meter] sections: absent (%s)", why ? why : "(null)");
    CHECK(meter_count(h.state) == 0 && !harness_energy(&h, "meter", &e),
          "source: no meters, no power.system candidate");
    harness_close(&h);
}

static void
test_source_unplugged(void)
{
    const char *text =
        "[meter wall]\ndevice = /nonexistent/ttyUSB9\nbaud = 19200\n"
        "[meter spare]\ndevice = /dev/null\nenabled = no\n"
        "[meter broken]\nbaud = 12345\n";
    struct harness h;
    struct meter_info info;
    struct meter_total total;
    const char *why = "";
    enum source_state state = SOURCE_ACTIVE;
    double e, t0, closing;
    void *st;

    harness_open(&h, &meter_source, "", text);
    st = h.state;
    CHECK(config_error_count(h.config) == 2, "source: missing device and bad baud are config errors (%u)",
          config_error_count(h.config));
    CHECK(meter_count(st) == 3, "source: one instance per [meter] section (%zu)", meter_count(st));
    CHECK(meter_get(st, 0, &info) && strcmp(info.label, "wall") == 0 && info.enabled,
          "source: instance 0 is the first section");
    CHECK(meter_get(st, 1, &info) && strcmp(info.label, "spare") == 0 && !info.enabled && !info.connected,
          "source: a disabled meter keeps its instance");
    CHECK(meter_get(st, 2, &info) && strcmp(info.label, "broken") == 0, "source: instance 2 in config order");
    CHECK(!meter_get(st, 3, &info), "source: no instance past the end");

    /* the thread finds no device; wait for it to say so */
    t0 = monotonic_seconds();
    while (monotonic_seconds() - t0 < 5.0) {
        harness_sample(&h, monotonic_seconds());
        state = harness_state(&h, &why);
        if (strstr(why, "No such file"))
            break;
        usleep(50000);
    }
    CHECK(state == SOURCE_FAILED && strstr(why, "wall: /nonexistent/ttyUSB9: No such file") &&
          strstr(why, "broken: no device = in [meter broken]"),
          "source: why names each meter's problem (state %s: %s)", source_state_name(state), why);
    /* a few retries later, still one line of the meter's own (the source's
     * change of state may quote it too, when the thread said it before the
     * first sample: that is the status line, not a retry) */
    usleep(1300000);
    harness_sample(&h, monotonic_seconds());
    CHECK(fake_log_count("meter wall: /nonexistent/ttyUSB9") == 1,
          "source: an unplugged meter is logged once, not per retry (%d)",
          fake_log_count("meter wall: /nonexistent/ttyUSB9"));
    meter_get(st, 0, &info);
    CHECK(!info.connected && !info.live && info.samples == 0, "source: unplugged meter not connected");
    meter_get_total(st, &total);
    CHECK(!total.valid && !harness_energy(&h, "meter", &e) && !harness_energy(&h, "rapl:psys", &e),
          "source: no power.system candidate while a meter is missing");

    closing = monotonic_seconds();
    harness_close(&h);
    closing = monotonic_seconds() - closing;
    CHECK(closing < 0.5, "source: close() stops a thread in its back-off at once (%.3f s)", closing);
}

int
main(void)
{
    test_framer();
    test_parse();
    test_commands();
    test_accum();
    test_source_no_meters();
    test_source_unplugged();
    return CHECK_DONE();
}
