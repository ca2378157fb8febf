#!/usr/bin/env bash
# churn.sh again with [attribution] idle = baseline and a 20 W idle power under
# its 30 W zone: the same conservation checks hold when active energy is
# the energy above the baseline (attribution/idle.h) instead of the busy share.
IDLE_CONF=$'idle = baseline\nidle_watts = 20' exec bash "$(dirname "$0")/churn.sh"
