/*
 * runs.c: pmpower runs: the results kept with --db (resultsdb.h), listed,
 * and two runs compared: their energies per command run with their spread
 * over the trials, and whether the difference is larger than the noise
 * (compare.h). Reads only the database: no host, no archive.
 */
#include "commands.h"
#include "compare.h"
#include "json.h"
#include "resultsdb.h"

#include <getopt.h>
#include <math.h>
#include <pcp/pmapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *fp)
{
    fprintf(fp, "Usage: %s runs --db FILE [--json] [A B]\n\n"
                "Lists the results kept with --db FILE (report, --phases, measure), or compares\n"
                "runs A and B (ids from the list): their energy per command run, its spread over\n"
                "the trials, and whether the difference is larger than the noise (Welch's t-test).\n\n"
                "Options:\n"
                "  --db=FILE     the SQLite database the runs were kept in\n"
                "  -j, --json    JSON instead of text\n"
                "  -?, --help    show this usage message and exit\n",
            pmGetProgname());
}

static void
list_text(const struct resultsdb_row *rows, long n)
{
    printf("%5s  %-8s %-20s %-16s %7s %14s %8s  %s\n", "id", "kind", "recorded", "host", "trials",
           "energy J", "cv", "command or source");
    for (long i = 0; i < n; i++)
        printf("%5lld  %-8s %-20s %-16.16s %7d %14.3f %8.4f  %s\n", rows[i].id, rows[i].kind, rows[i].recorded,
               rows[i].host, rows[i].trials, rows[i].joules, rows[i].cv, rows[i].what);
}

static void
list_json(const struct resultsdb_row *rows, long n)
{
    printf("[");
    for (long i = 0; i < n; i++) {
        printf("%s{\"id\":%lld,\"kind\":", i ? "," : "", rows[i].id);
        json_string(stdout, rows[i].kind);
        json_more_string(stdout, "recorded", rows[i].recorded);
        json_more_string(stdout, "host", rows[i].host);
        json_more_string(stdout, "what", rows[i].what);
        printf(",\"trials\":%d,\"joules\":", rows[i].trials);
        json_number(stdout, rows[i].joules);
        json_more_number(stdout, "cv", rows[i].cv);
        printf("}");
    }
    printf("]\n");
}

static int
parse_id(const char *text, long long *id)
{
    char *end;

    *id = strtoll(text, &end, 10);
    if (end == text || *end || *id < 1) {
        fprintf(stderr, "%s: runs compares two run ids (numbers from pmpower runs --db FILE), not \"%s\"\n",
                pmGetProgname(), text);
        return 2;
    }
    return 0;
}

static int
compare(struct resultsdb *db, long long ida, long long idb, bool json)
{
    struct resultsdb_row a, b;
    double *xa = NULL, *xb = NULL;
    long na, nb;
    struct comparison c;
    int sts = 0;

    if (resultsdb_row(db, ida, &a) < 0 || resultsdb_row(db, idb, &b) < 0) {
        fprintf(stderr, "%s: no run %lld in the database: pmpower runs --db FILE lists them\n", pmGetProgname(),
                resultsdb_row(db, ida, &a) < 0 ? ida : idb);
        return 1;
    }
    na = resultsdb_trial_energies(db, ida, &xa);
    nb = resultsdb_trial_energies(db, idb, &xb);
    if (na < 1 || nb < 1) {
        fprintf(stderr, "%s: runs %lld and %lld: only measure runs have trials to compare (%s, %s)\n",
                pmGetProgname(), ida, idb, a.kind, b.kind);
        sts = 1;
        goto out;
    }
    compare_runs(xa, (size_t)na, xb, (size_t)nb, &c);
    if (json) {
        printf("{\"a\":{\"id\":%lld,\"trials\":%ld,\"mean_j\":", ida, na);
        json_number(stdout, c.mean_a);
        json_more_number(stdout, "sd_j", c.sd_a);
        printf("},\"b\":{\"id\":%lld,\"trials\":%ld,\"mean_j\":", idb, nb);
        json_number(stdout, c.mean_b);
        json_more_number(stdout, "sd_j", c.sd_b);
        printf("},\"difference_j\":");
        json_number(stdout, c.diff);
        json_more_number(stdout, "relative", c.rel);
        json_more_number(stdout, "t", c.t);
        json_more_number(stdout, "df", c.df);
        json_more_number(stdout, "t_critical_95", c.t_crit);
        printf(",\"larger_than_noise\":%s}\n", isnan(c.t) ? "null" : c.significant ? "true" : "false");
        goto out;
    }
    printf("run %lld  %s  %s\n", ida, a.recorded, a.what);
    printf("run %lld  %s  %s\n", idb, b.recorded, b.what);
    printf("\n%5s %7s %14s %14s\n", "run", "trials", "mean J/run", "sd J/run");
    printf("%5lld %7ld %14.4f %14.4f\n", ida, na, c.mean_a, c.sd_a);
    printf("%5lld %7ld %14.4f %14.4f\n", idb, nb, c.mean_b, c.sd_b);
    printf("\ndifference %+.4f J per run (%+.1f%%)", c.diff, 100 * c.rel);
    if (isnan(c.t))
        printf(": too few trials to tell it from the noise (2 or more in each run)\n");
    else
        printf("; Welch's t %.2f on %.1f degrees of freedom, 95%% critical %.2f: %s\n", c.t, c.df, c.t_crit,
               c.significant ? "larger than the noise" : "within the noise");
out:
    free(xa);
    free(xb);
    return sts;
}

int
cmd_runs(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
    bool json = false;
    struct resultsdb *db;
    int opt, sts = 0;

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-?") == 0) {
            usage(stdout);
            return 0;
        }
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
        if (opt == 'd')
            path = optarg;
        else if (opt == 'j')
            json = true;
        else {
            fprintf(stderr, "%s: runs: unknown option or missing argument \"%s\"\n", pmGetProgname(),
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (!path || (argc - optind != 0 && argc - optind != 2)) {
        usage(stderr);
        return 2;
    }
    if (resultsdb_open(path, &db) < 0)
        return 1;
    if (argc - optind == 2) {
        long long a, b;
        if ((sts = parse_id(argv[optind], &a)) == 0 && (sts = parse_id(argv[optind + 1], &b)) == 0)
            sts = compare(db, a, b, json);
    } else {
        struct resultsdb_row *rows;
        long n = resultsdb_list(db, &rows);
        if (n < 0)
            sts = 1;
        else if (json)
            list_json(rows, n);
        else if (n == 0)
            printf("no runs in %s yet: add some with report, measure or --phases --db %s\n", path, path);
        else
            list_text(rows, n);
        free(rows);
    }
    resultsdb_close(db);
    return sts;
}
