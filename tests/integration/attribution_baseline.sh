#!/usr/bin/env bash
# attribution.sh again with [attribution] idle = baseline and a 25 W idle power under
# its 40 W zone: the same conservation checks hold when active energy is
# the energy above the baseline (attribution/idle.h) instead of the busy share.
IDLE_CONF=$'idle = baseline\nidle_watts = 25' exec bash "$(dirname "$0")/attribution.sh"
