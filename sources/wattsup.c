#include "wattsup.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[WATTSUP_NFIELDS] = {
    "W", "V", "A", "WH", "Cost", "WH/Mo", "Cost/Mo", "Wmax", "Vmax", "Amax",
    "Wmin", "Vmin", "Amin", "PF", "DC", "PC", "Hz", "VA",
};

const char *
wattsup_status_message(enum wattsup_status status)
{
    switch (status) {
    case WATTSUP_OK:
        return "ok";
    case WATTSUP_ERR_SYNTAX:
        return "not a \"#c,s,n,...;\" record";
    case WATTSUP_ERR_COUNT:
        return "wrong number of fields";
    case WATTSUP_ERR_VALUE:
        return "a field is not a number";
    case WATTSUP_ERR_NO_WATTS:
        return "record has no W value";
    case WATTSUP_ERR_HEADER:
        return "header names no W field";
    }
    return "unknown error";
}

void
wattsup_framer_reset(struct wattsup_framer *f)
{
    f->len = 0;
    f->in_record = false;
    f->skipping = false;
    f->record[0] = '\0';
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Ignored inside a packet (I.4). */
static bool
is_packet_control(char c)
{
    return c == '\r' || c == '\n' || c == '\t';
}

/* Not ASCII text a meter sends (I.2): noise, or a line at the wrong baud.
 * NUL is not noise: meters pad with it between records. */
static bool
is_noise(char c)
{
    unsigned char u = (unsigned char)c;

    return u >= 0x7f || (u < 0x20 && u != '\0' && !is_packet_control(c));
}

enum wattsup_frame
wattsup_framer_next(struct wattsup_framer *f, const char *data, size_t len, size_t *used)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char c = data[i];

        if (!f->in_record) {
            if (c == '#') {
                f->in_record = true;
                f->skipping = false;
                f->len = 0;
                f->record[f->len++] = c;
            } else if (is_noise(c) && !f->skipping) {
                /* one report per run: a burst of noise is one error, not hundreds */
                f->skipping = true;
                *used = i + 1;
                return WATTSUP_FRAME_GARBAGE;
            }
            continue;
        }
        if (c == '#') {
            /* the '#' starts the next record: leave it for the next call;
             * record keeps the cut one for the caller's message */
            f->record[f->len] = '\0';
            f->in_record = false;
            *used = i;
            return WATTSUP_FRAME_CUT;
        }
        if (is_packet_control(c))
            continue;
        if (f->len >= WATTSUP_MAX_RECORD) {
            f->record[f->len] = '\0';
            f->in_record = false;
            f->skipping = true;
            *used = i + 1;
            return WATTSUP_FRAME_TOO_LONG;
        }
        /* a NUL or noise byte would end or hide in the text: make it visible, and refused */
        f->record[f->len++] = c == '\0' || is_noise(c) ? '?' : c;
        if (c == ';') {
            f->record[f->len] = '\0';
            f->in_record = false;
            *used = i + 1;
            return WATTSUP_FRAME_RECORD;
        }
    }
    *used = len;
    return WATTSUP_FRAME_NONE;
}

