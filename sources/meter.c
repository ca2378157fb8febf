#include "meter.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define METER_MSGS      8       /* log lines a thread may queue between two samples */
#define METER_TEXT      320
#define REPLY_S         2.0     /* "The Meter will be expected to respond within two seconds" (I.9) */
#define PACE_S          1.0     /* between commands that have no documented reply */
#define RETRY_MIN_S     1.0
#define POLL_MS         500
#define KICK_MIN_S      10.0    /* silent this long: ask the meter to log again */
#define WRITE_MS        1000
#define ZERO_READS_LOST 3       /* readable but no bytes, again and again: hung up */
#define LAG_MARGIN_S    0.25    /* beyond a logging interval: serial and scheduling delays */

static const int known_bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };

struct meter_msg {
    int  priority;
    char text[METER_TEXT];
};

enum meter_problem {
    PROBLEM_NONE,
    PROBLEM_ABSENT,     /* no device there (unplugged): may come back */
    PROBLEM_FAILED      /* there but unusable: permissions, not a meter, bad config */
};

/* What a meter's reader thread and the timer both see. */
struct meter_view {
    struct meter_accum acc;
    bool               connected;
    bool               starting;      /* logging asked for, forms still being tried: not stalled yet */
    double             connected_s;   /* when the latest handshake finished */
    uint64_t           errors;
    enum meter_problem problem;
    char               reason[METER_TEXT];
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

    /* the reader thread's own, across connections */
    unsigned    log_form;           /* the log-start form that last brought records */
    bool        told_no_answer;     /* retries of a meter that never answered say no more */

    /* the reader thread and what it shares, under mu */
    pthread_t        thread;
    bool             started;
    int              wake[2];       /* close() writes here: the thread stops at once */
    atomic_bool      stop;
    pthread_mutex_t  mu;
    bool             mu_ready;
    struct meter_view shared;
    double           stall_s;       /* set by the timer, read by the thread */
    struct meter_msg msgs[METER_MSGS];
    unsigned         nmsgs, dropped;

    /* the timer's copy, read by fetch: main thread only */
    struct meter_view view;
    bool             live, stalled, told_stall;
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
    enum source_state state;
    char              why[1024];
};

/* The reader thread's private end of one connection. */
struct meter_link {
    struct sp_port       *port;
    int                   fd;
    char                  real[PATH_MAX];
    struct wattsup_framer framer;
    struct wattsup_layout layout;
    bool                  have_layout;
    bool                  told_bad;     /* the first bad input per connection is logged */
    bool                  layout_guessed;   /* no header: the documented layout for the field count */
    bool                  connected;    /* the meter answered (header or first record) */
    bool                  told_refused, told_forms;
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

static void say(struct meter *m, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct meter *m, int priority, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&m->mu);
    if (m->nmsgs < METER_MSGS) {
        struct meter_msg *msg = &m->msgs[m->nmsgs++];
        msg->priority = priority;
        va_start(ap, fmt);
        vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
        va_end(ap);
    } else
        m->dropped++;
    pthread_mutex_unlock(&m->mu);
}

static void problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Say why the meter is not delivering; logged when the reason changes, so a
 * meter left unplugged is one line in the log, not one per retry. */
static void
problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
{
    char text[METER_TEXT];
    bool changed;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&m->mu);
    changed = strcmp(m->shared.reason, text) != 0;
    snprintf(m->shared.reason, sizeof(m->shared.reason), "%s", text);
    m->shared.problem = kind;
    pthread_mutex_unlock(&m->mu);
    if (changed)
        say(m, LOG_WARNING, "meter %s: %s", m->label, text);
}

