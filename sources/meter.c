#include "meter.h"
#include "config.h"
#include "reader.h"

#include <errno.h>
#include <libserialport.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define REPLY_S         2.0     /* "The Meter will be expected to respond within two seconds" (I.9) */
#define PACE_S          1.0     /* between commands that have no documented reply */
#define RETRY_MIN_S     1.0
#define POLL_MS         500
#define KICK_MIN_S      10.0    /* silent this long: ask the meter to log again */
#define WRITE_MS        1000
#define ZERO_READS_LOST 3       /* readable but no bytes, again and again: hung up */
#define LAG_MARGIN_S    0.25    /* beyond a logging interval: serial and scheduling delays */

static const int known_bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };

enum meter_problem {
    PROBLEM_NONE,
    PROBLEM_ABSENT,     /* no device there (unplugged): may come back */
    PROBLEM_FAILED      /* there but unusable: permissions, not a meter, bad config */
};

/* What a reader thread says once (reader_say_once): per connection, the
 * first three; the others until the meter answers, so the retries of a
 * meter that never does say nothing new. */
enum meter_said {
    SAID_BAD_INPUT,
    SAID_REFUSED,
    SAID_NO_RECORD_IN_ANY_FORM,
    SAID_NO_HEADER,
    SAID_ASKING_FORM,                   /* + the form: one for each form tried */
};

/* What a meter's reader thread and the timer both see. */
struct meter_view {
    struct meter_accum acc;
    bool               connected;
    bool               starting;      /* logging asked for, forms still being tried: not stalled yet */
    double             connected_s;   /* when the latest handshake finished */
    uint64_t           errors;
    enum meter_problem problem;
    struct notice      reason;        /* why it is not delivering: logged when it changes */
};

struct meter {
    /* fixed at open */
    char        label[64];
    char        device[PATH_MAX];
    int         baud;
    unsigned    interval_s;
    double      stall_cfg_s;        /* 0: 3 agent intervals */
    double      retry_max_s;
    bool        enabled;
    bool        usable;             /* enabled, configured, its thread running */

    char        who[80];            /* "meter LABEL: ", its log lines' start */

    /* the reader thread's own, across connections */
    unsigned    log_form;           /* the log-start form that last brought records */

    /* the reader thread and what it shares, under the reader's lock */
    struct reader    reader;
    struct meter_view shared;
    double           stall_s;       /* set by the timer, read by the thread */

    /* the timer's copy, read by fetch: main thread only */
    struct meter_view view;
    bool             live, stalled;
    struct notice    stall;         /* logged when a stall starts, cleared when records return */
    uint64_t         errors_counted;   /* view.errors already added to the source's status */
    double           silent_s;
    double           energy_j;      /* the counter as the timer publishes it (meter_accum_energy_at) */
};

struct meter_state {
    struct source_env env;
    struct meter      meters[METER_MAX];
    size_t            nmeters;
    double            last_sample_s;
    double            agent_interval_s;
    bool              sampled;
    struct source_status status;
};

/* The reader thread's private end of one connection. */
struct meter_link {
    struct sp_port       *port;
    int                   fd;
    char                  real[PATH_MAX];
    struct wattsup_framer framer;
    struct wattsup_layout layout;
    bool                  have_layout;
    bool                  layout_guessed;   /* no header: the documented layout for the field count */
    bool                  connected;    /* the meter answered (header or first record) */
    int                   zero_reads;
    double                last_rx_s;
    uint64_t              records;      /* accepted on this connection */

    /* waiting for the reply to one command (paced_command) */
    char                  awaiting;     /* its reply's command letter; 0: none documented */
    bool                  answered, refused;

    /* external logging: asked for in one form, then the next if no record comes */
    bool                  logging_asked;  /* records before this answer an earlier session */
    bool                  forms_done;
    unsigned              form;
    unsigned              forms_tried;    /* in this round, starting from the one that last worked */
    unsigned              rounds;         /* rounds finished: later ones are not logged */
    double                form_sent_s;
    uint64_t              form_records;   /* records when the form was sent */
    char                  lost[PATH_MAX + 160];   /* why the connection ended */
};

enum link_result { LINK_CONNECTED, LINK_FAILED, LINK_LOST, LINK_STOPPED };

