/*
 * hwmontree.h: for unit tests over fake hwmon trees: one layout of
 * tests/fixtures/hwmon/build-tree.sh (or $POWER_FIXTURES/hwmon) built in a
 * new temporary directory, whose root is returned (fake_remove it).
 */
#ifndef POWER_HWMONTREE_H
#define POWER_HWMONTREE_H

#include "check.h"
#include "fakesys.h"

static const char * __attribute__((unused))
hwmon_tree(const char *layout)
{
    static char roots[4][300];
    static int next;
    const char *dir = getenv("POWER_FIXTURES");
    char *root = roots[next++ % 4];
    char cmd[1024];

    snprintf(root, sizeof(roots[0]), "%s", fake_root("hwmon"));
    snprintf(cmd, sizeof(cmd), "sh '%s/hwmon/build-tree.sh' %s '%s'", dir ? dir : "tests/fixtures", layout, root);
    CHECK(system(cmd) == 0, "%s tree built", layout);
    return root;
}

#endif
