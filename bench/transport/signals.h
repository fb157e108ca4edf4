/*
 * Signal handling shared by the benchmark helpers: SIGUSR1 asks for a report, SIGINT,
 * SIGTERM and SIGALRM ask to exit. Installed without SA_RESTART, so that a signal
 * interrupts a blocking call and the main loop can react.
 */
#ifndef BENCH_TRANSPORT_SIGNALS_H
#define BENCH_TRANSPORT_SIGNALS_H

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t want_report, want_exit;

static void on_signal(int signum)
{
    if (signum == SIGUSR1)
        want_report = 1;
    else
        want_exit = 1;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
}

#endif
