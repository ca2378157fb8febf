/*
 * fuzz.h: what every harness in fuzz/ shares. A harness is one
 * LLVMFuzzerTestOneInput() that hands its input to the agent's own parser
 * exactly as the agent would (same buffer sizes, same NUL termination),
 * then checks what must hold whatever the input: a broken property
 * aborts, which libFuzzer and fuzz/replay_main.c both report as a crash.
 */
#ifndef POWER_FUZZ_H
#define POWER_FUZZ_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the parser must keep: abort with the reason (the input is
 * what libFuzzer saves, or what the replay names). */
#define FUZZ_ASSERT(cond, ...) do {                                        \
    if (!(cond)) {                                                         \
        fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
        fprintf(stderr, __VA_ARGS__);                                      \
        fprintf(stderr, "\n");                                             \
        abort();                                                           \
    }                                                                      \
} while (0)

/* The input as a C string, in an exact-size heap copy so ASan sees a read
 * past its end (a NUL inside ends the string early, as it would for the agent). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The agent's log callback: every message is formatted, so a bad format
 * or argument is caught, and then dropped but for the latest, which a
 * harness may look at (fuzz_last_log). */
static char fuzz_last_log[1024];

static inline void
fuzz_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void
fuzz_log(int priority, const char *fmt, ...)
{
    va_list ap;

    (void)priority;
    va_start(ap, fmt);
    vsnprintf(fuzz_last_log, sizeof(fuzz_last_log), fmt, ap);
    va_end(ap);
}

/* Where to cut the input into reads, as a serial line or a pipe would:
 * pieces of 1 to 64 bytes from a generator seeded by the input itself,
 * so a given input is always cut the same way. */
struct fuzz_cuts {
    uint32_t state;
};

static inline void
fuzz_cuts_init(struct fuzz_cuts *c, const uint8_t *data, size_t size)
{
    c->state = 2166136261u;
    for (size_t i = 0; i < size; i++)
        c->state = (c->state ^ data[i]) * 16777619u;
    c->state |= 1;
}

static inline size_t
fuzz_cuts_next(struct fuzz_cuts *c)
{
    c->state ^= c->state << 13;
    c->state ^= c->state >> 17;
    c->state ^= c->state << 5;
    return 1 + c->state % 64;
}

#endif
