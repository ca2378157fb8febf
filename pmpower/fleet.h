/*
 * fleet.h: pmpower report over several archives, one host each.
 */
#ifndef PMPOWER_FLEET_H
#define PMPOWER_FLEET_H

#include "options.h"

#include <stdbool.h>

/*
 * argv as report got it (cl its command line), with args->archives the
 * hosts' archives (several -a, or a farm's directory, farm.h): each host's
 * report as report_one (the report command) gives it for that archive
 * alone (argv with its -a options replaced by the host's), then the
 * fleet's total over the window.
 * Releases args->archives. 0, or the worst host's exit status (a host
 * without data leaves the total unknown).
 */
int report_fleet(int argc, char **argv, const struct pp_command_line *cl, struct pp_args *args, bool json,
                 int (*report_one)(int argc, char **argv));

#endif