double
meter_accum_record(struct meter_accum *a, double t_s, const struct wattsup_reading *r)
{
    double span = a->interval_s > 0 ? a->interval_s : 1.0, start = t_s - span, added;
    struct meter_point *p;

    if (a->have) {
        bool follows = a->joined && (a->max_gap_s <= 0 || t_s - a->last_s <= a->max_gap_s);

        if (a->joined && !follows)
            a->gaps++;      /* a silence: what the meter measured then is lost */
        /* following records cover the time between them, so delivery
         * jitter cancels out; nothing is ever counted twice */
        if (follows || start < a->last_s)
            start = a->last_s;
        if (start > t_s)
            start = t_s;
    }
    added = r->watts > 0 ? r->watts * (t_s - start) : 0;
    if (a->npoints == METER_ACCUM_POINTS) {
        memmove(&a->points[0], &a->points[1], (METER_ACCUM_POINTS - 1) * sizeof(a->points[0]));
        a->npoints--;
    }
    p = &a->points[a->npoints++];
    p->start_s = start;
    p->t_s = t_s;
    p->energy_start_j = a->energy_j;
    a->energy_j += added;
    p->energy_j = a->energy_j;
    a->last = *r;
    a->last_s = t_s;
    a->have = true;
    a->joined = true;
    a->samples++;
    return added;
}

void
meter_accum_break(struct meter_accum *a)
{
    if (a->joined)
        a->gaps++;
    a->joined = false;
}

double
meter_accum_energy_at(const struct meter_accum *a, double t_s)
{
    const struct meter_point *p = a->points;
    unsigned n = a->npoints;

    if (n == 0)
        return a->energy_j;
    for (unsigned i = 0; i < n; i++) {
        if (t_s <= p[i].start_s)
            return p[i].energy_start_j;     /* before it, or in a gap before it */
        if (t_s < p[i].t_s)
            return p[i].energy_start_j +
                   (p[i].energy_j - p[i].energy_start_j) * (t_s - p[i].start_s) / (p[i].t_s - p[i].start_s);
    }
    return p[n - 1].energy_j;
}

/* ---- the reader thread: no PCP calls below, messages go through the queue ---- */

/* strerror() may share a buffer between threads; strerror_r (GNU) does not */
struct errtext {
    char text[128];
};

static const char *
errtext(int err, struct errtext *buf)
{
    return strerror_r(err, buf->text, sizeof(buf->text));
}

static void problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Say why the meter is not delivering; logged when the reason changes, so a
 * meter left unplugged is one line in the log, not one per retry. */
static void
problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
{
    char text[NOTICE_TEXT];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    reader_lock(&m->reader);
    m->shared.problem = kind;
    reader_unlock(&m->reader);
    reader_note(&m->reader, &m->shared.reason, LOG_WARNING, m->who, "%s", text);
}

static void
count_error(struct meter *m)
{
    reader_lock(&m->reader);
    m->shared.errors++;
    reader_unlock(&m->reader);
}

/* Bytes from the line, printable, for a log message. */
static void
printable(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < size; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

static void
bad_input(struct meter *m, const char *what, const char *bytes, size_t len)
{
    char text[120];

    count_error(m);
    if (reader_told(&m->reader, SAID_BAD_INPUT))
        return;
    printable(bytes, len > 60 ? 60 : len, text, sizeof(text));
    reader_say_once(&m->reader, SAID_BAD_INPUT, LOG_WARNING, "meter %s: %s: \"%s\" (skipped; further "
                    "bad input on this connection is only counted in power.meter.errors)", m->label, what, text);
}

enum wait_result { WAIT_STOP, WAIT_READY, WAIT_HUP, WAIT_TIMEOUT };

/* Wait for the line (fd < 0: only for the stop signal) or the timeout. */
static enum wait_result
wait_for(struct meter *m, int fd, int timeout_ms, short *revents)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    switch (reader_poll(&m->reader, &p, 1, timeout_ms)) {
    case READER_STOP:
        return WAIT_STOP;
    case READER_TIMEOUT:
        return WAIT_TIMEOUT;
    case READER_READY:
        break;
    }
    *revents = p.revents;
    return p.revents & POLLIN ? WAIT_READY : WAIT_HUP;
}

static bool
send_command(struct meter_link *link, const char *cmd)
{
    size_t len = strlen(cmd);
    enum sp_return sts = sp_blocking_write(link->port, cmd, len, WRITE_MS);
    struct errtext e;

    if (sts < 0 || (size_t)sts != len) {
        snprintf(link->lost, sizeof(link->lost), "cannot write to %s (%s)", link->real,
                 sts < 0 ? errtext(sp_last_error_code(), &e) : "timed out");
        return false;     /* the caller drops the connection, which counts the error */
    }
    return true;
}

/* The handshake is done: the meter answered its header, or (when it does
 * not answer headers) sent its first record. */
