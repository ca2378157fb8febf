#include "json.h"

#include <math.h>
#include <stdlib.h>

void
json_string(FILE *fp, const char *s)
{
    if (!s) {
        fputs("null", fp);
        return;
    }
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

void
json_number(FILE *fp, double v)
{
    char buf[40];

    if (!isfinite(v)) {
        fputs("null", fp);
        return;
    }
    /* the shortest of %.15g .. %.17g that reads back exactly */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, fp);
}

void
json_key(FILE *fp, const char *key)
{
    json_string(fp, key);
    fputc(':', fp);
}

void
json_more_number(FILE *fp, const char *key, double v)
{
    fputc(',', fp);
    json_key(fp, key);
    json_number(fp, v);
}

void
json_more_string(FILE *fp, const char *key, const char *s)
{
    fputc(',', fp);
    json_key(fp, key);
    json_string(fp, s);
}

void
json_window(FILE *fp, const char *start_text, const char *end_text, double start, double end)
{
    json_key(fp, "start");
    json_string(fp, start_text);
    fputs(",", fp);
    json_key(fp, "end");
    json_string(fp, end_text);
    fputs(",\"start_epoch\":", fp);
    json_number(fp, start);
    fputs(",\"end_epoch\":", fp);
    json_number(fp, end);
    fputs(",\"duration_s\":", fp);
    json_number(fp, end - start);
}