static char *
trim(char *s)
{
    char *end;

    while (is_blank(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_blank(end[-1]))
        *--end = '\0';
    return s;
}

enum wattsup_status
wattsup_record_parse(const char *text, struct wattsup_record *rec)
{
    size_t len = strlen(text);
    char *p, *cmd, *sub, *argc, *end;
    int nfields = 0;
    long n;

    memset(rec, 0, sizeof(*rec));
    if (len < 2 || len > WATTSUP_MAX_RECORD || text[0] != '#' || text[len - 1] != ';')
        return WATTSUP_ERR_SYNTAX;
    memcpy(rec->text, text + 1, len - 2);    /* without '#' and ';' */
    rec->text[len - 2] = '\0';
    if (strpbrk(rec->text, "#;"))
        return WATTSUP_ERR_SYNTAX;

    /* split in place: cmd, sub, argc, then the fields */
    p = rec->text;
    cmd = p;
    if (!(p = strchr(p, ',')))
        return WATTSUP_ERR_SYNTAX;
    *p++ = '\0';
    sub = p;
    if (!(p = strchr(p, ',')))
        return WATTSUP_ERR_SYNTAX;
    *p++ = '\0';
    argc = p;
    if ((p = strchr(p, ',')) != NULL)
        *p++ = '\0';
    cmd = trim(cmd);
    sub = trim(sub);
    argc = trim(argc);
    if (strlen(cmd) != 1 || strlen(sub) != 1 || !isdigit((unsigned char)argc[0]))
        return WATTSUP_ERR_SYNTAX;
    n = strtol(argc, &end, 10);
    if (*end != '\0' || n > WATTSUP_MAX_FIELDS)
        return WATTSUP_ERR_SYNTAX;
    rec->cmd = cmd[0];
    rec->sub = sub[0];
    rec->argc = (int)n;

    while (p) {
        char *field = p;
        if ((p = strchr(p, ',')) != NULL)
            *p++ = '\0';
        if (nfields >= WATTSUP_MAX_FIELDS)
            return WATTSUP_ERR_COUNT;
        rec->field[nfields++] = trim(field);
    }
    if (nfields != rec->argc)
        return WATTSUP_ERR_COUNT;
    return WATTSUP_OK;
}

void
wattsup_layout_default(struct wattsup_layout *layout, int nfields)
{
    if (nfields < 0)
        nfields = 0;
    layout->nfields = nfields;
    for (int i = 0; i < WATTSUP_NFIELDS; i++)
        layout->index[i] = i < nfields ? i : -1;
}

enum wattsup_status
wattsup_layout_for_record(const struct wattsup_record *rec, struct wattsup_layout *layout)
{
    /* the two layouts the protocol document and the firmware in the field have */
    if (rec->argc != 16 && rec->argc != WATTSUP_NFIELDS)
        return WATTSUP_ERR_COUNT;
    wattsup_layout_default(layout, rec->argc);
    return WATTSUP_OK;
}

enum wattsup_status
wattsup_layout_from_header(const struct wattsup_record *header, struct wattsup_layout *layout)
{
    struct wattsup_layout l;

    l.nfields = header->argc;
    for (int i = 0; i < WATTSUP_NFIELDS; i++)
        l.index[i] = -1;
    for (int pos = 0; pos < header->argc; pos++) {
        for (int i = 0; i < WATTSUP_NFIELDS; i++) {
            /* names are matched without case: firmware spells "Hz" and "HZ" */
            if (l.index[i] < 0 && strcasecmp(header->field[pos], field_names[i]) == 0) {
                l.index[i] = pos;
                break;
            }
        }
    }
    if (l.index[WATTSUP_W] < 0)
        return WATTSUP_ERR_HEADER;
    *layout = l;
    return WATTSUP_OK;
}

/* An integer, or "_" for a field the meter was told not to fill. */
static enum wattsup_status
field_value(const char *text, long *value, bool *present)
{
    const char *p = text;
    long v = 0;
    bool negative = false;

    if (strcmp(text, "_") == 0) {
        *present = false;
        return WATTSUP_OK;
    }
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (!isdigit((unsigned char)*p))
        return WATTSUP_ERR_VALUE;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 100000000L)   /* far beyond any reading */
            return WATTSUP_ERR_VALUE;
        v = v * 10 + (*p - '0');
    }
    *value = negative ? -v : v;
    *present = true;
    return WATTSUP_OK;
}

enum wattsup_status
wattsup_reading_parse(const struct wattsup_record *rec, const struct wattsup_layout *layout,
                      struct wattsup_reading *out)
{
    long value[WATTSUP_MAX_FIELDS];
    bool present[WATTSUP_MAX_FIELDS];
    struct wattsup_reading r;
    int w = layout->index[WATTSUP_W];

    if (rec->argc != layout->nfields || w < 0 || w >= rec->argc)
        return WATTSUP_ERR_COUNT;
    for (int i = 0; i < rec->argc; i++) {
        enum wattsup_status sts = field_value(rec->field[i], &value[i], &present[i]);
        if (sts != WATTSUP_OK)
            return sts;
    }
    if (!present[w])
        return WATTSUP_ERR_NO_WATTS;
    if (value[w] < 0)
        return WATTSUP_ERR_VALUE;   /* W is 0 - 50000 tenths (III): a counter never runs backwards */
    memset(&r, 0, sizeof(r));
    r.watts = (double)value[w] / 10.0;
#define OPTIONAL(field, has, out_field, scale) do {                       \
        int i_ = layout->index[field];                                     \
        if (i_ >= 0 && i_ < rec->argc && present[i_]) {                   \
            r.has = true;                                                  \
            r.out_field = (double)value[i_] / (scale);                     \
        }                                                                  \
    } while (0)
    OPTIONAL(WATTSUP_V, has_volts, volts, 10.0);
    OPTIONAL(WATTSUP_A, has_amps, amps, 1000.0);
    OPTIONAL(WATTSUP_PF, has_power_factor, power_factor, 100.0);
#undef OPTIONAL
    *out = r;
    return WATTSUP_OK;
}

int
wattsup_format_choose(const struct wattsup_layout *layout, char *buf, size_t size)
{
    static const enum wattsup_field wanted[] = { WATTSUP_W, WATTSUP_V, WATTSUP_A, WATTSUP_PF };
    int n, len;

    if (layout->nfields <= 0 || layout->nfields > WATTSUP_MAX_FIELDS)
        return -1;
    len = snprintf(buf, size, "#C,W,%d", layout->nfields);
    for (int pos = 0; pos < layout->nfields && len >= 0 && (size_t)len < size; pos++) {
        bool on = false;
        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
            on |= layout->index[wanted[i]] == pos;
        n = snprintf(buf + len, size - (size_t)len, ",%d", on ? 1 : 0);
        len = n < 0 ? -1 : len + n;
    }
    if (len < 0 || (size_t)len + 1 >= size)
        return -1;
    buf[len++] = ';';
    buf[len] = '\0';
    return len;
}

int
wattsup_format_log_start(unsigned form, unsigned interval_s, char *buf, size_t size)
{
    static const char *const reserved[WATTSUP_LOG_FORMS] = { "1", "0", "-" };
    int len;

    if (form >= WATTSUP_LOG_FORMS)
        return -1;
    len = snprintf(buf, size, "#L,W,3,E,%s,%u;", reserved[form], interval_s);
    return len < 0 || (size_t)len >= size ? -1 : len;
}
