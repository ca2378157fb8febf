# assert.sh: the assertions of the integration tests (common.sh sources it).
# Each prints "ok - MSG", or "not ok - MSG: got ..., want ..." with what it
# saw; tests/run counts those lines. An optional DETAIL (what else helps to
# understand a failure) is added to the "not ok" line. None runs a string
# through eval: the values are arguments, a command is run as given.
#   check_eq GOT WANT MSG [DETAIL]         the same text
#   check_ne GOT OTHER MSG [DETAIL]        any text but OTHER
#   check_empty GOT MSG [DETAIL]           no text; check_nonempty: some
#   check_num GOT OP WANT MSG [DETAIL]     numbers, OP one of < <= = >= > !=
#   check_between GOT LO HI MSG [DETAIL]   a number, LO <= GOT <= HI
#   check_near GOT WANT TOL MSG [DETAIL]   |GOT - WANT| <= TOL, in GOT's own units
#   near GOT WANT RELTOL MSG [DETAIL]      |GOT - WANT| <= RELTOL x |WANT| (RELTOL when WANT is 0)
#   check_match TEXT ERE MSG [DETAIL]      a line of TEXT matches (grep -E); check_no_match: none
#   check_file_has FILE ERE MSG [DETAIL]   a line of FILE matches; check_file_lacks: none
#   check_cmd MSG [DETAIL] -- [!] COMMAND ARGS...
#                                          COMMAND exits 0 (after !: not 0); a shell
#                                          function names a condition of several parts
#   wait_until SECONDS COMMAND ARGS...     until COMMAND exits 0 (polled every 0.1 s), at
#                                          most SECONDS: for what takes time, never a fixed sleep
FAILS=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

# shown TEXT: TEXT on one line (newlines as \n), at most 300 characters
shown() {
    local s=${1//$'\n'/\\n}
    [ ${#s} -gt 300 ] && s="${s:0:300}..."
    printf '%s' "$s"
}

# failed MSG WHAT [DETAIL]: the "not ok" line
failed() {
    not_ok "$1: $2${3:+ ($(shown "$3"))}"
}

is_number() {
    [[ $1 =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]
}

check_eq() {
    if [ "$1" = "$2" ]; then ok "$3"; else failed "$3" "got '$(shown "$1")', want '$(shown "$2")'" "${4:-}"; fi
}

check_ne() {
    if [ "$1" != "$2" ]; then ok "$3"; else failed "$3" "got '$(shown "$1")', want anything else" "${4:-}"; fi
}

check_empty() {
    if [ -z "$1" ]; then ok "$2"; else failed "$2" "got '$(shown "$1")', want nothing" "${3:-}"; fi
}

check_nonempty() {
    if [ -n "$1" ]; then ok "$2"; else failed "$2" "got nothing, want a value" "${3:-}"; fi
}

check_num() {
    case $2 in
    '<'|'<='|'='|'>='|'>'|'!=') ;;
    *) failed "$4" "check_num has no operator '$2'"; return ;;
    esac
    if is_number "$1" && is_number "$3" &&
        awk -v g="$1" -v w="$3" -v op="$2" 'BEGIN { g += 0; w += 0
            r = op == "<" ? g < w : op == "<=" ? g <= w : op == "=" ? g == w : op == ">=" ? g >= w : op == ">" ? g > w : g != w
            exit !r }'; then
        ok "$4"
    else
        failed "$4" "got '$(shown "$1")', want $2 $3" "${5:-}"
    fi
}

check_between() {
    if is_number "$1" && is_number "$2" && is_number "$3" &&
        awk -v g="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(g + 0 >= lo + 0 && g + 0 <= hi + 0) }'; then
        ok "$4"
    else
        failed "$4" "got '$(shown "$1")', want $2 to $3" "${5:-}"
    fi
}

# check_near GOT WANT TOLERANCE WHAT: |GOT - WANT| <= TOLERANCE, in GOT's own units
check_near() {
    if is_number "$2" && is_number "$3"; then
        check_between "$1" "$(awk -v w="$2" -v t="$3" 'BEGIN { printf "%.17g", w - t }')" \
            "$(awk -v w="$2" -v t="$3" 'BEGIN { printf "%.17g", w + t }')" "$4" "${5:-}"
    else
        failed "$4" "check_near wants numbers, not '$(shown "$2")' within '$(shown "$3")'" "${5:-}"
    fi
}

near() {
    if is_number "$1" && is_number "$2" && is_number "$3" &&
        awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w; if (s < 1e-12) s = 1; exit !(d <= t * s) }'; then
        ok "$4"
    else
        failed "$4" "got '$(shown "$1")', want $2 (within $3)" "${5:-}"
    fi
}

check_match() {
    if printf '%s\n' "$1" | grep -Eq -e "$2"; then
        ok "$3"
    else
        failed "$3" "got '$(shown "$1")', want a line matching /$2/" "${4:-}"
    fi
}

check_no_match() {
    local line
    line=$(printf '%s\n' "$1" | grep -E -m 1 -e "$2")
    if [ $? -ne 0 ]; then
        ok "$3"
    else
        failed "$3" "got '$(shown "$line")', want no line matching /$2/" "${4:-}"
    fi
}

check_file_has() {
    if [ ! -r "$1" ]; then
        failed "$3" "got no file $1" "${4:-}"
    elif grep -Eq -e "$2" -- "$1"; then
        ok "$3"
    else
        failed "$3" "got no line matching /$2/ in $1 ($(wc -l < "$1") lines)" "${4:-}"
    fi
}

check_file_lacks() {
    local line
    if [ ! -r "$1" ]; then
        failed "$3" "got no file $1" "${4:-}"
        return
    fi
    line=$(grep -E -m 1 -e "$2" -- "$1")
    if [ $? -ne 0 ]; then
        ok "$3"
    else
        failed "$3" "got '$(shown "$line")' in $1, want no line matching /$2/" "${4:-}"
    fi
}

# The locals of check_cmd and wait_until have names no test uses: bash's
# locals are seen by the functions they call, so a local "rc" would hide
# the test's own $rc from the condition.
check_cmd() {
    local _cc_msg=$1 _cc_detail= _cc_negate= _cc_status
    shift
    if [ $# -gt 0 ] && [ "$1" != -- ]; then _cc_detail=$1; shift; fi
    if [ $# -eq 0 ] || [ "$1" != -- ]; then
        failed "$_cc_msg" "check_cmd needs -- before the command"
        return
    fi
    shift
    if [ "${1:-}" = "!" ]; then _cc_negate=1; shift; fi
    "$@"
    _cc_status=$?
    if { [ -z "$_cc_negate" ] && [ $_cc_status -eq 0 ]; } || { [ -n "$_cc_negate" ] && [ $_cc_status -ne 0 ]; }; then
        ok "$_cc_msg"
    else
        failed "$_cc_msg" "got status $_cc_status from '$(shown "$*")', want ${_cc_negate:+not }0" "$_cc_detail"
    fi
}

wait_until() {
    local _wu_end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $_wu_end ] && return 1
        sleep 0.1
    done
}
