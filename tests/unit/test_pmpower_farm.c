/*
 * test_pmpower_farm: pmpower report -a DIR over a pmlogger farm's archive
 * directory (one subdirectory per host, as pmlogger_check makes from the
 * control file's directory field, PCP's pmlogger_check(1)) stands for one
 * source per host, in name order; a directory of archives (one host over
 * time, which PCP opens as one context) and a plain archive name stay one
 * source. Archive volumes as LOGARCHIVE(5) names them, compressed or not.
 */
#include "check.h"
#include "farm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
touch(const char *dir, const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) != NULL)
        fclose(f);
}

static void
subdir(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
    mkdir(out, 0755);
}

int
main(void)
{
    char tmpl[] = "/tmp/test_farm.XXXXXX";
    char *farm = mkdtemp(tmpl);
    char a[512], b[512], c[512], empty[512];
    char **list = NULL;
    size_t n = 0;

    CHECK(farm_is_archive_meta("20261201.00.10.meta"), "NAME.meta is an archive");
    CHECK(farm_is_archive_meta("20261201.00.10.meta.xz"), "and compressed, NAME.meta.xz (pmlogger_daily)");
    CHECK(!farm_is_archive_meta("20261201.00.10.0.xz"), "a data volume is not counted");
    CHECK(!farm_is_archive_meta(".meta") && !farm_is_archive_meta("x.metadata"), "nor .meta alone, nor .metadata");
    CHECK(!farm_is_archive_meta("x.meta.xz.old"), "nor a name with more after the compression suffix");
    if (!farm) {
        CHECK(0, "mkdtemp");
        return CHECK_DONE();
    }

    /* a farm: $PCP_ARCHIVE_DIR/HOST/ARCHIVE, hosts listed out of order */
    subdir(c, sizeof(c), farm, "hostc");
    subdir(a, sizeof(a), farm, "hosta");
    subdir(b, sizeof(b), farm, "hostb");
    subdir(empty, sizeof(empty), farm, "no-archives-yet");
    touch(a, "20261201.16.00.meta");
    touch(a, "20261201.16.00.0");
    touch(a, "20261201.16.00.index");
    touch(b, "20261201.16.00.meta.xz");
    touch(c, "20261201.16.00.meta");
    touch(farm, "pmlogger_check.log");

    CHECK(farm_expand(farm, &list, &n) == 0 && n == 3, "a farm's directory is its three hosts (%zu)", n);
    if (n == 3) {
        CHECK_STR(list[0], a, "in name order: hosta");
        CHECK_STR(list[1], b, "hostb (compressed archives count)");
        CHECK_STR(list[2], c, "hostc; the directory with no archive is left out");
    }
    farm_free(list, n);
    list = NULL;
    n = 0;

    CHECK(farm_expand(a, &list, &n) == 0 && n == 1 && strcmp(list[0], a) == 0,
          "a host's directory of archives is one source, PCP's to open");
    CHECK(farm_expand("/nonexistent/arch", &list, &n) == 0 && n == 2 && strcmp(list[1], "/nonexistent/arch") == 0,
          "an archive name is kept as given (appended to the list)");
    CHECK(farm_expand(empty, &list, &n) == 0 && n == 3 && strcmp(list[2], empty) == 0,
          "a directory with nothing below stays itself: PCP says what is wrong with it");
    farm_free(list, n);

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", farm);
    CHECK(system(cmd) == 0, "clean up");
    return CHECK_DONE();
}
