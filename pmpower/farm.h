/*
 * farm.h: the archives of a pmlogger farm as pmpower's sources. A collector
 * that logs many hosts (pmlogger_farm, control.d) keeps one directory per
 * host under $PCP_ARCHIVE_DIR, each holding that host's archives; PCP opens
 * a directory of archives as one context (one host over time), but not a
 * directory of such directories. Pure: reads directories, no libpcp.
 */
#ifndef PMPOWER_FARM_H
#define PMPOWER_FARM_H

#include <stddef.h>

/* Whether a file name is a PCP archive's metadata volume (NAME.meta, or
 * compressed: .meta.xz, .meta.gz, ...): one per archive. */
int farm_is_archive_meta(const char *name);

/*
 * The sources one -a PATH stands for, appended to *list (malloc'd strings,
 * *n counts them): PATH itself, unless it is a directory that holds no
 * archive but subdirectories that do (a farm's archive directory), then
 * each such subdirectory, in name order. Returns 0, or -1 (out of memory).
 */
int farm_expand(const char *path, char ***list, size_t *n);

void farm_free(char **list, size_t n);

#endif
