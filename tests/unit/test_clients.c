/*
 * test_clients: who may store what. pmcd hands the agent each client
 * context's uid and gid as decimal text with its NUL (libpcp's
 * auxserver.c SetCredentialAttrs, "%u"); a TCP client gets none. Controls
 * are root's; marks are anyone's unless marks = root, and all marks pass
 * one token bucket. Context numbers are reused by pmcd, so an ended
 * context forgets its credentials.
 */
#include "check.h"
#include "clients.h"

static void
set(struct clients *c, int ctx, const char *uid)
{
    clients_set_uid(c, ctx, uid, strlen(uid) + 1);
    clients_set_gid(c, ctx, uid, strlen(uid) + 1);
}

static void
control_is_root_only(void)
{
    struct clients c;
    bool last;

    clients_init(&c, false, 3, 32);
    set(&c, 0, "0");
    set(&c, 3, "65534");
    CHECK(clients_check(&c, 0, REQUEST_CONTROL, 1) == CLIENT_ALLOWED, "root (uid 0) may store a control");
    CHECK(clients_check(&c, 3, REQUEST_CONTROL, 1) == CLIENT_REFUSED, "uid 65534 may not");
    CHECK(clients_check(&c, 1, REQUEST_CONTROL, 1) == CLIENT_REFUSED,
          "a context with no credentials (TCP) may not");
    CHECK(clients_check(&c, 9999, REQUEST_CONTROL, 1) == CLIENT_REFUSED, "an unknown context may not");
    CHECK(clients_check(&c, -1, REQUEST_CONTROL, 1) == CLIENT_REFUSED, "a negative context may not");
    CHECK(c.refused == 4, "refusals are counted (%llu)", (unsigned long long)c.refused);

    clients_end(&c, 0);
    CHECK(clients_check(&c, 0, REQUEST_CONTROL, 1) == CLIENT_REFUSED,
          "an ended context forgets it was root: pmcd reuses the number for the next client");

    CHECK(clients_set_uid(&c, 4, "0x0", 4) < 0 && clients_check(&c, 4, REQUEST_CONTROL, 1) == CLIENT_REFUSED,
          "a uid that is not decimal is no credential");
    CHECK(clients_set_uid(&c, 4, "0junk", 6) < 0, "trailing text is refused");
    CHECK(clients_set_uid(&c, 4, "99999999999", 12) < 0, "a uid beyond 32 bits is refused");
    CHECK(clients_set_uid(&c, 4, "", 0) < 0, "an empty attribute is refused");
    CHECK(clients_set_uid(&c, 5, "0", 1) == 0 && clients_check(&c, 5, REQUEST_CONTROL, 1) == CLIENT_ALLOWED,
          "a uid without its NUL still reads");
    set(&c, 6, "0");
    clients_set_uid(&c, 6, "bad", 4);
    CHECK(clients_check(&c, 6, REQUEST_CONTROL, 1) == CLIENT_REFUSED,
          "a bad uid after a good one leaves no credential, not the old one");
    CHECK(clients_set_uid(&c, CLIENTS_MAX_CONTEXT + 1, "0", 2) < 0, "a context number beyond any pmcd's is refused");

    /* one log line per identity and kind */
    CHECK(clients_first_refusal(&c, 3, REQUEST_CONTROL, &last) && !last, "the first refusal of uid 65534 is told");
    CHECK(!clients_first_refusal(&c, 3, REQUEST_CONTROL, &last), "the second is only counted");
    set(&c, 7, "65534");
    CHECK(!clients_first_refusal(&c, 7, REQUEST_CONTROL, &last), "another context of the same user is not told again");
    CHECK(clients_first_refusal(&c, 7, REQUEST_MARK, &last), "a refusal of another kind is told once too");
    CHECK(clients_first_refusal(&c, 1, REQUEST_CONTROL, &last), "clients without credentials are told once");
    CHECK(!clients_first_refusal(&c, 8, REQUEST_CONTROL, &last), "... together");
    int told = 0, lasts = 0;
    for (int uid = 1000; uid < 1000 + 2 * CLIENTS_TOLD_MAX; uid++) {
        char text[16];
        snprintf(text, sizeof(text), "%d", uid);
        set(&c, 10, text);
        if (clients_first_refusal(&c, 10, REQUEST_CONTROL, &last))
            told++;
        lasts += last;
    }
    CHECK(told == CLIENTS_TOLD_MAX - 2 + 1 && lasts == 1,
          "the log is bounded: %d identities told, then one last line (%d told, %d last)",
          CLIENTS_TOLD_MAX, told, lasts);
    clients_free(&c);
}

static void
marks(void)
{
    struct clients c;
    int allowed = 0;

    clients_init(&c, false, 3, 32);
    set(&c, 2, "1000");
    CHECK(clients_check(&c, 2, REQUEST_MARK, 100.0) == CLIENT_ALLOWED, "a user may mark a phase");
    CHECK(clients_check(&c, 1, REQUEST_MARK, 100.0) == CLIENT_ALLOWED, "so may a client without credentials");
    for (int i = 0; i < 100; i++)
        allowed += clients_check(&c, 2, REQUEST_MARK, 100.0) == CLIENT_ALLOWED;
    CHECK(allowed == 30 && c.throttled == 70, "a burst takes 32 marks, the rest are throttled (%d, %llu)",
          allowed, (unsigned long long)c.throttled);
    CHECK(clients_check(&c, 2, REQUEST_MARK, 100.2) == CLIENT_THROTTLED, "0.2 s later: no token yet (3 a second)");
    CHECK(clients_check(&c, 2, REQUEST_MARK, 100.4) == CLIENT_ALLOWED, "0.4 s later: one token");
    allowed = 0;
    for (int i = 0; i < 100; i++)
        allowed += clients_check(&c, 2, REQUEST_MARK, 110.4) == CLIENT_ALLOWED;
    CHECK(allowed == 30, "after 10 s the bucket holds 30 marks again (%d)", allowed);
    allowed = 0;
    for (int i = 0; i < 1000; i++)
        allowed += clients_check(&c, 2, REQUEST_MARK, 1000.0) == CLIENT_ALLOWED;
    CHECK(allowed == 32, "a long pause refills the bucket to its size only (%d)", allowed);
    CHECK(clients_check(&c, 2, REQUEST_MARK, 999.0) == CLIENT_THROTTLED,
          "a clock that goes back gives no tokens");
    clients_free(&c);

    clients_init(&c, true, 3, 32);
    set(&c, 0, "0");
    set(&c, 2, "1000");
    CHECK(clients_check(&c, 2, REQUEST_MARK, 1) == CLIENT_REFUSED, "marks = root: a user may not mark");
    CHECK(clients_check(&c, 1, REQUEST_MARK, 1) == CLIENT_REFUSED, "marks = root: nor a client without credentials");
    CHECK(clients_check(&c, 0, REQUEST_MARK, 1) == CLIENT_ALLOWED, "marks = root: root may");
    CHECK(c.refused == 2 && c.throttled == 0, "refused marks are counted as refusals, not throttles");
    clients_free(&c);
}

int
main(void)
{
    control_is_root_only();
    marks();
    return CHECK_DONE();
}
