/*
 * farm.c: a pmlogger farm's directory as one source per host (farm.h).
 * pmlogger_check names each host's directory after the control file's
 * directory field (PCP_ARCHIVE_DIR/HOST by default), and the archives in it
 * after their dates: NAME.index, NAME.meta, NAME.0, ... (PCP's LOGARCHIVE(5)),
 * compressed by pmlogger_daily to .xz by default.
 */
#include "farm.h"

#include <dirent.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
farm_is_archive_meta(const char *name)
{
    const char *m = strstr(name, ".meta");

    while (m) {
        const char *rest = m + strlen(".meta");
        if (m != name && (*rest == '\0' || (*rest == '.' && rest[1] && !strchr(rest + 1, '.'))))
            return 1;
        m = strstr(m + 1, ".meta");
    }
    return 0;
}

static bool
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether dir holds an archive itself. */
static bool
holds_archive(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;

    if (!d)
        return false;
    while (!found && (e = readdir(d)) != NULL)
        found = farm_is_archive_meta(e->d_name);
    closedir(d);
    return found;
}

static int
append(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(**list));

    if (!grown)
        return -1;
    *list = grown;
    if ((grown[*n] = strdup(s)) == NULL)
        return -1;
    (*n)++;
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
farm_expand(const char *path, char ***list, size_t *n)
{
    DIR *d;
    struct dirent *e;
    char **hosts = NULL;
    size_t nhosts = 0;
    int sts = 0;

    if (!is_dir(path) || holds_archive(path) || (d = opendir(path)) == NULL)
        return append(list, n, path);
    while (sts == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
        char *sub;

        if (e->d_name[0] == '.')
            continue;
        if ((sub = malloc(len)) == NULL) {
            sts = -1;
            break;
        }
        snprintf(sub, len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        if (is_dir(sub) && holds_archive(sub))
            sts = append(&hosts, &nhosts, sub);
        free(sub);
    }
    closedir(d);
    if (sts == 0 && nhosts == 0)
        sts = append(list, n, path);    /* nothing below: PCP says what is wrong with it */
    if (nhosts)
        qsort(hosts, nhosts, sizeof(*hosts), by_name);
    for (size_t i = 0; sts == 0 && i < nhosts; i++)
        sts = append(list, n, hosts[i]);
    farm_free(hosts, nhosts);
    return sts;
}

void
farm_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}
