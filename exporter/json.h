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

#endif
