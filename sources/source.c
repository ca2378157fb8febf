#include "source.h"

#include <string.h>

int
source_candidate(const struct source_ops *ops, const char *name)
{
    for (int i = 0; ops->candidates && ops->candidates[i].name; i++)
        if (strcmp(ops->candidates[i].name, name) == 0)
            return i;
    return -1;
}
