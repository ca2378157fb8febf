#!/usr/bin/env bash
# pmpower's command line, decided before any context opens (no pmcd here).
# The usage and the unknown-command message come from one table of
# commands; every command reads its options through PCP's pmGetOptions(3)
# (performancecopilot/pcp src/libpcp/src/getopt.c, the same in 6.0.3 and
# 6.3.8): -h and -a refuse each other, an unknown option or a missing
# argument is a usage error (exit 2, the messages and the usage on stderr,
# named pmpower and not after the command), --help and -? are the usage on
# stdout (exit 0). Live-only commands refuse -a with the reason; counts and
# durations are checked with one message each; the sanitized pmpower leaks
# nothing on any of these paths.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pmpower.sh"
mkdir -p "$WORK/log"
export ASAN_OPTIONS="log_path=$WORK/log/asan:detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$TOP/tests/lib/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$WORK/log/ubsan:print_stacktrace=1"

# run ARGS...: pmpower's status in $rc, its output in $WORK/out and $WORK/err
run() {
    "$PMPOWER" "$@" > "$WORK/out" 2> "$WORK/err"
    rc=$?
}
err() { cat "$WORK/err"; }
# is_usage_error MESSAGE: the last run exited 2 with MESSAGE (fixed text) on stderr, nothing on stdout
is_usage_error() { [ "$rc" -eq 2 ] && grep -qF -- "$1" "$WORK/err" && [ ! -s "$WORK/out" ]; }
# usage_error MESSAGE DESCRIPTION: the assertion of it
usage_error() { check_cmd "$2" "rc=$rc: $(err)" -- is_usage_error "$1"; }
# lists_commands: every command with its summary in the usage on stderr
lists_commands() {
    local c
    for c in report csv measure top mark calibrate plot runs; do grep -q "^  $c  *[a-z]" "$WORK/err" || return 1; done
}

# the table: usage and unknown command
run
check_eq "$rc" 2 "no command: exit 2"
check_cmd "the usage lists every command with its summary" "$(err)" -- lists_commands
run help
check_eq "$rc" 0 "pmpower help: exit 0"
check_file_has "$WORK/out" '^  measure  *energy of a command' "pmpower help: the usage on stdout"
check_empty "$(err)" "pmpower help: nothing on stderr"
run bogus
check_eq "$rc" 2 "an unknown command: exit 2"
check_eq "$(err)" 'pmpower: unknown command "bogus": use report, csv, measure, top, mark, calibrate, plot or runs' "an unknown command: the commands named"

# --help and -? of every command: its usage on stdout, exit 0
for c in report csv measure top mark calibrate plot runs; do
    run "$c" --help
    check_eq "$rc" 0 "pmpower $c --help: exit 0" "$(err)"
    check_match "$(head -1 "$WORK/out")" "^Usage: pmpower $c " "pmpower $c --help: its usage on stdout"
    check_file_has "$WORK/out" '--help' "pmpower $c --help: the usage names --help"
    check_empty "$(err)" "pmpower $c --help: nothing on stderr"
done
run report -?
check_eq "$rc" 0 "pmpower report -?: exit 0"
check_file_has "$WORK/out" '--phases=FILE' "pmpower report -?: the same usage"
run csv --help
check_file_has "$WORK/out" '--separate-files' "csv's usage has its own options"
check_file_has "$WORK/out" 'TIME: PCP time' "csv's usage has the time forms"
check_file_has "$WORK/out" '^METRIC' "csv's usage has the metrics"

# PCP's errors, as pmpower's: exit 2, the message, then the usage
run report --bogus
usage_error "pmpower: unrecognized option '--bogus'" "an unknown long option: exit 2 (it was taken for --help)"
check_file_has "$WORK/err" '^Usage: pmpower report' "the usage follows the error, on stderr"
run report -x
usage_error "pmpower: invalid option -- 'x'" "an unknown short option: named pmpower, not after the command"
run csv -o "$WORK/x.csv" -S
usage_error "option requires an argument -- 'S'" "a missing argument: exit 2"
run report -h somehost -a somearchive
usage_error "pmpower: only one host or archive allowed" "-h with -a: exit 2"
run csv -a somearchive -o "$WORK/x.csv" --host somehost
usage_error "pmpower: only one host or archive allowed" "--host after -a: exit 2 too"
run report stray
usage_error 'pmpower: report: unexpected argument "stray"' "an operand report does not take: exit 2"

# live-only commands say why they refuse an archive
run top -a somearchive
usage_error "for an archive use pmpower report --top K" "top -a: exit 2, points to report --top"
run measure -a somearchive -- true
usage_error "it needs a live host (-h), not an archive" "measure -a: exit 2, needs a live host"
run mark -a somearchive start x
usage_error "mark stores its marks in a live agent (-h)" "mark -a: exit 2, marks go to a live agent"

# the commands' own checks, before any context opens
run report -a somearchive --phases p.json -S +1s
usage_error "pmpower: --phases gives the windows: drop -S, -T and --runs" "--phases with -S: exit 2"
run report --top 0
usage_error 'pmpower: --top takes a count (1 to 10000), not "0"' "--top 0: exit 2"
run report --runs=2x
usage_error 'pmpower: --runs takes a count (1 or more), not "2x"' "--runs=2x: exit 2"
run csv -o "$WORK/x.csv" -s 0
usage_error 'pmpower: -s takes a count (1 or more), not "0"' "csv -s 0: exit 2"
run csv -o "$WORK/x.csv" -t 0
usage_error "pmpower: -t must be more than zero" "csv -t 0: exit 2"
run top -t soon
usage_error 'pmpower: -t takes a duration (10, 1.5s, 2min), not "soon"' "top -t soon: exit 2"
run top -n many
usage_error 'pmpower: -n takes a count (1 or more), not "many"' "top -n many: exit 2"
run csv
usage_error "pmpower: csv needs -o PATH" "csv without -o: exit 2"
run csv -o - --separate-files
usage_error "pmpower: --separate-files needs -o PREFIX, not stdout" "--separate-files to stdout: exit 2"
run measure --trials 10001 -- true
usage_error 'pmpower: --trials takes a count (1 to 10000), not "10001"' "--trials 10001: exit 2"
run measure --cv 0 -- true
usage_error 'pmpower: --cv takes a fraction such as 0.02, not "0"' "--cv 0: exit 2"
run measure --json
usage_error "pmpower: measure needs a command" "measure without a command: exit 2"
run measure -- /nonexistent/tool
check_eq "$rc" 1 "measure of a missing command: exit 1" "$(err)"
check_file_has "$WORK/err" 'cannot run "/nonexistent/tool"' "measure of a missing command: it names the command"
run mark
usage_error "pmpower: mark takes: start LABEL | end LABEL | LABEL -- COMMAND..." "mark alone: exit 2"
run mark start ""
usage_error "pmpower: a phase label must be one non-empty line" "an empty label: exit 2"

reports=$(ls "$WORK"/log/asan* "$WORK"/log/ubsan* 2>/dev/null)
check_empty "$reports" "pmpower ran clean under ASan/UBSan on every path above" "$(cat $reports 2>/dev/null | head -30)"
finish
