/*
 * wattsup.h: the WattsUp? Pro serial protocol as pure functions (no I/O),
 * so every byte sequence a meter can send is unit-tested exactly.
 *
 * The protocol is the vendor's "Serial Data Format $Revision: 4.41"
 * (Communications_Protocol_v442.pdf; a text copy is in the WattsUp-Daemon
 * CPAN distribution, doc/wattsup_spec_v442.txt). Section numbers below are
 * that document's.
 *
 * Messages either way are "#<cmd>,<sub>,<argc>[,<arg>...];" (I.3-I.6). No
 * argument may be empty (I.4): "#L,W,3,E,,1;" is refused by strict firmware,
 * which answers "#v,..." (the reply to any command it does not take, II
 * "Version request") and ignores it. Asked with "#H,R,0;", the meter names
 * its record fields in a header
 * "#h,-,18,W,V,A,WH,Cost,WH/Mo,Cost/Mo,Wmax,Vmax,Amax,Wmin,Vmin,Amin,PF,DC,PC,Hz,VA;"
 * (older firmware: 16 fields, no Hz and VA). "#C,W,18,<flags>;" chooses the
 * fields it fills (and clears the logging memory; reply "#n,-,1,<limit>;"),
 * "#L,W,3,E,<reserved>,<seconds>;" starts external logging and "#L,R,0;"
 * stops it. While logging it sends one record per interval,
 * "#d,-,18,<W*10>,<V*10>,<A*1000>,...;", in the header's field order, with
 * "_" for fields not chosen.
 *
 * Every character outside a packet is ignored (I.3): line ends, NULs, and
 * the banner a meter prints when it powers up ("EED05F01 $Revision: 4.41 $
 * 200612212301 60Hz 120V", I.7) are not errors. Carriage return, line feed
 * and tab inside a packet are ignored too (I.4). Data is ASCII (I.2), so a
 * byte that is not (a control character other than those, or one with the
 * high bit set) is line noise, or a line at the wrong baud rate: the framer
 * skips it and reports each run once so it can be counted.
 */
#ifndef POWER_WATTSUP_H
#define POWER_WATTSUP_H

#include <stdbool.h>
#include <stddef.h>

#define WATTSUP_MAX_RECORD 256      /* an 18-field record is under 120 bytes */
#define WATTSUP_MAX_FIELDS 32

#define WATTSUP_CMD_HEADER   "#H,R,0;"
#define WATTSUP_CMD_LOG_STOP "#L,R,0;"

enum wattsup_status {
    WATTSUP_OK = 0,
    WATTSUP_ERR_SYNTAX = -1,    /* not "#c,s,n,...;" */
    WATTSUP_ERR_COUNT = -2,     /* argc disagrees with the fields sent, or with the header */
    WATTSUP_ERR_VALUE = -3,     /* a field is neither an integer nor "_" */
    WATTSUP_ERR_NO_WATTS = -4,  /* a data record with "_" for W */
    WATTSUP_ERR_HEADER = -5     /* a header naming no W field */
};

const char *wattsup_status_message(enum wattsup_status status);

enum wattsup_frame {
    WATTSUP_FRAME_NONE,         /* input used up, no record complete yet */
    WATTSUP_FRAME_RECORD,       /* framer->record holds one "#...;" record */
    WATTSUP_FRAME_GARBAGE,      /* line noise outside any record (reported once per run) */
    WATTSUP_FRAME_CUT,          /* a record cut short by the next '#' (in record, for messages) */
    WATTSUP_FRAME_TOO_LONG      /* longer than WATTSUP_MAX_RECORD: skipped to the next '#' */
};

struct wattsup_framer {
    char   record[WATTSUP_MAX_RECORD + 1];   /* NUL-terminated when a record is returned */
    size_t len;
    bool   in_record;
    bool   skipping;            /* in a garbage run or an overlong record already reported */
};

void wattsup_framer_reset(struct wattsup_framer *f);

