/*
 * log.h: how every layer below the PCP face reports to the agent's log.
 *
 * printf-like, with syslog priorities (LOG_ERR, LOG_WARNING, LOG_INFO):
 * the agent passes pmNotifyErr, tests pass a recorder, so nothing below
 * pmda/ needs PCP to say what went wrong.
 */
#ifndef POWER_LOG_H
#define POWER_LOG_H

typedef void (*power_log_fn)(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
