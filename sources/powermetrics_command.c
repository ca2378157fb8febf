/*
 * powermetrics_command.c: the child's command line: split from the
 * config's text, and a sampler it refuses taken out of its --samplers.
 * No I/O, no threads, no PCP.
 */
#include "powermetrics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pm_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

char **
pm_split_command(const char *command, size_t extra, size_t *argc)
{
    size_t n = 0, len = strlen(command);
    char **argv = calloc(len / 2 + 2 + extra, sizeof(*argv));   /* a word needs a byte and a blank */
    char *word = malloc(len + 1);
    const char *p = command;

    if (!argv || !word)
        goto fail;
    for (;;) {
        size_t w = 0;
        bool any = false;

        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *close = strchr(p, q);
                if (!close)
                    goto fail;
                memcpy(word + w, p, (size_t)(close - p));
                w += (size_t)(close - p);
                p = close + 1;
            } else
                word[w++] = *p++;
            any = true;
        }
        if (!any)
            continue;
        word[w] = '\0';
        if ((argv[n] = strdup(word)) == NULL)
            goto fail;
        n++;
    }
    free(word);
    if (n == 0) {
        free(argv);
        return NULL;
    }
    *argc = n;
    return argv;
fail:
    free(word);
    pm_argv_free(argv);
    return NULL;
}

/* ---- a sampler the child does not know ---- */

/* powermetrics says "powermetrics: unrecognized sampler: bandwidth" on
 * stderr and exits (tlkh/asitop issue #53, macOS 13 without the bandwidth
 * sampler; the same for smc on arm64). No report of the exact words for
 * ane_power on macOS 12 was found, so any line that says a sampler is
 * unrecognised, unknown, invalid or unsupported counts, if it names one. */
static bool
says_unknown_sampler(const char *line, size_t len)
{
    static const char *const words[] = { "unrecogni", "unknown", "invalid", "unsupported", "not supported" };
    char lower[512];
    size_t n = len < sizeof(lower) - 1 ? len : sizeof(lower) - 1;

    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)line[i]);
    lower[n] = '\0';
    if (!strstr(lower, "sampler"))
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(lower, words[i]))
            return true;
    return false;
}

static bool
is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* word (of len bytes) appears in line as a whole word */
static bool
names_word(const char *line, size_t line_len, const char *word, size_t len)
{
    for (const char *p = line; len > 0 && (p = memmem(p, line_len - (size_t)(p - line), word, len)) != NULL; p++) {
        if ((p == line || !is_word_char(p[-1])) &&
            (p + len == line + line_len || !is_word_char(p[len])))
            return true;
    }
    return false;
}

/* The --samplers list in argv, or NULL. */
static char *
samplers_list(char **argv)
{
    for (char **a = argv; *a; a++) {
        if ((strcmp(*a, "--samplers") == 0 || strcmp(*a, "-s") == 0) && a[1])
            return a[1];
        if (strncmp(*a, "--samplers=", strlen("--samplers=")) == 0)
            return *a + strlen("--samplers=");
    }
    return NULL;
}

/* Remove entry [start, start + len) and one comma beside it from list. */
static void
remove_entry(char *list, char *start, size_t len)
{
    char *end = start + len;

    if (*end == ',')
        end++;
    else if (start > list && start[-1] == ',')
        start--;
    memmove(start, end, strlen(end) + 1);
}

bool
pm_drop_unknown_sampler(char **argv, const char *text, char *name, size_t name_size)
{
    char *list = argv ? samplers_list(argv) : NULL;

    if (!list || !text || !strchr(list, ','))
        return false;       /* no list, or its last sampler: nothing to run without */
    for (const char *line = text; *line;) {
        size_t line_len = strcspn(line, "\n");

        if (says_unknown_sampler(line, line_len)) {
            for (char *entry = list; *entry;) {
                size_t len = strcspn(entry, ",");
                char *word = entry, *next = entry + len + (entry[len] == ',');
                size_t word_len = len;

                while (word_len > 0 && isspace((unsigned char)*word)) {
                    word++;
                    word_len--;
                }
                while (word_len > 0 && isspace((unsigned char)word[word_len - 1]))
                    word_len--;
                if (names_word(line, line_len, word, word_len)) {
                    snprintf(name, name_size, "%.*s", (int)word_len, word);
                    remove_entry(list, entry, len);
                    return true;
                }
                entry = next;
            }
        }
        line += line_len + (line[line_len] == '\n');
    }
    return false;
}
