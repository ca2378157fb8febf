#include "source.h"

const char *
source_state_name(enum source_state state)
{
    switch (state) {
    case SOURCE_ACTIVE:
        return "active";
    case SOURCE_ABSENT:
        return "absent";
    case SOURCE_FAILED:
        return "failed";
    case SOURCE_DISABLED:
        return "disabled";
    }
    return "unknown";
}