static void
mark_connected(struct meter *m, struct meter_link *link, double now)
{
    link->connected = true;
    /* it answers: what its retries kept quiet about may be said again */
    reader_forget(&m->reader, SAID_NO_HEADER);
    for (unsigned form = 0; form < WATTSUP_LOG_FORMS; form++)
        reader_forget(&m->reader, SAID_ASKING_FORM + form);
    reader_lock(&m->reader);
    m->shared.connected = true;
    m->shared.connected_s = now;
    m->shared.problem = PROBLEM_NONE;
    notice_clear(&m->shared.reason);
    reader_unlock(&m->reader);
    reader_say(&m->reader, LOG_INFO, "meter %s: connected on %s at %d baud, %d fields%s, logging every %u s",
        m->label, link->real, m->baud, link->layout.nfields,
        link->layout_guessed ? " (documented layout: no header)" : "", m->interval_s);
}

static void
set_starting(struct meter *m, bool starting)
{
    reader_lock(&m->reader);
    m->shared.starting = starting;
    reader_unlock(&m->reader);
}

static void
handle_data(struct meter *m, struct meter_link *link, const struct wattsup_record *rec, const char *text)
{
    struct wattsup_reading reading;
    enum wattsup_status sts;
    double now;

    if (!link->logging_asked)
        return;     /* left over from logging before this connection asked for it */
    if (!link->have_layout) {
        /* old RS-232 meters do not answer #H,R,0;: their records' field
         * count tells which documented layout they use */
        if (wattsup_layout_for_record(rec, &link->layout) != WATTSUP_OK) {
            bad_input(m, "a record with no header to name its fields (not 16 or 18 of them)",
                      text, strlen(text));
            return;
        }
        link->have_layout = true;
        link->layout_guessed = true;
    }
    if ((sts = wattsup_reading_parse(rec, &link->layout, &reading)) != WATTSUP_OK) {
        bad_input(m, wattsup_status_message(sts), text, strlen(text));
        return;
    }
    now = link->last_rx_s = monotonic_seconds();
    link->records++;
    reader_lock(&m->reader);
    m->shared.acc.max_gap_s = m->stall_s;
    meter_accum_record(&m->shared.acc, now, &reading);
    reader_unlock(&m->reader);
    if (!link->connected)
        mark_connected(m, link, now);
    if (!link->forms_done) {
        link->forms_done = true;
        link->rounds++;
        m->log_form = link->form;
        set_starting(m, false);
    }
}

static void
handle_record(struct meter *m, struct meter_link *link, const char *text)
{
    struct wattsup_record rec;
    enum wattsup_status sts;

    if ((sts = wattsup_record_parse(text, &rec)) != WATTSUP_OK) {
        bad_input(m, wattsup_status_message(sts), text, strlen(text));
        return;
    }
    if (rec.cmd == 'v')
        link->refused = true;   /* the reply to any command the firmware does not take */
    if (link->awaiting && (rec.cmd == link->awaiting || rec.cmd == 'v'))
        link->answered = true;
    if (rec.cmd == 'h') {
        struct wattsup_layout layout;
        if ((sts = wattsup_layout_from_header(&rec, &layout)) != WATTSUP_OK)
            bad_input(m, wattsup_status_message(sts), text, strlen(text));
        else {
            link->layout = layout;
            link->have_layout = true;
            link->layout_guessed = false;
        }
    } else if (rec.cmd == 'd')
        handle_data(m, link, &rec, text);
    /* others answer our commands: "#n" to #C,W, "#v" to what was refused */
}

static void
handle_bytes(struct meter *m, struct meter_link *link, const char *buf, size_t len)
{
    while (len > 0) {
        size_t used = 0;
        enum wattsup_frame ev = wattsup_framer_next(&link->framer, buf, len, &used);

        switch (ev) {
        case WATTSUP_FRAME_RECORD:
            handle_record(m, link, link->framer.record);
            break;
        case WATTSUP_FRAME_GARBAGE: {
            /* show the noise from its first byte up to the record that follows it */
            const char *run = buf + used - 1, *next = memchr(run, '#', len - used + 1);
            bad_input(m, "line noise outside any record (wrong baud rate?)", run,
                      next ? (size_t)(next - run) : len - used + 1);
            break;
        }
        case WATTSUP_FRAME_CUT:
            bad_input(m, "record cut short", link->framer.record, strlen(link->framer.record));
            break;
        case WATTSUP_FRAME_TOO_LONG:
            bad_input(m, "record too long", link->framer.record, strlen(link->framer.record));
            break;
        case WATTSUP_FRAME_NONE:
            break;
        }
        buf += used;
        len -= used;
    }
}

/* Read what the line has. False when the connection is gone (link->lost says why). */
static bool
read_line(struct meter *m, struct meter_link *link, short revents)
{
    char buf[512];
    int n = sp_nonblocking_read(link->port, buf, sizeof(buf));
    struct errtext e;

    if (n < 0) {
        snprintf(link->lost, sizeof(link->lost), "read error on %s (%s)", link->real,
                 errtext(sp_last_error_code(), &e));
        return false;
    }
    if (n > 0) {
        link->zero_reads = 0;
        handle_bytes(m, link, buf, (size_t)n);
    } else if (++link->zero_reads >= ZERO_READS_LOST) {
        /* a hung-up tty polls readable and reads end-of-file */
        snprintf(link->lost, sizeof(link->lost), "%s hung up", link->real);
        return false;
    }
    if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
        snprintf(link->lost, sizeof(link->lost), "%s hung up", link->real);
        return false;
    }
    return true;
}

