/*
 * mark.c: pmpower mark: a program marks its own phases while it runs.
 * Each mark is stored into the agent (power.phase.mark, "start|end EPOCH
 * LABEL"), which keeps the latest marks as power.phase.log instances for
 * pmlogger to log; pmpower report --phases archive pairs them later.
 */
#include "pmpower.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
                "update pcp-power there, or give report --phases FILE\n", pp_progname, c->source);
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
        fprintf(stderr, "%s: cannot store the mark on \"%s\": %s%s\n", pp_progname, c->source, pmErrStr(sts),
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

int
cmd_mark(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'h' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL;
    struct pp_ctx ctx;
    int c, sts;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h:?", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': host = optarg; break;
        default:
            fprintf(c == '?' && optopt == 0 ? stdout : stderr,
                    "Usage: %s mark [-h HOST] start LABEL | end LABEL\n"
                    "       %s mark [-h HOST] LABEL -- COMMAND [ARG...]\n"
                    "Marks a phase with the agent; pmlogger logs the marks (power.phase) and\n"
                    "pmpower report -a ARCHIVE --phases archive reports each phase's energy.\n",
                    pp_progname, pp_progname);
            return c == '?' && optopt == 0 ? 0 : 2;
        }
    }
    argc -= optind;
    argv += optind;
    if (argc == 2 && (strcmp(argv[0], "start") == 0 || strcmp(argv[0], "end") == 0)) {
        if (!*argv[1] || strchr(argv[1], '\n')) {
            fprintf(stderr, "%s: a phase label must be one non-empty line\n", pp_progname);
            return 2;
        }
        if (pp_open(&ctx, host, NULL) < 0)
            return 1;
        sts = store_mark(&ctx, argv[0], argv[1]);
        pp_close(&ctx);
        return sts;
    }
    if (argc >= 3 && strcmp(argv[1], "--") == 0) {
        pid_t pid;
        int status = 0;
        if (pp_open(&ctx, host, NULL) < 0)
            return 1;
        if ((sts = store_mark(&ctx, "start", argv[0])) != 0) {
            pp_close(&ctx);
            return sts;
        }
        signal(SIGINT, SIG_IGN);       /* the command gets the interrupt; we still mark the end */
        if ((pid = fork()) == 0) {
            signal(SIGINT, SIG_DFL);
            execvp(argv[2], argv + 2);
            fprintf(stderr, "%s: cannot run \"%s\": %m: check the command name and PATH\n",
                    pp_progname, argv[2]);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
            status = 127 << 8;
        sts = store_mark(&ctx, "end", argv[0]);
        pp_close(&ctx);
        if (sts != 0)
            return sts;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    fprintf(stderr, "%s: mark takes: start LABEL | end LABEL | LABEL -- COMMAND...\n", pp_progname);
    return 2;
}
