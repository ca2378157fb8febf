# pmie.sh: runs pcp-power's pmieconf rules (pmieconf/power) in a private
# pmie against the private pmcd; source after common.sh.
#   pmie_start NAME RULE... ["RULE VAR VALUE"...]  a pmie config made by
#                 pmieconf with only these rules enabled, each evaluated every
#                 second (unless a "RULE delta VALUE" says otherwise), with
#                 the other variables given, and acting by printing
#                 "FIRED <rule text> <action_expand>"; plus a heartbeat that
#                 prints "TICK" every second. Output in $WORK/pmie-NAME.out
#   fired NAME TEXT    true once the rule whose text is TEXT has fired
#   wait_fired NAME TEXT   waits (up to 60 s) until it has
#   wait_fired_times NAME TEXT N   until it has fired N times
#   fired_line NAME TEXT   what its action printed after TEXT, the latest time
#   wait_ticks NAME N  waits until the heartbeat ticked N times
#   pmie_stop          (also on exit)
# Time is counted in pmie's own evaluations (ticks), not wall-clock sleeps.
PMIE_RULES=$PCP_VAR_DIR/config/pmieconf/global:$TOP/pmieconf/power
PMIE_PID=

pmie_start() {
    local name=$1 spec
    shift
    {
        echo "disable all"
        echo "modify global syslog_action no"
        echo "modify global user_action yes"
        echo 'modify global user_command "echo FIRED $rule$^ $action_expand$"'
        for spec in "$@"; do
            case $spec in
            *" "*) echo "modify $spec" ;;
            *) echo "enable $spec"; echo "modify $spec delta \"1 sec\""; echo "modify $spec holdoff 0" ;;
            esac
        done
        echo "quit"
    } > "$WORK/pmieconf-$name.cmd"
    rm -f "$WORK/pmie-$name.config"
    pmieconf -r "$PMIE_RULES" -f "$WORK/pmie-$name.config" < "$WORK/pmieconf-$name.cmd" \
        > "$WORK/log/pmieconf-$name.log" 2>&1 || { sed 's/^/# /' "$WORK/log/pmieconf-$name.log"; return 1; }
    printf 'delta = 1 sec;\npcp_power_test_tick = power.control.samples >= 0 -> print "TICK";\n' \
        >> "$WORK/pmie-$name.config"
    # as root, pmie would otherwise run as user pcp, who cannot read $WORK
    pmie -U root $PMH -c "$WORK/pmie-$name.config" > "$WORK/pmie-$name.out" 2>&1 &
    PMIE_PID=$!
}

pmie_stop() {
    if [ -n "$PMIE_PID" ]; then
        kill "$PMIE_PID" 2>/dev/null
        wait "$PMIE_PID" 2>/dev/null
        PMIE_PID=
    fi
}

fired() {
    grep -q "^FIRED $2" "$WORK/pmie-$1.out" 2>/dev/null
}

wait_fired() {
    for _ in $(seq 600); do
        fired "$1" "$2" && return 0
        kill -0 "$PMIE_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# wait_lines NAME PATTERN N: until pmie's output has N lines matching PATTERN (and pmie runs)
wait_lines() {
    local n
    for _ in $(seq 600); do
        n=$(grep -c "$2" "$WORK/pmie-$1.out" 2>/dev/null)
        [ "${n:-0}" -ge "$3" ] && return 0
        kill -0 "$PMIE_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

wait_ticks() {
    wait_lines "$1" ': TICK$' "$2"
}

# fired_line NAME TEXT: what the action printed after the rule's text, the latest time
fired_line() {
    grep "^FIRED $2" "$WORK/pmie-$1.out" | tail -1 | sed "s/^FIRED $2 *//"
}

# wait_fired_times NAME TEXT N: until the rule has fired N times
wait_fired_times() {
    wait_lines "$1" "^FIRED $2" "$3"
}
