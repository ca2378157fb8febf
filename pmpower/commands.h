/*
 * commands.h: pmpower's commands, one file each. A command gets its own
 * name as argv[0] and returns the exit status: 0 done, 1 no data or a
 * failed measurement (the message says what to do), 2 a usage error.
 */
#ifndef PMPOWER_COMMANDS_H
#define PMPOWER_COMMANDS_H

int cmd_report(int argc, char **argv);
int cmd_csv(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_mark(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