static enum link_result
open_port(struct meter *m, struct meter_link *link)
{
    struct sp_port_config *config = NULL;
    struct errtext e;
    enum sp_return sts;
    int err;

    /* resolved at every attempt: a /dev/serial/by-id link may now point at another ttyUSBn */
    if (!realpath(m->device, link->real)) {
        err = errno;
        problem(m, err == ENOENT || err == ENOTDIR ? PROBLEM_ABSENT : PROBLEM_FAILED,
                "%s: %s (is the meter plugged in?)", m->device, errtext(err, &e));
        return LINK_FAILED;
    }
    if (sp_get_port_by_name(link->real, &link->port) != SP_OK) {
        link->port = NULL;
        problem(m, PROBLEM_FAILED, "%s is not a serial port", link->real);
        return LINK_FAILED;
    }
    if (sp_open(link->port, SP_MODE_READ_WRITE) != SP_OK) {
        err = sp_last_error_code();
        sp_free_port(link->port);
        link->port = NULL;
        if (err == EACCES || err == EPERM)
            problem(m, PROBLEM_FAILED, "cannot open %s: permission denied: add the agent's "
                    "user to the dialout group, or run it as root (-U root)", link->real);
        else
            problem(m, err == ENOENT || err == ENODEV || err == ENXIO ? PROBLEM_ABSENT : PROBLEM_FAILED,
                    "cannot open %s: %s", link->real, errtext(err, &e));
        return LINK_FAILED;
    }
    /* raw 8N1, no flow control: the WattsUp's FTDI line */
    sts = sp_new_config(&config);
    if (sts == SP_OK) sts = sp_set_config_baudrate(config, m->baud);
    if (sts == SP_OK) sts = sp_set_config_bits(config, 8);
    if (sts == SP_OK) sts = sp_set_config_parity(config, SP_PARITY_NONE);
    if (sts == SP_OK) sts = sp_set_config_stopbits(config, 1);
    if (sts == SP_OK) sts = sp_set_config_flowcontrol(config, SP_FLOWCONTROL_NONE);
    if (sts == SP_OK) sts = sp_set_config(link->port, config);
    if (config)
        sp_free_config(config);
    if (sts == SP_OK)
        sts = sp_get_port_handle(link->port, &link->fd);
    if (sts != SP_OK) {
        problem(m, PROBLEM_FAILED, "cannot set %s to %d baud 8N1: %s", link->real, m->baud,
                errtext(sp_last_error_code(), &e));
        return LINK_FAILED;
    }
    sp_flush(link->port, SP_BUF_BOTH);
    return LINK_CONNECTED;
}

/* Read and handle the line (records go on counting) for up to timeout_s,
 * or until until_answered and the awaited reply came. */
static enum link_result
serve_line(struct meter *m, struct meter_link *link, double timeout_s, bool until_answered)
{
    double deadline = monotonic_seconds() + timeout_s;

    for (;;) {
        double left = deadline - monotonic_seconds();
        short revents = 0;

        if (left <= 0 || (until_answered && link->answered))
            return LINK_CONNECTED;
        switch (wait_for(m, link->fd, (int)(left * 1000) + 1, &revents)) {
        case WAIT_STOP:
            return LINK_STOPPED;
        case WAIT_TIMEOUT:
            break;
        case WAIT_READY:
        case WAIT_HUP:
            if (!read_line(m, link, revents))
                return LINK_LOST;
            break;
        }
    }
}

/* Send one command and wait for its reply (the reply's command letter;
 * 0 when the protocol documents none) or the timeout, before the next: a
 * meter erasing its memory after #C,W drops what it is sent meanwhile. */
static enum link_result
paced_command(struct meter *m, struct meter_link *link, const char *cmd, char reply, double timeout_s)
{
    enum link_result r;

    link->awaiting = reply;
    link->answered = link->refused = false;
    if (!send_command(link, cmd))
        return LINK_LOST;
    r = serve_line(m, link, timeout_s, reply != 0);
    link->awaiting = 0;
    if (r == LINK_CONNECTED && link->refused)
        reader_say_once(&m->reader, SAID_REFUSED, LOG_WARNING, "meter %s: it refused %s (answered #v, "
                        "its reply to commands it does not take)", m->label, cmd);
    return r;
}

/* Ask for external logging in the current form; read_records moves on to
 * the next form if no record comes. */
