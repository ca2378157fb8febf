/*
 * options.h: a command's command line, read the PCP way. pmGetOptions(3)
 * takes -h HOST and -a ARCHIVE (one source of metrics, from one place),
 * rejects unknown options and missing arguments, and writes the usage from
 * the command's pmLongOptions, --help included. What pmpower reads in its
 * own way stays its own: -S and -T are kept as text for pp_parse_time (ISO
 * times with fractions, live windows from now), -t is a PCP duration that
 * must be positive where a command says so, counts are counted here.
 */
#ifndef PMPOWER_OPTIONS_H
#define PMPOWER_OPTIONS_H

#include <stdbool.h>

#include "pmctx.h"

/* The rows every command's pmLongOptions start and end with: the source of
 * metrics (a live host, or an archive), then the command's own, then help. */
#define PP_OPTIONS_SOURCE \
    PMAPI_OPTIONS_HEADER("Options"), PMOPT_HOST, PMOPT_ARCHIVE
/* a live host only: -a is read, to be refused with the command's live_only reason */
#define PP_OPTIONS_LIVE \
    PMAPI_OPTIONS_HEADER("Options"), PMOPT_HOST, { PMLONGOPT_ARCHIVE, 1, 'a', "FILE", NULL }
#define PP_OPTIONS_END \
    PMOPT_HELP, PMAPI_OPTIONS_END

/* The help line under -S/-T: the times pp_parse_time reads. */
#define PP_OPT_TIME_TEXT \
    PMAPI_OPTIONS_TEXT("TIME: PCP time (-10min, +30s, @ Sat Nov 21 10:00:00 2026) or ISO with"), \
    PMAPI_OPTIONS_TEXT("      fractions (2026-02-04 10:15:25.123456, ...T10:15:25Z, ...+01:00)")

/* What the options leave for the command. */
struct pp_args {
    const char *start, *finish;   /* -S and -T as given (NULL: not given) */
    double      interval;         /* -t in seconds, when have_interval */
    bool        have_interval;
    int         argc;             /* the operands after the options */
    char      **argv;
    /* several sources (pp_command_line.several_archives): each -a, a farm's
     * directory standing for its hosts' directories (farm.h); NULL when
     * there is one source, which is then the open context */
    char      **archives;
    size_t      narchives;
};

struct pp_command_line {
    const char    *synopsis;        /* "report [-h HOST | -a ARCHIVE] ...", after "Usage: pmpower " */
    const char    *short_options;   /* getopt's letters, '?' last; a leading '+' stops at the first operand */
    pmLongOptions *long_options;    /* every option has a long name; the usage is written from these */
    bool           operands;        /* operands may follow the options */
    const char    *live_only;       /* when set, -a is refused with this reason */
    bool           several_archives; /* -a may come more than once, or name a farm's directory */
    /* The command's own options, by long name: 0, or 2 after saying what is wrong. */
    int          (*option)(void *state, const char *name, const char *arg);
    /* What must hold before the context opens (NULL: nothing): 0, or the
     * exit status after saying what is wrong. */
    int          (*check)(void *state, const struct pp_args *args);
    void          *state;
};

/*
 * Read argv (argv[0] is the command's name), check it, open the context on
 * the host or archive given (local: by default). True when the command is
 * to run: ctx is open (the command pp_closes it) and *status 0; or, for
 * several archives, args->archives lists them and ctx is not open (the
 * command opens each; pp_args_free releases the list). False when
 * it is done: *status is the exit status, 0 after --help, 1 when the
 * context cannot be opened, 2 for a usage error.
 */
bool pp_options_parse(int argc, char **argv, const struct pp_command_line *cl,
                      struct pp_args *args, struct pp_ctx *ctx, int *status);

/* What pp_options_parse left in args (the list of several archives). */
void pp_args_free(struct pp_args *args);

/* A count from 1 to max (what names the option in the message): 0, or 2 after a message. */
int pp_parse_count(const char *text, const char *what, long max, long *out);

#endif
