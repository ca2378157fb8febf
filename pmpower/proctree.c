#include "proctree.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* parent pid of pid from /proc (0 when gone) */
static int
parent_of(int pid)
{
    char path[64], buf[512], *paren;
    int fd, ppid = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) state ppid": comm may hold spaces and parentheses */
    if ((paren = strrchr(buf, ')')) == NULL || sscanf(paren + 1, " %*c %d", &ppid) != 1)
        return 0;
    return ppid;
}

static bool
is_ours(struct proctree *t, int pid)
{
    int self = getpid(), p = pid;

    if (pid == self)
        return false;
    for (size_t i = 0; i < t->nown; i++)
        if (t->own[i].pid == pid)
            return true;
    for (size_t i = 0; i < t->nforeign; i++)
        if (t->foreign[i] == pid)
            return false;
    for (int depth = 0; depth < 64 && p > 1; depth++) {
        p = parent_of(p);
        if (p == self)
            return true;
    }
    if (t->nforeign == t->foreign_cap) {
        size_t cap = t->foreign_cap ? t->foreign_cap * 2 : 256;
        int *grown = realloc(t->foreign, cap * sizeof(int));
        if (!grown)
            return false;
        t->foreign = grown;
        t->foreign_cap = cap;
    }
    t->foreign[t->nforeign++] = pid;
    return false;
}

static void
note_energy(struct proctree *t, int pid, double v)
{
    for (size_t i = 0; i < t->nown; i++)
        if (t->own[i].pid == pid) {
            if (v > t->own[i].energy)
                t->own[i].energy = v;
            return;
        }
    if (t->nown == t->own_cap) {
        size_t cap = t->own_cap ? t->own_cap * 2 : 64;
        struct proctree_member *grown = realloc(t->own, cap * sizeof(*grown));
        if (!grown)
            return;
        t->own = grown;
        t->own_cap = cap;
    }
    t->own[t->nown].pid = pid;
    t->own[t->nown].energy = v;
    t->nown++;
}

void
proctree_track(struct proctree *t, const struct pp_metric *proc_energy)
{
    pmHighResResult *r;
    pmValueSet *vs;

    if (!proc_energy->ok || pp_fetch(proc_energy, 1, &r) < 0)
        return;
    vs = r->numpmid > 0 ? r->vset[0] : NULL;
    for (int j = 0; vs && j < vs->numval; j++) {
        double v;
        if (pp_double(vs, &proc_energy->desc, j, &v) > 0 && is_ours(t, vs->vlist[j].inst))
            note_energy(t, vs->vlist[j].inst, v);
    }
    pmFreeHighResResult(r);
}

double
proctree_energy(const struct proctree *t)
{
    double sum = 0;

    for (size_t i = 0; i < t->nown; i++)
        sum += t->own[i].energy;
    return sum;
}

void
proctree_forget(struct proctree *t)
{
    t->nown = 0;
}

void
proctree_free(struct proctree *t)
{
    free(t->own);
    free(t->foreign);
    memset(t, 0, sizeof(*t));
}
