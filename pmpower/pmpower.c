/*
 * pmpower: energy reports from the power agent's counters, the same on a
 * live host (-h HOST, default local:) and on a pmlogger archive (-a).
 * One table of commands; each command is its own file (commands.h) over
 * the library of the other modules.
 */
#include "commands.h"

#include <pcp/pmapi.h>
#include <stdio.h>
#include <string.h>

static const struct command {
    const char *name;
    const char *summary;
    int       (*run)(int argc, char **argv);
} commands[] = {
    { "report",  "energy of a window (-S START -T END) or of labelled phases (--phases FILE)", cmd_report },
    { "csv",     "time series of energy and power per instance: -o PATH [-t INTERVAL]", cmd_csv },
    { "measure", "energy of a command over trials: [--trials N] -- COMMAND...", cmd_measure },
    { "top",     "live power by process and cgroup", cmd_top },
    { "mark",    "mark a phase: mark start LABEL | mark end LABEL | mark LABEL -- COMMAND...", cmd_mark },
    { "calibrate", "measure the model's idle and busy watts against a reference: [--write]", cmd_calibrate },
    { "plot",    "power over a window as a picture: -o FILE.png|.svg|.pdf [--phases FILE]", cmd_plot },
    { "runs",    "results kept with --db FILE: list them, or compare two: --db FILE [A B]", cmd_runs },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
    fprintf(fp, "Usage: %s COMMAND [options]     (%s COMMAND --help for its options)\n",
            pmGetProgname(), pmGetProgname());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "Every command reads a live host (-h HOST, default local:) or an archive (-a ARCHIVE).\n");
}

/* "report, csv, measure, top or mark" */
static void
command_names(FILE *fp)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "%s%s", i == 0 ? "" : i + 1 < NCOMMANDS ? ", " : " or ", commands[i].name);
}

int
main(int argc, char **argv)
{
    const char *name;

    pmSetProgname("pmpower");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-?") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command \"%s\": use ", pmGetProgname(), name);
    command_names(stderr);
    fputc('\n', stderr);
    return 2;
}
