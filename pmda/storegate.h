/*
 * storegate.h: who may store what, for the families that take stores.
 * clients.c decides (pure); this adds the PCP side: pmcd's error codes and
 * one log line per identity saying why and what to do.
 */
#ifndef POWER_STOREGATE_H
#define POWER_STOREGATE_H

#include "clients.h"

struct power_config;

struct store_gate {
    struct clients clients;
};

/* [phase] marks and rate from the config. */
void store_gate_init(struct store_gate *g, struct power_config *config);
void store_gate_free(struct store_gate *g);

/* 0 when client may make this store now; else PM_ERR_PERMISSION, or
 * -EAGAIN for a mark over the rate; the first refusal of each identity is
 * logged with the fix, the rest counted. metric names it in the log. */
int store_gate_check(struct store_gate *g, int client, enum client_request req, const char *metric);

#endif