static enum link_result
ask_logging(struct meter *m, struct meter_link *link)
{
    char cmd[64];

    if (wattsup_format_log_start(link->form, m->interval_s, cmd, sizeof(cmd)) < 0) {
        snprintf(link->lost, sizeof(link->lost), "cannot format the logging command");
        return LINK_LOST;
    }
    link->refused = false;
    if (!send_command(link, cmd))
        return LINK_LOST;
    link->logging_asked = true;
    link->forms_done = false;
    link->forms_tried++;
    link->form_sent_s = monotonic_seconds();
    link->form_records = link->records;
    return LINK_CONNECTED;
}

/* Header, field choice and logging, each after the reply to the one before.
 * A meter that already logs, or just erased its memory, must not be sent
 * the next command blind: it would drop it. */
static enum link_result
ask_header_and_logging(struct meter *m, struct meter_link *link)
{
    char choose[160];
    enum link_result r;

    r = paced_command(m, link, WATTSUP_CMD_HEADER, 'h', REPLY_S);
    if (r == LINK_CONNECTED && link->have_layout && !link->layout_guessed) {
        if (wattsup_format_choose(&link->layout, choose, sizeof(choose)) < 0) {
            snprintf(link->lost, sizeof(link->lost), "cannot format the field choice");
            return LINK_LOST;
        }
        /* clears the meter's logging memory ("#C,W", section II); reply "#n,-,1,<limit>;" */
        r = paced_command(m, link, choose, 'n', REPLY_S);
    }
    if (r == LINK_CONNECTED) {
        link->form = m->log_form;
        link->forms_tried = 0;
        r = ask_logging(m, link);
    }
    return r;
}

/* Stop any logging left running, then header, fields, logging. The header
 * tells the field order (16 or 18 fields); without one the first record's
 * field count will. */
static enum link_result
handshake(struct meter *m, struct meter_link *link)
{
    enum link_result r;

    wattsup_framer_reset(&link->framer);
    link->have_layout = false;
    r = paced_command(m, link, WATTSUP_CMD_LOG_STOP, 0, PACE_S);
    if (r == LINK_CONNECTED)
        r = ask_header_and_logging(m, link);
    if (r != LINK_CONNECTED)
        return r;
    set_starting(m, true);
    link->last_rx_s = monotonic_seconds();
    if (link->have_layout)
        mark_connected(m, link, monotonic_seconds());
    else
        reader_say_once(&m->reader, SAID_NO_HEADER, LOG_INFO, "meter %s: no header from %s (old "
                        "RS-232 meters send none): waiting for records to tell their field count",
                        m->label, link->real);
    return LINK_CONNECTED;
}

/* No record since logging was asked for: ask in the next form (round from
 * the one that last worked), and after the last one say so (a meter that
 * answered its header is then stalled; one that answered nothing at all is
 * not a meter at this baud rate). */
static enum link_result
next_log_form(struct meter *m, struct meter_link *link)
{
    char tried[64];

    if (wattsup_format_log_start(link->form, m->interval_s, tried, sizeof(tried)) < 0)
        tried[0] = '\0';
    if (link->forms_tried < WATTSUP_LOG_FORMS) {
        char next[64];

        link->form = (link->form + 1) % WATTSUP_LOG_FORMS;
        if (wattsup_format_log_start(link->form, m->interval_s, next, sizeof(next)) >= 0 &&
            link->rounds == 0)
            reader_say_once(&m->reader, SAID_ASKING_FORM + link->form, LOG_INFO, "meter %s: no record "
                            "after %s%s: asking with %s", m->label, tried, link->refused ? " (refused)" : "",
                            next);
        return ask_logging(m, link);
    }
    link->forms_done = true;
    link->rounds++;
    set_starting(m, false);
    if (!link->connected) {
        count_error(m);
        problem(m, PROBLEM_FAILED, "no answer from %s at %d baud, neither to the header request "
                "nor to logging requests: is it a WattsUp, at this rate? Current USB meters talk at "
                "115200 baud, older USB units at 19200, RS-232 meters at 9600 (baud = in [meter %s])",
                link->real, m->baud, m->label);
        return LINK_FAILED;
    }
    reader_say_once(&m->reader, SAID_NO_RECORD_IN_ANY_FORM, LOG_WARNING, "meter %s: no record after "
                    "asking for logging in each of %d forms", m->label, WATTSUP_LOG_FORMS);
    return LINK_CONNECTED;
}

