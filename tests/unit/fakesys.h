/*
 * fakesys.h: helpers for unit tests that build fake /sys and /proc trees
 * in a temporary directory, and a log recorder for checking messages.
 */
#ifndef POWER_FAKESYS_H
#define POWER_FAKESYS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fake_log[16384];
static int fake_log_lines;

static void __attribute__((format(printf, 2, 3), unused))
fake_record(int priority, const char *fmt, ...)
{
    va_list ap;
    size_t len = strlen(fake_log);

    (void)priority;
    fake_log_lines++;
    va_start(ap, fmt);
    vsnprintf(fake_log + len, sizeof(fake_log) - len, fmt, ap);
    va_end(ap);
    strncat(fake_log, "\n", sizeof(fake_log) - strlen(fake_log) - 1);
}

/* Forget what was logged. */
static void __attribute__((unused))
fake_log_clear(void)
{
    fake_log[0] = '\0';
    fake_log_lines = 0;
}

/* Logged lines other than the ones that say a source's state ("source
 * rapl: active", common/status.c): what a source logs of its own problems. */
static int __attribute__((unused))
fake_problem_lines(void)
{
    int states = 0;

    for (const char *line = fake_log; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "")
        states += strncmp(line, "source ", 7) == 0;
    return fake_log_lines - states;
}

/* How many logged lines contain needle. */
static int __attribute__((unused))
fake_log_count(const char *needle)
{
    int n = 0;

    for (const char *line = fake_log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *hit = strstr(line, needle);

        n += hit != NULL && hit < line + len;
        line += len + (end != NULL);
    }
    return n;
}

/* mkdir -p of the directory part of path */
static __attribute__((unused)) void
fake_mkdirs(const char *path)
{
    char buf[4096];

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                perror(buf);
            *p = '/';
        }
    }
}

/* Write text to ROOT/rel, creating directories; in place, as sysfs updates. */
static void __attribute__((format(printf, 3, 4), unused))
fake_write(const char *root, const char *rel, const char *fmt, ...)
{
    char path[4096];
    va_list ap;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    fake_mkdirs(path);
    if ((fp = fopen(path, "r+")) == NULL && (fp = fopen(path, "w")) == NULL) {
        perror(path);
        return;
    }
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    fflush(fp);
    if (ftruncate(fileno(fp), ftell(fp)) < 0)
        perror(path);
    fclose(fp);
}

static __attribute__((unused)) char *
fake_root(const char *tag)
{
    static char roots[8][256];
    static int next;
    char *root = roots[next++ % 8];

    snprintf(root, sizeof(roots[0]), "/tmp/power-unit-%s-XXXXXX", tag);
    if (!mkdtemp(root))
        perror(root);
    return root;
}

static __attribute__((unused)) void
fake_remove(const char *root)
{
    char cmd[512];

    if (strncmp(root, "/tmp/power-unit-", 16) != 0)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* Unpack a sysfs fixture (tests/fixtures/sysfs/NAME.tgz, or $POWER_FIXTURES/sysfs)
 * into a new temporary dir; returns the tree's root or NULL when absent. */
static __attribute__((unused)) const char *
fake_fixture(const char *name)
{
    static char path[1024];
    const char *dir = getenv("POWER_FIXTURES");
    char cmd[2048], tgz[1024];
    char *root;

    snprintf(tgz, sizeof(tgz), "%s/sysfs/%s.tgz", dir ? dir : "tests/fixtures", name);
    if (access(tgz, R_OK) != 0)
        return NULL;
    root = fake_root("fixture");
    snprintf(cmd, sizeof(cmd), "tar -C '%s' -xzf '%s'", root, tgz);
    if (system(cmd) != 0)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", root, name);
    return path;
}

#endif
