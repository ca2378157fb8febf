/* The shared source status (common/status.c): what is logged, and when. */
#include "check.h"
#include "fakesys.h"
#include "status.h"

#include <syslog.h>

static void
states_are_logged_when_they_change(void)
{
    struct source_status st;

    fake_log_clear();
    status_init(&st, "demo", fake_record);
    status_set(&st, SOURCE_ABSENT, "not sampled yet");
    CHECK(fake_log_count("source demo: absent: not sampled yet") == 1,
          "the first state is logged with its reason, though absent is where it starts: %s", fake_log);
    status_set(&st, SOURCE_ABSENT, "not sampled yet");
    status_set(&st, SOURCE_ABSENT, "no file under /x");
    CHECK(fake_log_lines == 1, "the same state again is not logged, whatever its reason (%d lines)", fake_log_lines);
    CHECK_STR(st.reason, "no file under /x", "but the reason is kept for power.source.reason");
    status_set(&st, SOURCE_ACTIVE, "BAT0: power from the energy_now rate");
    CHECK(fake_log_count("source demo: active") == 1 && fake_log_count("energy_now rate") == 0,
          "active is logged without its reason, which names what the source logs itself: %s", fake_log);
    status_set(&st, SOURCE_ABSENT, "%s", st.reason);
    CHECK(fake_log_count("source demo: absent: BAT0: power from") == 1, "a reason may be formatted from the old one");
    status_set(&st, SOURCE_FAILED, "cannot read /proc/stat");
    CHECK(fake_log_count("source demo: failed: cannot read /proc/stat") == 1 && fake_log_lines == 4,
          "each change is one line (%d lines)", fake_log_lines);

    status_init(&st, "quiet", NULL);
    status_set(&st, SOURCE_DISABLED, "off");
    CHECK(st.state == SOURCE_DISABLED, "no log function: the state is still kept");
}

/* the priority of the latest line */
static int last_priority;

static void __attribute__((format(printf, 2, 3)))
priority_record(int priority, const char *fmt, ...)
{
    (void)fmt;
    last_priority = priority;
}

static void
losing_a_source_is_a_warning(void)
{
    struct source_status st;

    status_init(&st, "demo", priority_record);
    status_set(&st, SOURCE_ABSENT, "nothing yet");
    CHECK(last_priority == LOG_INFO, "absent before it ever delivered: info (%d)", last_priority);
    status_set(&st, SOURCE_ACTIVE, "%s", "");
    CHECK(last_priority == LOG_INFO, "active: info (%d)", last_priority);
    status_set(&st, SOURCE_ABSENT, "the meter is unplugged");
    CHECK(last_priority == LOG_WARNING, "absent after active: a warning (%d)", last_priority);
    status_set(&st, SOURCE_FAILED, "no permission");
    CHECK(last_priority == LOG_WARNING, "failed: a warning (%d)", last_priority);
}

enum demo_kind { DEMO_BAD_LINE, DEMO_OLD_EXPORTER };

static void
errors_are_counted_always_and_logged_once(void)
{
    struct source_status st;

    fake_log_clear();
    status_init(&st, "demo", fake_record);
    for (int i = 0; i < 5; i++)
        status_error(&st, DEMO_BAD_LINE, "line %d is garbage", i);
    CHECK(st.errors == 5, "every bad input is counted (%llu)", (unsigned long long)st.errors);
    CHECK(fake_log_lines == 1 && fake_log_count("demo: line 0 is garbage") == 1,
          "the first of a kind is logged, named by the source: %s", fake_log);
    status_clear(&st, DEMO_BAD_LINE);
    status_error(&st, DEMO_BAD_LINE, "line %d is garbage", 9);
    CHECK(fake_log_count("demo: line 9 is garbage") == 1, "once cleared, the kind is logged again");
    status_warn_once(&st, DEMO_OLD_EXPORTER, "an old exporter");
    status_warn_once(&st, DEMO_OLD_EXPORTER, "an old exporter");
    CHECK(st.errors == 6 && fake_log_count("old exporter") == 1, "a warning is logged once and not counted");
    status_count(&st, 3);
    CHECK(st.errors == 9 && fake_log_lines == 3, "errors counted elsewhere add up, and log nothing here");
}

static void
notices_follow_one_instance(void)
{
    struct notice n = { "" };

    fake_log_clear();
    CHECK(notice_set(&n, fake_record, 4, "meter m1: ", "%s is gone", "/dev/ttyUSB0"), "a new condition is news");
    CHECK(!notice_set(&n, fake_record, 4, "meter m1: ", "%s is gone", "/dev/ttyUSB0"), "the same again is not");
    CHECK(fake_log_count("meter m1: /dev/ttyUSB0 is gone") == 1 && fake_log_lines == 1, "logged once: %s", fake_log);
    notice_set(&n, fake_record, 4, "meter m1: ", "permission denied");
    CHECK(fake_log_lines == 2 && notice_is_set(&n), "another text is logged");
    notice_clear(&n);
    CHECK(!notice_is_set(&n), "cleared: the condition has gone");

    fake_log_clear();
    for (int w = 400; w < 410; w++)
        notice_once(&n, fake_record, 4, "battery: ", "BAT0 gives %d W", w);
    CHECK(fake_log_lines == 1 && fake_log_count("battery: BAT0 gives 400 W") == 1,
          "once: a figure that changes every sample is logged the first time only: %s", fake_log);
    notice_clear(&n);
    notice_once(&n, fake_record, 4, "battery: ", "BAT0 gives %d W", 500);
    CHECK(fake_log_count("BAT0 gives 500 W") == 1, "and again after it was cleared");
}

int
main(void)
{
    states_are_logged_when_they_change();
    losing_a_source_is_a_warning();
    errors_are_counted_always_and_logged_once();
    notices_follow_one_instance();
    return CHECK_DONE();
}