static enum link_result
read_records(struct meter *m, struct meter_link *link)
{
    double last_kick_s = monotonic_seconds();

    for (;;) {
        short revents = 0;
        double now, stall_s, kick_s;
        enum link_result r = LINK_CONNECTED;
        struct stat sb;

        switch (wait_for(m, link->fd, POLL_MS, &revents)) {
        case WAIT_STOP:
            return LINK_STOPPED;
        case WAIT_READY:
        case WAIT_HUP:
            if (!read_line(m, link, revents))
                return LINK_LOST;
            break;
        case WAIT_TIMEOUT:
            /* a USB adapter pulled out may leave no hangup behind, only a missing node */
            if (stat(link->real, &sb) < 0) {
                snprintf(link->lost, sizeof(link->lost), "%s vanished", link->real);
                return LINK_LOST;
            }
            break;
        }
        now = monotonic_seconds();
        /* the first record comes one interval after the request, within the
         * protocol's reply time; a refusal (#v) needs no waiting */
        if (!link->forms_done && link->records == link->form_records &&
            (link->refused || now - link->form_sent_s > m->interval_s + REPLY_S))
            r = next_log_form(m, link);
        if (r != LINK_CONNECTED)
            return r;

        /* A meter that lost mains power restarts with logging off while its
         * USB side stays up: after a long silence, ask it to log again. */
        reader_lock(&m->reader);
        stall_s = m->stall_s;
        reader_unlock(&m->reader);
        kick_s = fmax(KICK_MIN_S, 2 * stall_s);
        if (link->forms_done && now - link->last_rx_s > kick_s && now - last_kick_s > kick_s) {
            last_kick_s = now;
            reader_say(&m->reader, LOG_INFO, "meter %s: silent for %.0f s: asking it to log again",
                m->label, now - link->last_rx_s);
            if ((r = ask_header_and_logging(m, link)) != LINK_CONNECTED)
                return r;
        }
    }
}

static void
close_link(struct meter_link *link)
{
    if (link->port) {
        sp_close(link->port);
        sp_free_port(link->port);
        link->port = NULL;
    }
}

static void
lose_connection(struct meter *m, struct meter_link *link)
{
    reader_lock(&m->reader);
    m->shared.connected = false;
    m->shared.starting = false;
    m->shared.errors++;
    meter_accum_break(&m->shared.acc);
    reader_unlock(&m->reader);
    problem(m, PROBLEM_ABSENT, "lost: %s; reopening", link->lost[0] ? link->lost : "line dropped");
}

static void
meter_thread(struct reader *reader, void *arg)
{
    struct meter *m = arg;
    double backoff_s = RETRY_MIN_S;

    while (!reader_stopping(reader)) {
        struct meter_link link;
        enum link_result r;
        bool worked = false;

        memset(&link, 0, sizeof(link));
        link.fd = -1;
        /* each connection says its first bad input, refusal and silence again */
        reader_forget(reader, SAID_BAD_INPUT);
        reader_forget(reader, SAID_REFUSED);
        reader_forget(reader, SAID_NO_RECORD_IN_ANY_FORM);
        r = open_port(m, &link);
        if (r == LINK_CONNECTED)
            r = handshake(m, &link);
        if (r == LINK_CONNECTED) {
            r = read_records(m, &link);
            if (r == LINK_STOPPED)
                (void)send_command(&link, WATTSUP_CMD_LOG_STOP);   /* leave the meter quiet */
        }
        /* unplugged after working: the first retry comes quickly */
        worked = link.connected;
        if (worked)
            backoff_s = RETRY_MIN_S;
        if (r == LINK_LOST)
            lose_connection(m, &link);
        else {
            reader_lock(reader);
            m->shared.connected = false;
            m->shared.starting = false;
            reader_unlock(reader);
        }
        close_link(&link);
        if (r == LINK_STOPPED || reader_sleep(reader, backoff_s))
            break;
        if (!worked)
            backoff_s = fmin(backoff_s * 2, m->retry_max_s);
    }
    reader_lock(reader);
    m->shared.connected = false;
    reader_unlock(reader);
}

/* ---- the timer's side ---- */

static bool
valid_baud(double baud)
{
    for (size_t i = 0; i < sizeof(known_bauds) / sizeof(known_bauds[0]); i++)
        if (baud == known_bauds[i])
            return true;
    return false;
}