static void
count_error(struct meter *m)
{
    pthread_mutex_lock(&m->mu);
    m->shared.errors++;
    pthread_mutex_unlock(&m->mu);
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
bad_input(struct meter *m, struct meter_link *link, const char *what, const char *bytes, size_t len)
{
    char text[120];

    count_error(m);
    if (link->told_bad)
        return;
    link->told_bad = true;
    printable(bytes, len > 60 ? 60 : len, text, sizeof(text));
    say(m, LOG_WARNING, "meter %s: %s: \"%s\" (skipped; further bad input on this "
        "connection is only counted in power.meter.errors)", m->label, what, text);
}

enum wait_result { WAIT_STOP, WAIT_READY, WAIT_HUP, WAIT_TIMEOUT };

/* Wait for the line (fd < 0: only for the stop signal) or the timeout. */
static enum wait_result
wait_for(struct meter *m, int fd, int timeout_ms, short *revents)
{
    struct pollfd p[2] = {
        { .fd = m->wake[0], .events = POLLIN },
        { .fd = fd, .events = POLLIN },
    };
    int n;

    if (atomic_load(&m->stop))
        return WAIT_STOP;
    n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
    if (atomic_load(&m->stop) || (n > 0 && p[0].revents))
        return WAIT_STOP;
    if (n <= 0)
        return WAIT_TIMEOUT;    /* EINTR counts as a short timeout */
    *revents = p[1].revents;
    if (p[1].revents & POLLIN)
        return WAIT_READY;
    return WAIT_HUP;
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
    m->told_no_answer = false;
    pthread_mutex_lock(&m->mu);
    m->shared.connected = true;
    m->shared.connected_s = now;
    m->shared.problem = PROBLEM_NONE;
    m->shared.reason[0] = '\0';
    pthread_mutex_unlock(&m->mu);
    say(m, LOG_INFO, "meter %s: connected on %s at %d baud, %d fields%s, logging every %u s",
        m->label, link->real, m->baud, link->layout.nfields,
        link->layout_guessed ? " (documented layout: no header)" : "", m->interval_s);
}

static void
set_starting(struct meter *m, bool starting)
{
    pthread_mutex_lock(&m->mu);
    m->shared.starting = starting;
    pthread_mutex_unlock(&m->mu);
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
            bad_input(m, link, "a record with no header to name its fields (not 16 or 18 of them)",
                      text, strlen(text));
            return;
        }
        link->have_layout = true;
        link->layout_guessed = true;
    }
    if ((sts = wattsup_reading_parse(rec, &link->layout, &reading)) != WATTSUP_OK) {
        bad_input(m, link, wattsup_status_message(sts), text, strlen(text));
        return;
    }
    now = link->last_rx_s = monotonic_seconds();
    link->records++;
    pthread_mutex_lock(&m->mu);
    m->shared.acc.max_gap_s = m->stall_s;
    meter_accum_record(&m->shared.acc, now, &reading);
    pthread_mutex_unlock(&m->mu);
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
        bad_input(m, link, wattsup_status_message(sts), text, strlen(text));
        return;
    }
    if (rec.cmd == 'v')
        link->refused = true;   /* the reply to any command the firmware does not take */
    if (link->awaiting && (rec.cmd == link->awaiting || rec.cmd == 'v'))
        link->answered = true;
    if (rec.cmd == 'h') {
        struct wattsup_layout layout;
        if ((sts = wattsup_layout_from_header(&rec, &layout)) != WATTSUP_OK)
            bad_input(m, link, wattsup_status_message(sts), text, strlen(text));
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
            bad_input(m, link, "line noise outside any record (wrong baud rate?)", run,
                      next ? (size_t)(next - run) : len - used + 1);
            break;
        }
        case WATTSUP_FRAME_CUT:
            bad_input(m, link, "record cut short", link->framer.record, strlen(link->framer.record));
            break;
        case WATTSUP_FRAME_TOO_LONG:
            bad_input(m, link, "record too long", link->framer.record, strlen(link->framer.record));
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
    if (r == LINK_CONNECTED && link->refused && !link->told_refused) {
        link->told_refused = true;
        say(m, LOG_WARNING, "meter %s: it refused %s (answered #v, its reply to commands it does "
            "not take)", m->label, cmd);
    }
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
    else if (!m->told_no_answer)
        say(m, LOG_INFO, "meter %s: no header from %s (old RS-232 meters send none): waiting for "
            "records to tell their field count", m->label, link->real);
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
            link->rounds == 0 && !m->told_no_answer)
            say(m, LOG_INFO, "meter %s: no record after %s%s: asking with %s", m->label, tried,
                link->refused ? " (refused)" : "", next);
        return ask_logging(m, link);
    }
    link->forms_done = true;
    link->rounds++;
    set_starting(m, false);
    if (!link->connected) {
        m->told_no_answer = true;
        count_error(m);
        problem(m, PROBLEM_FAILED, "no answer from %s at %d baud, neither to the header request "
                "nor to logging requests: is it a WattsUp, at this rate? Current USB meters talk at "
                "115200 baud, older USB units at 19200, RS-232 meters at 9600 (baud = in [meter %s])",
                link->real, m->baud, m->label);
        return LINK_FAILED;
    }
    if (!link->told_forms) {
        link->told_forms = true;
        say(m, LOG_WARNING, "meter %s: no record after asking for logging in each of %d forms",
            m->label, WATTSUP_LOG_FORMS);
    }
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
        pthread_mutex_lock(&m->mu);
        stall_s = m->stall_s;
        pthread_mutex_unlock(&m->mu);
        kick_s = fmax(KICK_MIN_S, 2 * stall_s);
        if (link->forms_done && now - link->last_rx_s > kick_s && now - last_kick_s > kick_s) {
            last_kick_s = now;
            say(m, LOG_INFO, "meter %s: silent for %.0f s: asking it to log again",
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
    pthread_mutex_lock(&m->mu);
    m->shared.connected = false;
    m->shared.starting = false;
    m->shared.errors++;
    meter_accum_break(&m->shared.acc);
    pthread_mutex_unlock(&m->mu);
    problem(m, PROBLEM_ABSENT, "lost: %s; reopening", link->lost[0] ? link->lost : "line dropped");
}

static void *
meter_thread(void *arg)
{
    struct meter *m = arg;
    double backoff_s = RETRY_MIN_S;

    while (!atomic_load(&m->stop)) {
        struct meter_link link;
        enum link_result r;
        bool worked = false;
        short ignored;

        memset(&link, 0, sizeof(link));
        link.fd = -1;
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
            pthread_mutex_lock(&m->mu);
            m->shared.connected = false;
            m->shared.starting = false;
            pthread_mutex_unlock(&m->mu);
        }
        close_link(&link);
        if (r == LINK_STOPPED)
            break;
        if (wait_for(m, -1, (int)(backoff_s * 1000), &ignored) == WAIT_STOP)
            break;
        if (!worked)
            backoff_s = fmin(backoff_s * 2, m->retry_max_s);
    }
    pthread_mutex_lock(&m->mu);
    m->shared.connected = false;
    pthread_mutex_unlock(&m->mu);
    return NULL;
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

static bool
start_thread(struct meter *m)
{
    sigset_t all, old;
    int sts;

    if (pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        m->wake[0] = m->wake[1] = -1;
        return false;
    }
    /* signals belong to the agent's main loop, never to a reader thread */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    sts = pthread_create(&m->thread, NULL, meter_thread, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    m->started = sts == 0;
    return m->started;
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
        snprintf(m->view.reason, sizeof(m->view.reason), "label too long");
        m->view.problem = PROBLEM_FAILED;
        m->usable = false;
    }
    if (!device || !*device || strlen(device) >= sizeof(m->device)) {
        config_bad_value(cfg, section, "device", "the meter's serial device, such as /dev/ttyUSB0");
        snprintf(m->view.reason, sizeof(m->view.reason), "no device = in [meter %s]", name);
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
    st->agent_interval_s = 1.0;
    n = config_named_sections(env->config, "meter", names, METER_MAX + 1);
    if (n > METER_MAX) {
        env->log(LOG_WARNING, "config: more than %d [meter NAME] sections: only the first %d are used",
                 METER_MAX, METER_MAX);
        n = METER_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        struct meter *m = &st->meters[i];

        m->wake[0] = m->wake[1] = -1;
        atomic_init(&m->stop, false);
        configure_meter(st, m, names[i]);
        if (pthread_mutex_init(&m->mu, NULL) != 0) {
            m->usable = false;
            snprintf(m->view.reason, sizeof(m->view.reason), "cannot create a mutex");
            continue;
        }
        m->mu_ready = true;
        m->stall_s = 3 * fmax(st->agent_interval_s, m->interval_s);
        m->shared.acc.interval_s = m->interval_s;
        if (m->usable && !start_thread(m)) {
            m->usable = false;
            m->view.problem = PROBLEM_FAILED;
            snprintf(m->view.reason, sizeof(m->view.reason), "cannot start its reader thread");
            env->log(LOG_ERR, "meter %s: cannot start its reader thread", m->label);
        }
    }
    st->nmeters = n;
    for (size_t i = 0; i < n; i++)
        nenabled += st->meters[i].enabled;
    st->state = nenabled || n == 0 ? SOURCE_ABSENT : SOURCE_DISABLED;
    if (n == 0)
        snprintf(st->why, sizeof(st->why), "no [meter NAME] section in the config");
    else if (nenabled == 0)
        snprintf(st->why, sizeof(st->why), "every [meter NAME] section says enabled = no");
    else
        snprintf(st->why, sizeof(st->why), "connecting to %zu meter%s", nenabled, nenabled == 1 ? "" : "s");
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
    struct meter_msg msgs[METER_MSGS];
    unsigned nmsgs, dropped;
    double stall_s, since;

    stall_s = m->stall_cfg_s > 0 ? m->stall_cfg_s : 3 * fmax(st->agent_interval_s, m->interval_s);
    pthread_mutex_lock(&m->mu);
    m->stall_s = stall_s;
    m->view = m->shared;
    nmsgs = m->nmsgs;
    memcpy(msgs, m->msgs, nmsgs * sizeof(msgs[0]));
    dropped = m->dropped;
    m->nmsgs = m->dropped = 0;
    pthread_mutex_unlock(&m->mu);

    for (unsigned i = 0; i < nmsgs; i++)
        st->env.log(msgs[i].priority, "%s", msgs[i].text);
    if (dropped)
        st->env.log(LOG_WARNING, "meter %s: %u more messages dropped", m->label, dropped);

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
    if (m->stalled && !m->told_stall) {
        m->told_stall = true;
        st->env.log(LOG_WARNING, "meter %s: stalled: no record for %.1f s (limit %.1f s); "
                    "its power has no value until records return", m->label, m->silent_s, stall_s);
    } else if (m->live && m->told_stall) {
        m->told_stall = false;
        st->env.log(LOG_INFO, "meter %s: records again after a stall", m->label);
    }
}

static void
meter_sample(void *state, const struct sample_time *now)
{
    struct meter_state *st = state;
    size_t nenabled = 0, nlive = 0;
    bool failed = false;
    char why[sizeof(st->why)] = "";

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
        else if (m->view.reason[0]) {
            failed |= m->view.problem == PROBLEM_FAILED;
            append(why, sizeof(why), "%s", m->view.reason);
        } else
            append(why, sizeof(why), "connecting");
    }
    if (st->nmeters == 0)
        return;
    if (nenabled == 0) {
        st->state = SOURCE_DISABLED;
        snprintf(st->why, sizeof(st->why), "every [meter NAME] section says enabled = no");
        return;
    }
    if (nlive == nenabled)
        st->state = SOURCE_ACTIVE;
    else if (nlive > 0)
        st->state = SOURCE_ACTIVE;     /* why names the meters that are not */
    else
        st->state = failed ? SOURCE_FAILED : SOURCE_ABSENT;
    snprintf(st->why, sizeof(st->why), "%s", why);
}

static void
meter_close(void *state)
{
    struct meter_state *st = state;

    if (!st)
        return;
    for (size_t i = 0; i < st->nmeters; i++) {
        struct meter *m = &st->meters[i];
        if (m->started) {
            atomic_store(&m->stop, true);
            if (write(m->wake[1], "x", 1) < 0) {
                /* the flag alone stops it within one poll timeout */
            }
        }
    }
    for (size_t i = 0; i < st->nmeters; i++) {
        struct meter *m = &st->meters[i];
        if (m->started)
            pthread_join(m->thread, NULL);
        if (m->wake[0] >= 0)
            close(m->wake[0]);
        if (m->wake[1] >= 0)
            close(m->wake[1]);
        if (m->mu_ready)
            pthread_mutex_destroy(&m->mu);
    }
    free(st);
}

static enum source_state
meter_state(void *state, const char **why)
{
    struct meter_state *st = state;

    *why = st->why;
    return st->state;
}

static uint64_t
meter_errors(void *state)
{
    struct meter_state *st = state;
    uint64_t n = 0;

    for (size_t i = 0; i < st->nmeters; i++)
        n += st->meters[i].view.errors;
    return n;
}

size_t
meter_count(void *state)
{
    return ((struct meter_state *)state)->nmeters;
}

bool
meter_get(void *state, size_t index, struct meter_info *info)
{
    struct meter_state *st = state;
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
meter_get_total(void *state, struct meter_total *total)
{
    struct meter_state *st = state;
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

static bool
meter_system_energy(void *state, const char *candidate, double *energy_j)
{
    struct meter_total total;

    if (strcmp(candidate, "meter") != 0)
        return false;
    meter_get_total(state, &total);
    *energy_j = total.energy_j;
    return total.valid;
}

const struct source_ops meter_source = {
    .name = "meter",
    .open = meter_open,
    .sample = meter_sample,
    .close = meter_close,
    .state = meter_state,
    .errors = meter_errors,
    .system_energy = meter_system_energy,
};
