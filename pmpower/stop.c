#include "stop.h"

#include <signal.h>
#include <string.h>

/* the one flag the handler may touch */
static volatile sig_atomic_t requested;

static void
on_signal(int sig)
{
    (void)sig;
    requested = 1;
}

void
pp_stop_on_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool
pp_stop_requested(void)
{
    return requested != 0;
}

void
pp_stop_hold(sigset_t *saved)
{
    sigset_t stops;

    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, saved);
}

void
pp_stop_release(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}
