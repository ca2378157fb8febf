/*
 * vm_glob.c: the files the VM source's globs match (see vm_glob.h).
 */
#include "vm_glob.h"
#include "vm_paths.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

static int
by_path(const void *a, const void *b)
{
    const struct vm_match *x = a, *y = b;
    int c = strcmp(x->path, y->path);

    return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int
by_order(const void *a, const void *b)
{
    const struct vm_match *x = a, *y = b;

    return (x->order > y->order) - (x->order < y->order);
}

size_t
vm_glob_expand(char *const *patterns, size_t npatterns, const char *root, size_t root_len,
               struct source_status *status, unsigned nospace_kind, struct vm_match **out)
{
    struct vm_match *m = NULL;
    size_t n = 0, kept = 0;

    for (size_t p = 0; p < npatterns; p++) {
        glob_t g;
        int sts = glob(patterns[p], 0, NULL, &g);

        if (sts == GLOB_NOSPACE)
            status_error(status, nospace_kind, "out of memory expanding %s", patterns[p]);
        if (sts == 0) {
            struct vm_match *grown = realloc(m, (n + g.gl_pathc) * sizeof(*grown));
            if (grown) {
                m = grown;
                for (size_t i = 0; i < g.gl_pathc; i++) {
                    if (strncmp(g.gl_pathv[i], root, root_len) != 0 ||
                        (m[n].path = strdup(g.gl_pathv[i])) == NULL)
                        continue;
                    vm_squeeze_slashes(m[n].path + root_len);
                    m[n].order = n;
                    n++;
                }
            }
        }
        if (sts != GLOB_NOMATCH)
            globfree(&g);
    }
    if (n > 1)
        qsort(m, n, sizeof(*m), by_path);
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && strcmp(m[kept - 1].path, m[i].path) == 0)
            free(m[i].path);
        else
            m[kept++] = m[i];
    }
    if (kept > 1)
        qsort(m, kept, sizeof(*m), by_order);
    *out = m;
    return kept;
}
