/*
 * pmGetOptions as PCP 6.0.3 and 6.3.8 have it (src/libpcp/src/getopt.c,
 * the same file in both): it calls pmSetProgname(argv[0]) on its first
 * call; the override hook sees every option before PCP acts on it, and a
 * non-zero return hands that option back to the caller untouched; -h and
 * -a each refuse the other ("only one host or archive allowed"); errors are
 * queued with pmprintf and written by pmUsageMessage's pmflush (stderr).
 * PCP's own -S would be refused without an archive (__pmEndOptions: "time
 * window options are supported for archives only"), and PCP would read
 * -S/-T itself only in pmGetContextOptions, which pmpower never calls.
 */
#include "options.h"
#include "farm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* opts.optopt while no error was seen: pmgetopt_r sets optopt only on an
 * error, so a '?' with it still here is -? or --help */
#define NO_ERROR_SEEN (-1)

/* read_options' answer when the command is to run */
#define RUN (-1)

/* PCP keeps -h, -a and -T; every other option comes back to pmpower. */
static int
pass_back(int c, pmOptions *opts)
{
    (void)opts;
    return c != 'h' && c != 'a' && c != 'T';
}

/* pmUsageMessage writes through pmflush to stderr: the help the user asked
 * for goes to stdout, as a reply rather than a complaint. */
static void
usage(pmOptions *opts, bool asked)
{
    int saved = -1;

    fflush(stdout);
    if (asked && (saved = dup(STDERR_FILENO)) >= 0)
        dup2(STDOUT_FILENO, STDERR_FILENO);
    pmUsageMessage(opts);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
}

/* The long name of what pmgetopt_r returned: every pmpower option has one. */
static const char *
long_name(const pmOptions *opts, int c)
{
    if (c == 0)
        return opts->long_options[opts->index].long_opt;
    for (const pmLongOptions *o = opts->long_options; o->long_opt; o++)
        if (o->short_opt == c && o->long_opt[0])
            return o->long_opt;
    return "";
}

/* One option pmpower reads itself: 0, or the exit status. */
static int
take_option(const struct pp_command_line *cl, const pmOptions *opts, int c, struct pp_args *args)
{
    switch (c) {
    case 'S':
        args->start = opts->optarg;
        return 0;
    case 't':
        if (pp_parse_interval(opts->optarg, "-t", &args->interval) < 0)
            return 2;
        args->have_interval = true;
        return 0;
    default:
        return cl->option ? cl->option(cl->state, long_name(opts, c), opts->optarg) : 0;
    }
}

/* Each -a, a farm's directory as its hosts' directories, listed in args.
 * 0, or -1 out of memory. */
static int
several_sources(const pmOptions *opts, struct pp_args *args)
{
    char **list = NULL;
    size_t n = 0;

    for (int i = 0; i < opts->narchives; i++)
        if (farm_expand(opts->archives[i], &list, &n) < 0) {
            farm_free(list, n);
            return -1;
        }
    args->archives = list;
    args->narchives = n;
    return 0;
}

/* Returns RUN or an exit status; opts is to be released either way. */
static int
read_options(int argc, char **argv, const char *command, const struct pp_command_line *cl,
             pmOptions *opts, struct pp_args *args)
{
    int c, sts;

    memset(opts, 0, sizeof(*opts));
    opts->short_options = cl->short_options;
    opts->long_options = cl->long_options;
    opts->short_usage = cl->synopsis;
    opts->override = pass_back;
    /* PCP then keeps each -a apart instead of joining them into one context */
    if (cl->several_archives)
        opts->flags |= PM_OPTFLAG_MULTI;
    memset(args, 0, sizeof(*args));
    for (;;) {
        opts->optopt = NO_ERROR_SEEN;
        if ((c = pmGetOptions(argc, argv, opts)) == EOF)
            break;
        if (c == '?') {
            usage(opts, opts->optopt == NO_ERROR_SEEN);
            return opts->optopt == NO_ERROR_SEEN ? 0 : 2;
        }
        if ((sts = take_option(cl, opts, c, args)) != 0)
            return sts;
    }
    if (opts->nhosts > 1) {
        pmprintf("%s: only one host (-h) at a time\n", pmGetProgname());
        opts->errors++;
    }
    if (opts->errors) {
        usage(opts, false);
        return 2;
    }
    if (opts->narchives && cl->live_only) {
        fprintf(stderr, "%s: %s\n", pmGetProgname(), cl->live_only);
        return 2;
    }
    if (!cl->operands && opts->optind < argc) {
        pmprintf("%s: %s: unexpected argument \"%s\"\n", pmGetProgname(), command, argv[opts->optind]);
        usage(opts, false);
        return 2;
    }
    args->finish = opts->finish_optarg;
    args->argc = argc - opts->optind;
    args->argv = argv + opts->optind;
    if (cl->several_archives && several_sources(opts, args) < 0) {
        fprintf(stderr, "%s: out of memory listing the archives\n", pmGetProgname());
        return 1;
    }
    if (cl->check && (sts = cl->check(cl->state, args)) != 0)
        return sts;
    return RUN;
}

void
pp_args_free(struct pp_args *args)
{
    farm_free(args->archives, args->narchives);
    args->archives = NULL;
    args->narchives = 0;
}

bool
pp_options_parse(int argc, char **argv, const struct pp_command_line *cl,
                 struct pp_args *args, struct pp_ctx *ctx, int *status)
{
    char *command = argv[0];
    pmOptions opts;
    int sts;

    /* pmGetOptions names the program after argv[0]: keep it pmpower */
    argv[0] = (char *)pmGetProgname();
    sts = read_options(argc, argv, command, cl, &opts, args);
    argv[0] = command;
    if (sts == RUN && args->narchives > 1)
        ctx->handle = -1;
    else if (sts == RUN) {
        /* one source: the archive given, or the one host a farm's directory holds */
        const char *archive = args->narchives ? args->archives[0] : opts.narchives ? opts.archives[0] : NULL;
        if (pp_open(ctx, opts.nhosts ? opts.hosts[0] : NULL, archive) < 0)
            sts = 1;
        pp_args_free(args);
    }
    /* PCP strdup'd the archive names (one comma-joined string, or one per
     * -a with PM_OPTFLAG_MULTI), which pmFreeOptions leaves (it frees the arrays) */
    for (int i = 0; i < opts.narchives; i++)
        free(opts.archives[i]);
    pmFreeOptions(&opts);
    if (sts != RUN)
        pp_args_free(args);
    *status = sts == RUN ? 0 : sts;
    return sts == RUN;
}

int
pp_parse_count(const char *text, const char *what, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < 1 || v > max) {
        if (max >= INT_MAX)
            fprintf(stderr, "%s: %s takes a count (1 or more), not \"%s\"\n", pmGetProgname(), what, text);
        else
            fprintf(stderr, "%s: %s takes a count (1 to %ld), not \"%s\"\n", pmGetProgname(), what, max, text);
        return 2;
    }
    *out = v;
    return 0;
}
