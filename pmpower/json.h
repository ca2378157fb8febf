/*
 * json.h: just enough JSON writing for pmpower's --json output. Pure.
 * The caller places commas; these write one value each.
 */
#ifndef PMPOWER_JSON_H
#define PMPOWER_JSON_H

#include <stdio.h>

void json_string(FILE *fp, const char *s);        /* "..." escaped; null for NULL */
void json_number(FILE *fp, double v);             /* shortest exact form; null for NaN/inf */
void json_key(FILE *fp, const char *key);         /* "key": */
/* ,"key":value: a member after the first */
void json_more_number(FILE *fp, const char *key, double v);
void json_more_string(FILE *fp, const char *key, const char *s);

/* A window's bounds: "start":..,"end":..,"start_epoch":..,"end_epoch":..,
 * "duration_s":.. (no comma before or after); the texts are its formatted times. */
void json_window(FILE *fp, const char *start_text, const char *end_text, double start, double end);

#endif
