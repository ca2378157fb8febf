#!/bin/sh
# fuzz/run.sh SECONDS TARGET...: fuzz each target (build/fuzz/fuzz_TARGET,
# built by `make fuzz`) for SECONDS, or until FUZZ_RUNS executions when
# that is set, niced, one after the other, starting from its kept corpus
# fuzz/corpus/TARGET. New inputs go to
# build/fuzz/corpus/TARGET, never into the repository; a crash, leak,
# timeout or broken property is saved in build/fuzz/found/TARGET/ and
# named at the end. Prints the executions each target ran.
#
# fuzz/run.sh --check-compiler: fail, saying what to install, when
# $FUZZ_CC (clang) cannot link a libFuzzer target.
#
# Keep a new input for good (it becomes a regression test in make check):
#   build/fuzz/fuzz_T -merge=1 fuzz/corpus/T build/fuzz/corpus/T
set -u
cd "$(dirname "$0")/.."
cc=${FUZZ_CC:-clang}

if [ "${1:-}" = --check-compiler ]; then
    tmp=$(mktemp -d)
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; return (int)n * 0; }\n' > "$tmp/t.c"
    if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >"$tmp/log" 2>&1; then
        sed 's/^/  /' "$tmp/log" | tail -5 >&2
        echo "make fuzz: $cc cannot link a libFuzzer target (-fsanitize=fuzzer)." >&2
        echo "make fuzz: install clang and its runtime: apt-get install clang libclang-rt-dev" >&2
        echo "make fuzz: (Debian 12: clang-14 + libclang-rt-14-dev; Debian 13: clang-19 + libclang-rt-19-dev)," >&2
        echo "make fuzz: or run scripts/install-deps --fuzz as root; FUZZ_CC=clang-NN picks another clang." >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$tmp"
    exit 0
fi

seconds=$1
shift
found=""
printf '%-14s %14s %10s %8s  %s\n' target executions exec/s corpus result
for t in "$@"; do
    work=build/fuzz/corpus/$t
    art=build/fuzz/found/$t
    log=build/fuzz/$t.log
    mkdir -p "$work" "$art"
    extra=""
    [ -f "fuzz/dict/$t.dict" ] && extra="-dict=fuzz/dict/$t.dict"
    # whole powermetrics samples (30-65 KB) run ~100 a second: fuzz documents
    # up to 8 KB, which hold every structure of the real ones
    [ "$t" = powermetrics ] && extra="$extra -max_len=8192"
    # a small ASan quarantine and short malloc stacks: twice the executions
    ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:malloc_context_size=4} \
    nice -n 19 "build/fuzz/fuzz_$t" -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$art/" $extra "$work" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(ls "$work" | wc -l)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FOUND (exit $rc): $(ls "$art" | head -3 | tr '\n' ' ')see $log"
        found="$found $t"
    fi
    printf '%-14s %14s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$units" "$result"
done
if [ -n "$found" ]; then
    echo "make fuzz: findings in:$found (inputs in build/fuzz/found/; replay one with build/fuzz/fuzz_TARGET FILE)"
    exit 1
fi
