/*
 * meter_line.c: one connection to a meter, on its reader thread (see
 * meter_link.h): the port, the bytes, the records into the counter.
 */
#include "meter_link.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define WRITE_MS        1000
#define ZERO_READS_LOST 3       /* readable but no bytes, again and again: hung up */

/* strerror() may share a buffer between threads; strerror_r (GNU) does not */
struct errtext {
    char text[128];
};

static const char *
errtext(int err, struct errtext *buf)
{
    return strerror_r(err, buf->text, sizeof(buf->text));
}

/* Say why the meter is not delivering; logged when the reason changes, so a
 * meter left unplugged is one line in the log, not one per retry. */
void
line_problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
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

void
line_count_error(struct meter *m)
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

    line_count_error(m);
    if (reader_told(&m->reader, SAID_BAD_INPUT))
        return;
    printable(bytes, len > 60 ? 60 : len, text, sizeof(text));
    reader_say_once(&m->reader, SAID_BAD_INPUT, LOG_WARNING, "meter %s: %s: \"%s\" (skipped; further "
                    "bad input on this connection is only counted in power.meter.errors)", m->label, what, text);
}


/* Wait for the line (fd < 0: only for the stop signal) or the timeout. */
enum wait_result
line_wait(struct meter *m, int fd, int timeout_ms, short *revents)
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

bool
line_send(struct meter_link *link, const char *cmd)
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
void
line_mark_connected(struct meter *m, struct meter_link *link, double now)
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

void
line_set_starting(struct meter *m, bool starting)
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
        line_mark_connected(m, link, now);
    if (!link->forms_done) {
        link->forms_done = true;
        link->rounds++;
        m->log_form = link->form;
        line_set_starting(m, false);
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
bool
line_read(struct meter *m, struct meter_link *link, short revents)
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

enum link_result
line_open(struct meter *m, struct meter_link *link)
{
    struct sp_port_config *config = NULL;
    struct errtext e;
    enum sp_return sts;
    int err;

    /* resolved at every attempt: a /dev/serial/by-id link may now point at another ttyUSBn */
    if (!realpath(m->device, link->real)) {
        err = errno;
        line_problem(m, err == ENOENT || err == ENOTDIR ? PROBLEM_ABSENT : PROBLEM_FAILED,
                "%s: %s (is the meter plugged in?)", m->device, errtext(err, &e));
        return LINK_FAILED;
    }
    if (sp_get_port_by_name(link->real, &link->port) != SP_OK) {
        link->port = NULL;
        line_problem(m, PROBLEM_FAILED, "%s is not a serial port", link->real);
        return LINK_FAILED;
    }
    if (sp_open(link->port, SP_MODE_READ_WRITE) != SP_OK) {
        err = sp_last_error_code();
        sp_free_port(link->port);
        link->port = NULL;
        if (err == EACCES || err == EPERM)
            line_problem(m, PROBLEM_FAILED, "cannot open %s: permission denied: add the agent's "
                    "user to the dialout group, or run it as root (-U root)", link->real);
        else
            line_problem(m, err == ENOENT || err == ENODEV || err == ENXIO ? PROBLEM_ABSENT : PROBLEM_FAILED,
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
        line_problem(m, PROBLEM_FAILED, "cannot set %s to %d baud 8N1: %s", link->real, m->baud,
                errtext(sp_last_error_code(), &e));
        return LINK_FAILED;
    }
    sp_flush(link->port, SP_BUF_BOTH);
    return LINK_CONNECTED;
}

/* Read and handle the line (records go on counting) for up to timeout_s,
 * or until until_answered and the awaited reply came. */
enum link_result
line_serve(struct meter *m, struct meter_link *link, double timeout_s, bool until_answered)
{
    double deadline = monotonic_seconds() + timeout_s;

    for (;;) {
        double left = deadline - monotonic_seconds();
        short revents = 0;

        if (left <= 0 || (until_answered && link->answered))
            return LINK_CONNECTED;
        switch (line_wait(m, link->fd, (int)(left * 1000) + 1, &revents)) {
        case WAIT_STOP:
            return LINK_STOPPED;
        case WAIT_TIMEOUT:
            break;
        case WAIT_READY:
        case WAIT_HUP:
            if (!line_read(m, link, revents))
                return LINK_LOST;
            break;
        }
    }
}

void
line_close(struct meter_link *link)
{
    if (link->port) {
        sp_close(link->port);
        sp_free_port(link->port);
        link->port = NULL;
    }
}

void
line_lost(struct meter *m, struct meter_link *link)
{
    reader_lock(&m->reader);
    m->shared.connected = false;
    m->shared.starting = false;
    m->shared.errors++;
    meter_accum_break(&m->shared.acc);
    reader_unlock(&m->reader);
    line_problem(m, PROBLEM_ABSENT, "lost: %s; reopening", link->lost[0] ? link->lost : "line dropped");
}
