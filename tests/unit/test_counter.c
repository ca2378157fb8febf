/* Wrap extension, gauge integration and counter parsing (sources/counter.c). */
#include "check.h"
#include "counter.h"

#include <stdint.h>

static void
wrap_extension(void)
{
    /* a 32-bit-style counter: 0..999 then back to 0 */
    struct wrap_counter c = { .range = 1000 };

    CHECK(wrap_counter_update(&c, 900) == 0, "first reading primes, adds nothing");
    CHECK(c.extended == 900, "extended starts at the first raw value (got %llu)",
          (unsigned long long)c.extended);
    CHECK(wrap_counter_update(&c, 950) == 50, "a forward step adds its delta");
    CHECK(wrap_counter_update(&c, 30) == 80, "a wrap adds range - last + raw (50 + 30)");
    CHECK(c.wraps == 1 && c.resets == 0, "the wrap is counted as a wrap");
    CHECK(c.extended == 1030, "extended keeps counting past the range (got %llu)",
          (unsigned long long)c.extended);
    CHECK(wrap_counter_update(&c, 30) == 0, "an unchanged counter adds 0");
    wrap_counter_update(&c, 999);
    CHECK(wrap_counter_update(&c, 0) == 1, "999 -> 0 is one step when the range is 1000");
    CHECK(c.wraps == 2, "second wrap counted");
}

static void
wrap_of_a_real_rapl_range(void)
{
    /* max_energy_range_uj of a common Intel package: 262143328850 */
    uint64_t max = 262143328850ULL;
    struct wrap_counter c = { .range = max + 1 };
    uint64_t total = 0;

    wrap_counter_update(&c, max - 5000000);            /* 5 J before the wrap */
    total += wrap_counter_update(&c, 20000000);        /* 20 J after it */
    CHECK(total == 25000001ULL, "a wrap across a real RAPL range adds 25 J (+1 uJ for max->0) (got %llu uJ)",
          (unsigned long long)total);
    CHECK(c.extended > max, "the extended counter exceeds the hardware range");
}

static void
unknown_range_is_a_reset(void)
{
    struct wrap_counter c = { 0 };

    wrap_counter_update(&c, 500);
    CHECK(wrap_counter_update(&c, 100) == 0, "backwards without a range adds 0, never a negative");
    CHECK(c.resets == 1 && c.wraps == 0, "counted as a reset, not a wrap");
    CHECK(wrap_counter_update(&c, 150) == 50, "counting resumes from the new baseline");
    CHECK(c.extended == 550, "extended never decreases (got %llu)", (unsigned long long)c.extended);
}

static void
raw_beyond_range_is_a_reset(void)
{
    struct wrap_counter c = { .range = 1000 };

    wrap_counter_update(&c, 500);
    wrap_counter_update(&c, 5000);   /* impossible reading: counted in full, it went forward */
    CHECK(wrap_counter_update(&c, 10) == 0 && c.resets == 1,
          "a backward step from beyond the range is a reset");
}

static void
integration(void)
{
    struct energy_integrator ig = { 0 };

    CHECK(energy_integrator_add(&ig, 10.0, 100.0) == 0.0, "first sample adds nothing");
    CHECK_NEAR(energy_integrator_add(&ig, 11.0, 100.0), 100.0, 1e-12, "1 s at 100 W is 100 J");
    CHECK_NEAR(energy_integrator_add(&ig, 13.0, 200.0), 300.0, 1e-12, "trapezoid: 2 s from 100 W to 200 W is 300 J");
    CHECK(energy_integrator_add(&ig, 13.0, 500.0) == 0.0, "a sample at the same time adds nothing");
    CHECK(energy_integrator_add(&ig, 12.0, 500.0) == 0.0, "a sample from the past adds nothing");
    CHECK_NEAR(ig.energy_j, 400.0, 1e-12, "total 400 J");
    CHECK_NEAR(energy_integrator_add(&ig, 14.0, 200.0), 200.0, 1e-12,
               "the ignored samples did not disturb the next interval");
}

static void
parsing(void)
{
    uint64_t v = 0;

    CHECK(parse_u64_text("26716954797\n", &v) && v == 26716954797ULL, "parses a sysfs counter with newline");
    CHECK(parse_u64_text("42", &v) && v == 42, "parses without newline (as Scaphandre writes)");
    CHECK(!parse_u64_text("", &v), "empty text is not a number (half-written file)");
    CHECK(!parse_u64_text("12a", &v), "trailing garbage rejected");
    CHECK(!parse_u64_text("-5", &v), "negative rejected");
    CHECK(!parse_u64_text("99999999999999999999999", &v), "overflow rejected");
    CHECK(parse_u64_text("  7 \n", &v) && v == 7, "surrounding blanks allowed");
}

int
main(void)
{
    wrap_extension();
    wrap_of_a_real_rapl_range();
    unknown_range_is_a_reset();
    raw_beyond_range_is_a_reset();
    integration();
    parsing();
    return CHECK_DONE();
}