/* Consume bytes from data[0..len) until one event; *used says how many were
 * consumed (a '#' that cuts a record is left for the next call). Call again
 * with the rest until it returns WATTSUP_FRAME_NONE. A record may span any
 * number of calls. ASCII text and NULs between records are skipped silently;
 * CR, LF and tab inside a record are dropped; any other control or non-ASCII
 * byte inside a record becomes '?', so the record fails to parse. */
enum wattsup_frame wattsup_framer_next(struct wattsup_framer *f, const char *data,
                                       size_t len, size_t *used);

struct wattsup_record {
    char        cmd;            /* 'd' data, 'h' header, others ignored */
    char        sub;
    int         argc;
    const char *field[WATTSUP_MAX_FIELDS];   /* blank-trimmed, point into text */
    char        text[WATTSUP_MAX_RECORD + 1];
};

enum wattsup_status wattsup_record_parse(const char *text, struct wattsup_record *rec);

/* The fields a meter can send, in the documented order. */
enum wattsup_field {
    WATTSUP_W, WATTSUP_V, WATTSUP_A, WATTSUP_WH, WATTSUP_COST, WATTSUP_WH_MO,
    WATTSUP_COST_MO, WATTSUP_WMAX, WATTSUP_VMAX, WATTSUP_AMAX, WATTSUP_WMIN,
    WATTSUP_VMIN, WATTSUP_AMIN, WATTSUP_PF, WATTSUP_DC, WATTSUP_PC, WATTSUP_HZ,
    WATTSUP_VA,
    WATTSUP_NFIELDS
};

/* Where each field sits in a record, as the meter's header says. */
struct wattsup_layout {
    int nfields;                    /* fields per record */
    int index[WATTSUP_NFIELDS];     /* position of each field; -1 when not sent */
};

/* The documented order for nfields fields (18, or 16 on older firmware). */
void wattsup_layout_default(struct wattsup_layout *layout, int nfields);
/* For a data record that came with no header (old RS-232 meters do not
 * answer "#H,R,0;"): the documented layout for its field count, which must
 * be 16 or 18; otherwise WATTSUP_ERR_COUNT. */
enum wattsup_status wattsup_layout_for_record(const struct wattsup_record *rec,
                                              struct wattsup_layout *layout);
enum wattsup_status wattsup_layout_from_header(const struct wattsup_record *header,
                                               struct wattsup_layout *layout);

struct wattsup_reading {
    double watts;
    double volts;               /* valid when has_volts */
    double amps;
    double power_factor;        /* 0..1 (the meter sends percent) */
    bool   has_volts, has_amps, has_power_factor;
};

/* A 'd' record under a layout. Every field must be an integer or "_", so
 * line noise that kept the shape of a record is still caught. */
enum wattsup_status wattsup_reading_parse(const struct wattsup_record *rec,
                                          const struct wattsup_layout *layout,
                                          struct wattsup_reading *out);

/* "#C,W,<n>,<flags>;" choosing W, V, A and PF; returns the length, or -1
 * when size is too small. */
int wattsup_format_choose(const struct wattsup_layout *layout, char *buf, size_t size);

/* "#L,W,3,E,<reserved>,<interval>;": external logging every interval_s
 * seconds. The <reserved> argument is undocumented and firmware differ, so
 * there are forms to try in turn: 0 is "1", as Mochel's wattsup.c,
 * upower's up-device-wup.c, kwapi's drivers/wattsup.py and energymon send
 * it; 1 is "0" and 2 is "-", the forms of a power-test meter driver
 * (watts_up.c, RCS Id 1.1.1.1 2007/02/07) that sends "#L,W,3,E,0,1;" and,
 * when no data comes, "Trying alternate command format" "#L,W,3,E,-,1;". Returns the length, or -1 for a
 * form past WATTSUP_LOG_FORMS or a short buffer. */
#define WATTSUP_LOG_FORMS 3
int wattsup_format_log_start(unsigned form, unsigned interval_s, char *buf, size_t size);

#endif