static void
configure_meter(struct meter_state *st, struct meter *m, const char *name)
{
    struct power_config *cfg = st->env.config;
    char section[128];
    const char *device;
    double baud, interval;

    snprintf(section, sizeof(section), "meter %s", name);
    snprintf(m->label, sizeof(m->label), "%s", name);
    snprintf(m->who, sizeof(m->who), "meter %s: ", m->label);
    m->enabled = config_bool(cfg, section, "enabled", true);
    device = config_string(cfg, section, "device", NULL);
    baud = config_double(cfg, section, "baud", 115200, 300, 4000000);
    interval = config_double(cfg, section, "interval", 1, 1, 3600);
    m->stall_cfg_s = config_double(cfg, section, "stall_timeout", 0, 0, 86400);
    m->retry_max_s = config_double(cfg, section, "retry_max", 30, RETRY_MIN_S, 3600);
    if (!valid_baud(baud)) {
        config_bad_value(cfg, section, "baud", "one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200");
        baud = 115200;
    }
    if (interval != floor(interval)) {
        config_bad_value(cfg, section, "interval", "whole seconds from 1 to 3600");
        interval = 1;
    }
    m->baud = (int)baud;
    m->interval_s = (unsigned)interval;
    m->usable = m->enabled;
    if (strlen(name) >= sizeof(m->label)) {
        st->env.log(LOG_WARNING, "config: [meter %s]: the label is longer than %zu characters; "
                    "the meter is not used", name, sizeof(m->label) - 1);
        snprintf(m->view.reason.text, sizeof(m->view.reason.text), "label too long");
        m->view.problem = PROBLEM_FAILED;
        m->usable = false;
    }
    if (!device || !*device || strlen(device) >= sizeof(m->device)) {
        config_bad_value(cfg, section, "device", "the meter's serial device, such as /dev/ttyUSB0");
        snprintf(m->view.reason.text, sizeof(m->view.reason.text), "no device = in [meter %s]", name);
        m->view.problem = PROBLEM_FAILED;
        m->usable = false;
    } else
        snprintf(m->device, sizeof(m->device), "%s", device);
}

static void *
meter_open(const struct source_env *env)
{
    struct meter_state *st = calloc(1, sizeof(*st));
    const char *names[METER_MAX + 1];
    size_t n, nenabled = 0;

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "meter", env->log);
    st->agent_interval_s = 1.0;
    n = config_named_sections(env->config, "meter", names, METER_MAX + 1);
    if (n > METER_MAX) {
        env->log(LOG_WARNING, "config: more than %d [meter NAME] sections: only the first %d are used",
                 METER_MAX, METER_MAX);
        n = METER_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        struct meter *m = &st->meters[i];

        configure_meter(st, m, names[i]);
        if (!reader_init(&m->reader)) {
            m->usable = false;
            snprintf(m->view.reason.text, sizeof(m->view.reason.text), "cannot create its reader's lock or pipe");
            continue;
        }
        m->stall_s = 3 * fmax(st->agent_interval_s, m->interval_s);
        m->shared.acc.interval_s = m->interval_s;
        if (m->usable && !reader_start(&m->reader, meter_thread, m)) {
            m->usable = false;
            m->view.problem = PROBLEM_FAILED;
            snprintf(m->view.reason.text, sizeof(m->view.reason.text), "cannot start its reader thread");
            env->log(LOG_ERR, "meter %s: cannot start its reader thread", m->label);
        }
    }
    st->nmeters = n;
    for (size_t i = 0; i < n; i++)
        nenabled += st->meters[i].enabled;
    if (n == 0)
        status_set(&st->status, SOURCE_ABSENT, "no [meter NAME] section in the config");
    else if (nenabled == 0)
        status_set(&st->status, SOURCE_DISABLED, "every [meter NAME] section says enabled = no");
    else
        status_set(&st->status, SOURCE_ABSENT, "connecting to %zu meter%s", nenabled, nenabled == 1 ? "" : "s");
    return st;
}

static void
append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static void
sample_meter(struct meter_state *st, struct meter *m, double now)
{
    double stall_s, since;

    stall_s = m->stall_cfg_s > 0 ? m->stall_cfg_s : 3 * fmax(st->agent_interval_s, m->interval_s);
    reader_lock(&m->reader);
    m->stall_s = stall_s;
    m->view = m->shared;
    reader_unlock(&m->reader);
    reader_drain(&m->reader, st->env.log, m->who);
    /* the thread counts its meter's errors (power.meter.errors); the source's are their sum */
    status_count(&st->status, m->view.errors - m->errors_counted);
    m->errors_counted = m->view.errors;

    since = m->view.connected_s;
    if (m->view.acc.have && m->view.acc.last_s > since)
        since = m->view.acc.last_s;
    m->silent_s = now - since;
    /* A record tells the energy up to its arrival, and the latest arrived
     * at most one logging interval (plus delivery delay) ago: the counter
     * is exact as of then, at every sample alike, so it does not step in
     * phase with the records. max() keeps it a counter if a record is late. */
    if (m->view.acc.have) {
        double e = meter_accum_energy_at(&m->view.acc, now - m->interval_s - LAG_MARGIN_S);
        if (e > m->energy_j)
            m->energy_j = e;
    }
    m->live = m->view.connected && m->view.acc.have && m->view.acc.last_s >= m->view.connected_s &&
              m->silent_s <= stall_s;
    m->stalled = m->view.connected && !m->view.starting && !m->live && m->silent_s > stall_s;
    if (m->stalled)
        notice_once(&m->stall, st->env.log, LOG_WARNING, "", "meter %s: stalled: no record for %.1f s "
                    "(limit %.1f s); its power has no value until records return",
                    m->label, m->silent_s, stall_s);
    else if (m->live && notice_is_set(&m->stall)) {
        notice_clear(&m->stall);
        st->env.log(LOG_INFO, "meter %s: records again after a stall", m->label);
    }
}

