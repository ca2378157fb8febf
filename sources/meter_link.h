/*
 * meter_link.h: inside the meter source, not for other modules: one meter
 * as its reader thread and the timer share it, and the serial line the
 * thread talks over.
 *
 *   meter.c        the source: config, the timer's sample(), the accessors
 *   meter_link.c   the reader thread: handshake, logging forms, reading,
 *                  reopening with back-off
 *   meter_line.c   one connection: open the port, read it, records into
 *                  the counter, send a command, wait
 *
 * The thread makes no PCP calls and does not log: what it says goes
 * through its reader's queue (reader.h), drained by the timer.
 */
#ifndef POWER_METER_LINK_H
#define POWER_METER_LINK_H

#include <libserialport.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "meter.h"
#include "meter_accum.h"
#include "reader.h"
#include "wattsup.h"

#define RETRY_MIN_S     1.0     /* the first wait before reopening; retry_max is the longest */

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

/* ---- the reader thread (meter_link.c): reader_start's body, arg the meter ---- */

void meter_link_thread(struct reader *reader, void *arg);

/* ---- one connection (meter_line.c), all on the reader thread ---- */

/* Why the meter is not delivering; logged when the reason changes, so a
 * meter left unplugged is one line in the log, not one per retry. */
void line_problem(struct meter *m, enum meter_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void line_count_error(struct meter *m);
void line_set_starting(struct meter *m, bool starting);
/* The meter answered: connected, its reason cleared. */
void line_mark_connected(struct meter *m, struct meter_link *link, double now);

enum link_result line_open(struct meter *m, struct meter_link *link);
void line_close(struct meter_link *link);
/* The connection dropped (link->lost says why): counted, a break in the counter, reopened later. */
void line_lost(struct meter *m, struct meter_link *link);

enum wait_result { WAIT_STOP, WAIT_READY, WAIT_HUP, WAIT_TIMEOUT };
/* Wait for fd (none: only the stop) up to timeout_ms. */
enum wait_result line_wait(struct meter *m, int fd, int timeout_ms, short *revents);
/* Read what the line has. False when the connection is gone (link->lost says why). */
bool line_read(struct meter *m, struct meter_link *link, short revents);
bool line_send(struct meter_link *link, const char *cmd);
/* Read and handle the line (records go on counting) for up to timeout_s,
 * or until until_answered and the awaited reply came. */
enum link_result line_serve(struct meter *m, struct meter_link *link, double timeout_s, bool until_answered);

#endif
