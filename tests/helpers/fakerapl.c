/*
 * fakerapl ROOT: the RAPL zones of tests/helpers/fakerapl.h's machine
 * (package-0 with core and dram, and psys) under ROOT, each at 0 uJ with a
 * live package's max_energy_range_uj, for the integration tests
 * (tests/lib/common.sh, make_rapl_tree); they advance the counters
 * themselves (tests/helpers/advance.c).
 */
#include "fakerapl.h"

int
main(int argc, char **argv)
{
    const unsigned long long uj[FAKERAPL_NZONES] = { 0 };
    unsigned long long max_uj[FAKERAPL_NZONES];

    if (argc != 2) {
        fprintf(stderr, "usage: fakerapl ROOT\n");
        return 2;
    }
    for (int i = 0; i < FAKERAPL_NZONES; i++)
        max_uj[i] = FAKERAPL_MAX_UJ;
    return fakerapl_machine(argv[1], uj, max_uj) ? 0 : 1;
}
