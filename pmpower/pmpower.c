/*
 * pmpower: energy reports from the power agent's counters, the same on a
 * live host (-h HOST, default local:) and on a pmlogger archive (-a).
 *
 *   pmpower report   the energy of a window (or of labelled phases)
 *   pmpower csv      time series of energy and power per instance
 *   pmpower measure  the energy of one command, over repeated trials
 *   pmpower top      live power by process and cgroup
 *   pmpower mark     record phase marks the agent keeps for the archive
 */
#include "pmpower.h"

#include <stdio.h>
#include <string.h>

const char *pp_progname = "pmpower";
volatile sig_atomic_t pp_stop;

static void
on_signal(int sig)
{
    (void)sig;
    pp_stop = 1;
}

void
pp_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void
usage(FILE *fp)
{
    fprintf(fp,
        "Usage: pmpower COMMAND [options]     (pmpower COMMAND --help for its options)\n"
        "  report   energy of a window: -S START -T END [--runs N] [--top K] [--json]\n"
        "           or of labelled phases: --phases FILE\n"
        "  csv      time series of energy and power per instance: -o PATH [-t INTERVAL]\n"
        "  measure  energy of a command over trials: [--trials N] -- COMMAND...\n"
        "  top      live power by process and cgroup\n"
        "  mark     mark a phase: mark start LABEL | mark end LABEL | mark LABEL -- COMMAND...\n"
        "Every command reads a live host (-h HOST, default local:) or an archive (-a ARCHIVE).\n");
}

int
main(int argc, char **argv)
{
    const char *cmd;

    pmSetProgname("pmpower");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-?") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "csv") == 0)
        return cmd_csv(argc - 1, argv + 1);
    if (strcmp(cmd, "measure") == 0)
        return cmd_measure(argc - 1, argv + 1);
    if (strcmp(cmd, "top") == 0)
        return cmd_top(argc - 1, argv + 1);
    if (strcmp(cmd, "mark") == 0)
        return cmd_mark(argc - 1, argv + 1);
    fprintf(stderr, "pmpower: unknown command \"%s\": use report, csv, measure, top or mark\n", cmd);
    return 2;
}
