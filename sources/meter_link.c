/*
 * meter_link.c: a meter's reader thread (see meter_link.h): the handshake,
 * one command at a time after the reply to the one before, the logging
 * forms, reading records, and reopening a lost line with back-off.
 */
#include "meter_link.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#define REPLY_S         2.0     /* "The Meter will be expected to respond within two seconds" (I.9) */
#define PACE_S          1.0     /* between commands that have no documented reply */
#define POLL_MS         500
#define KICK_MIN_S      10.0    /* silent this long: ask the meter to log again */

/* Send one command and wait for its reply (the reply's command letter;
 * 0 when the protocol documents none) or the timeout, before the next: a
 * meter erasing its memory after #C,W drops what it is sent meanwhile. */
static enum link_result
paced_command(struct meter *m, struct meter_link *link, const char *cmd, char reply, double timeout_s)
{
    enum link_result r;

    link->awaiting = reply;
    link->answered = link->refused = false;
    if (!line_send(link, cmd))
        return LINK_LOST;
    r = line_serve(m, link, timeout_s, reply != 0);
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
    if (!line_send(link, cmd))
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
    line_set_starting(m, true);
    link->last_rx_s = monotonic_seconds();
    if (link->have_layout)
        line_mark_connected(m, link, monotonic_seconds());
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
    line_set_starting(m, false);
    if (!link->connected) {
        line_count_error(m);
        line_problem(m, PROBLEM_FAILED, "no answer from %s at %d baud, neither to the header request "
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

        switch (line_wait(m, link->fd, POLL_MS, &revents)) {
        case WAIT_STOP:
            return LINK_STOPPED;
        case WAIT_READY:
        case WAIT_HUP:
            if (!line_read(m, link, revents))
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

void
meter_link_thread(struct reader *reader, void *arg)
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
        r = line_open(m, &link);
        if (r == LINK_CONNECTED)
            r = handshake(m, &link);
        if (r == LINK_CONNECTED) {
            r = read_records(m, &link);
            if (r == LINK_STOPPED)
                (void)line_send(&link, WATTSUP_CMD_LOG_STOP);   /* leave the meter quiet */
        }
        /* unplugged after working: the first retry comes quickly */
        worked = link.connected;
        if (worked)
            backoff_s = RETRY_MIN_S;
        if (r == LINK_LOST)
            line_lost(m, &link);
        else {
            reader_lock(reader);
            m->shared.connected = false;
            m->shared.starting = false;
            reader_unlock(reader);
        }
        line_close(&link);
        if (r == LINK_STOPPED || reader_sleep(reader, backoff_s))
            break;
        if (!worked)
            backoff_s = fmin(backoff_s * 2, m->retry_max_s);
    }
    reader_lock(reader);
    m->shared.connected = false;
    reader_unlock(reader);
}