static void
meter_sample(void *state, const struct sample_time *now)
{
    struct meter_state *st = state;
    size_t nenabled = 0, nlive = 0;
    bool failed = false;
    char why[STATUS_REASON] = "";

    if (st->sampled && now->mono_s > st->last_sample_s)
        st->agent_interval_s = now->mono_s - st->last_sample_s;
    st->last_sample_s = now->mono_s;
    st->sampled = true;

    for (size_t i = 0; i < st->nmeters; i++) {
        struct meter *m = &st->meters[i];

        if (!m->enabled)
            continue;
        nenabled++;
        if (m->usable)
            sample_meter(st, m, now->mono_s);
        if (m->live) {
            nlive++;
            continue;
        }
        append(why, sizeof(why), "%s%s: ", why[0] ? "; " : "", m->label);
        if (m->stalled) {
            failed = true;
            append(why, sizeof(why), "stalled: no record for %.1f s", m->silent_s);
        } else if (m->view.connected)
            append(why, sizeof(why), "connected, waiting for the first record");
        else if (notice_is_set(&m->view.reason)) {
            failed |= m->view.problem == PROBLEM_FAILED;
            append(why, sizeof(why), "%s", m->view.reason.text);
        } else
            append(why, sizeof(why), "connecting");
    }
    if (st->nmeters == 0 || nenabled == 0)
        return;     /* as open() said */
    /* some meters live: active, and the reason names the meters that are not */
    status_set(&st->status, nlive > 0 ? SOURCE_ACTIVE : failed ? SOURCE_FAILED : SOURCE_ABSENT, "%s", why);
}

static void
meter_close(void *state)
{
    struct meter_state *st = state;

    if (!st)
        return;
    /* all at once: each thread leaves its meter quiet (#L,R) as it stops */
    for (size_t i = 0; i < st->nmeters; i++)
        reader_ask_stop(&st->meters[i].reader);
    for (size_t i = 0; i < st->nmeters; i++) {
        reader_stop(&st->meters[i].reader);
        reader_fini(&st->meters[i].reader);
    }
    free(st);
}

static const struct source_status *
meter_status(const void *state)
{
    return &((const struct meter_state *)state)->status;
}

size_t
meter_count(const struct meter_state *st)
{
    return st->nmeters;
}

bool
meter_get(const struct meter_state *st, size_t index, struct meter_info *info)
{
    const struct meter *m;
    const struct wattsup_reading *r;

    if (index >= st->nmeters)
        return false;
    m = &st->meters[index];
    r = &m->view.acc.last;
    memset(info, 0, sizeof(*info));
    info->label = m->label;
    info->device = m->device;
    info->enabled = m->enabled;
    info->connected = m->view.connected;
    info->live = m->enabled && m->live;
    info->stalled = m->enabled && m->stalled;
    info->energy_j = m->energy_j;
    info->power_w = r->watts;
    info->voltage_v = r->volts;
    info->current_a = r->amps;
    info->power_factor = r->power_factor;
    info->has_voltage = r->has_volts;
    info->has_current = r->has_amps;
    info->has_power_factor = r->has_power_factor;
    info->samples = m->view.acc.samples;
    info->errors = m->view.errors;
    return true;
}

void
meter_get_total(const struct meter_state *st, struct meter_total *total)
{
    size_t nenabled = 0;
    bool all_live = true;

    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < st->nmeters; i++) {
        const struct meter *m = &st->meters[i];
        if (!m->enabled)
            continue;
        nenabled++;
        all_live &= m->live;
        total->energy_j += m->energy_j;
        total->power_w += m->view.acc.last.watts;
    }
    total->valid = nenabled > 0 && all_live;
}

static const struct system_candidate meter_candidates[] = {
    { "meter", true },      /* at the wall: everything the host draws */
    { NULL, false }
};

static bool
meter_system_energy(const void *state, size_t candidate, double *energy_j)
{
    struct meter_total total;

    if (candidate != 0)
        return false;
    meter_get_total(state, &total);
    *energy_j = total.energy_j;
    return total.valid;
}

const struct source_ops meter_source = {
    .name = "meter",
    .candidates = meter_candidates,
    .open = meter_open,
    .sample = meter_sample,
    .close = meter_close,
    .status = meter_status,
    .system_energy = meter_system_energy,
};
