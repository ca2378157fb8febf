/*
 * mark.c: pmpower mark: a program marks its own phases while it runs.
 * Each mark is stored into the agent (power.phase.mark, "start|end EPOCH
 * LABEL"), which keeps the latest marks as power.phase.log instances for
 * pmlogger to log; pmpower report --phases archive pairs them later.
 */
#include "child.h"
#include "commands.h"
#include "options.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int
store_mark(struct pp_ctx *c, const char *verb, const char *label)
{
    struct pp_metric mark = { .name = "power.phase.mark" };
    char text[512];
    pmResult *r;
    pmValueSet *vs;
    int sts;

    if (pp_lookup(&mark, 1) != 1) {
        fprintf(stderr, "%s: the agent on \"%s\" keeps no phase marks (no power.phase.mark): "
                "update pcp-power there, or give report --phases FILE\n", pmGetProgname(), c->source);
        return 1;
    }
    snprintf(text, sizeof(text), "%s %.6f %s", verb, pp_now(), label);
    if ((r = calloc(1, sizeof(*r))) == NULL || (vs = calloc(1, sizeof(*vs))) == NULL) {
        free(r);
        return 1;
    }
    r->numpmid = 1;
    r->vset[0] = vs;
    vs->pmid = mark.pmid;
    vs->numval = 1;
    vs->vlist[0].inst = PP_IN_NULL;
    {
        /* a string travels as a pmValueBlock: header, then the bytes with their NUL */
        size_t len = strlen(text) + 1;
        pmValueBlock *vb = calloc(1, PM_VAL_HDR_SIZE + len);
        if (!vb) {
            free(vs);
            free(r);
            return 1;
        }
        vb->vtype = PM_TYPE_STRING;
        vb->vlen = (unsigned int)(PM_VAL_HDR_SIZE + len);
        memcpy(vb->vbuf, text, len);
        vs->valfmt = PM_VAL_DPTR;
        vs->vlist[0].value.pval = vb;
    }
    sts = pmStore(r);
    free(vs->vlist[0].value.pval);
    free(vs);
    free(r);
    if (sts < 0) {
        fprintf(stderr, "%s: cannot store the mark on \"%s\": %s%s\n", pmGetProgname(), c->source, pmErrStr(sts),
                sts == -EACCES || sts == PM_ERR_PERMISSION ?
                " (the agent's power.conf may take marks from root only, [phase] marks = root: "
                "mark as root with -h local:; or pmcd.conf's [access] denies stores from this host)" :
                sts == -EAGAIN ?
                " (too many marks: the agent takes 32 at once, then [phase] rate a second; "
                "power.phase.throttled counts the refused)" : "");
        return 1;
    }
    return 0;
}

static bool
one_line(const char *label)
{
    if (!*label || strchr(label, '\n')) {
        fprintf(stderr, "%s: a phase label must be one non-empty line\n", pmGetProgname());
        return false;
    }
    return true;
}

/* start LABEL | end LABEL | LABEL -- COMMAND... */
static int
mark_check(void *state, const struct pp_args *args)
{
    (void)state;
    if (args->argc == 2 && (strcmp(args->argv[0], "start") == 0 || strcmp(args->argv[0], "end") == 0))
        return one_line(args->argv[1]) ? 0 : 2;
    if (args->argc >= 3 && strcmp(args->argv[1], "--") == 0)
        return 0;
    fprintf(stderr, "%s: mark takes: start LABEL | end LABEL | LABEL -- COMMAND...\n", pmGetProgname());
    return 2;
}

/* Marks the start, runs the command, marks the end: its exit status, or 1. */
static int
mark_command(struct pp_ctx *ctx, const char *label, char **command)
{
    pid_t pid;
    int status = 0, sts;

    if ((sts = store_mark(ctx, "start", label)) != 0)
        return sts;
    signal(SIGINT, SIG_IGN);       /* the command gets the interrupt; we still mark the end */
    if ((pid = child_start(command)) < 0) {
        fprintf(stderr, "%s: cannot run \"%s\": %s: check the command name and PATH\n",
                pmGetProgname(), command[0], strerror(errno));
        status = 127 << 8;
    } else if (waitpid(pid, &status, 0) < 0)
        status = 127 << 8;
    if ((sts = store_mark(ctx, "end", label)) != 0)
        return sts;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
cmd_mark(int argc, char **argv)
{
    pmLongOptions longopts[] = {
        PMAPI_OPTIONS_TEXT("Marks a phase with the agent; pmlogger logs the marks (power.phase) and"),
        PMAPI_OPTIONS_TEXT("pmpower report -a ARCHIVE --phases archive reports each phase's energy."),
        PP_OPTIONS_LIVE,
        PP_OPTIONS_END
    };
    const struct pp_command_line cl = {
        .synopsis = "mark [-h HOST] start LABEL | end LABEL\n"
                    "       pmpower mark [-h HOST] LABEL -- COMMAND [ARG...]",
        .short_options = "+h:a:?",
        .long_options = longopts,
        .operands = true,
        .live_only = "mark stores its marks in a live agent (-h); pmlogger keeps them in the archive",
        .check = mark_check,
    };
    struct pp_args args;
    struct pp_ctx ctx;
    int sts;

    if (!pp_options_parse(argc, argv, &cl, &args, &ctx, &sts))
        return sts;
    if (args.argc == 2)
        sts = store_mark(&ctx, args.argv[0], args.argv[1]);
    else
        sts = mark_command(&ctx, args.argv[0], args.argv + 2);
    pp_close(&ctx);
    return sts;
}
