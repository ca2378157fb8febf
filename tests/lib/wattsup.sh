# wattsup.sh: emulated WattsUp meters for the meter tests; source after common.sh.
#   wattsup_setup        builds the pty shim and $AGENT, a wrapper that runs
#                        the sanitized agent (or $WATTSUP_AGENT, to run a
#                        test against another build) with the shim
#                        LD_PRELOADed, libasan first; false if the
#                        emulator is not built
#   start_emu NAME ARGS  build/tests/wattsup_emu on a new pty behind the
#                        link $WORK/tty-NAME; its pid in EMU_NAME, its log
#                        (every command it got) in $WORK/emu-NAME.log
#   wait_emus N          until N emulators have made their links
#   stop_emus            (also on exit)
# libserialport 0.1.1 refuses a pty, hence the shim (only for the agent, not pmcd).
EMU=$BUILD/tests/wattsup_emu
EMU_PIDS=()

stop_emus() {
    local p
    for p in "${EMU_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${EMU_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    EMU_PIDS=()
}
trap 'stop_emus; advance_stop; pmcd_stop' EXIT

wattsup_setup() {
    local asan_lib agent=${WATTSUP_AGENT:-$BUILD/san/pmdapower}
    if [ ! -x "$EMU" ]; then
        not_ok "emulator built ($EMU missing: make build/tests/wattsup_emu)"
        return 1
    fi
    cc -shared -fPIC -DSP_PTY_SHIM_SO -o "$WORK/sp_pty_shim.so" "$TOP/tests/helpers/sp_pty_shim.c" -ldl ||
        { not_ok "pty shim built"; return 1; }
    asan_lib=$(ldd "$agent" | awk '/libasan/ { print $3; exit }')
    cat > "$WORK/agent.sh" <<EOS
#!/bin/sh
LD_PRELOAD="$asan_lib $WORK/sp_pty_shim.so" exec "$agent" "\$@"
EOS
    chmod +x "$WORK/agent.sh"
    AGENT=$WORK/agent.sh
}

start_emu() {   # NAME ARGS...
    local name=$1
    shift
    "$EMU" -l "$WORK/tty-$name" "$@" >"$WORK/emu-$name.out" 2>"$WORK/emu-$name.log" &
    EMU_PIDS+=($!)
    printf -v "EMU_$name" %s "$!"
}

wait_emus() {   # N
    local n
    for _ in $(seq 50); do
        n=$(ls "$WORK"/tty-* 2>/dev/null | wc -l)
        [ "$n" -eq "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
