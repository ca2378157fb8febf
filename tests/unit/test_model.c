/* The utilisation model (sources/model.c) and /proc/stat parsing (procfs/cpustat.c). */
#include "check.h"
#include "config.h"
#include "cpustat.h"
#include "fakesys.h"
#include "source_harness.h"
#include "model.h"

static void
curves(void)
{
    struct model_curve linear = { .idle_w = 10, .max_w = 50 };
    struct model_curve per_core = { .idle_w = 10, .per_core_w = 5 };
    struct model_curve points = { 0 };

    CHECK_NEAR(model_curve_watts(&linear, 0.0, 4), 10, 1e-12, "linear: idle watts at 0%");
    CHECK_NEAR(model_curve_watts(&linear, 0.25, 4), 20, 1e-12, "linear: 25% is a quarter of the way");
    CHECK_NEAR(model_curve_watts(&linear, 1.5, 4), 50, 1e-12, "utilisation is clamped to 100%");
    CHECK_NEAR(model_curve_watts(&per_core, 0.5, 4), 20, 1e-12, "per core: 10 W + 5 W x 2 busy CPUs");
    CHECK(model_curve_parse("0:10, 50:30, 100:45", &points) == 3, "three curve points parsed");
    CHECK_NEAR(model_curve_watts(&points, 0.25, 1), 20, 1e-12, "piecewise: 25% between 10 W and 30 W");
    CHECK_NEAR(model_curve_watts(&points, 0.75, 1), 37.5, 1e-12, "piecewise: 75% between 30 W and 45 W");
    CHECK(model_curve_parse("50:30, 10:5", &points) < 0, "points must increase");
    CHECK(model_curve_parse("0:10, x", &points) < 0, "garbage rejected");
    CHECK(model_curve_parse("0:10,101:5", &points) < 0, "percent above 100 rejected");
    /* strtod reads "nan" and "inf", and every range check is false for NaN */
    CHECK(model_curve_parse("0:10, nan:20", &points) < 0, "a NaN percent is rejected");
    CHECK(model_curve_parse("0:10, 50:nan", &points) < 0, "NaN watts are rejected");
    CHECK(model_curve_parse("0:10, 100:inf", &points) < 0, "infinite watts are rejected");
    CHECK(model_curve_parse("0:10, 100:1e999", &points) < 0, "watts that overflow to infinity are rejected");
}

static void
proc_stat(void)
{
    struct cpu_totals t;
    const char *text =
        "cpu  100 5 50 800 20 3 2 1 0 0\n"
        "cpu0 50 2 25 400 10 1 1 0 0 0\n"
        "cpu1 50 3 25 400 10 2 1 1 0 0\n"
        "intr 12345\n";

    CHECK(cpu_totals_parse(text, 100, &t) == 0, "parses /proc/stat");
    CHECK(t.ncpu == 2, "counts cpuN lines");
    CHECK(cpu_totals_busy(&t) == 161ULL * 10000000ULL, "busy = user+nice+system+irq+softirq+steal in ns");
    CHECK(cpu_totals_all(&t) == 981ULL * 10000000ULL, "total adds idle and iowait");
    CHECK(cpu_totals_parse("intr 1\n", 100, &t) < 0, "no cpu line is an error");
}

/* The sanitizer runtime's allocation hook (sanitizer/allocator_interface.h,
 * which gcc 12 does not ship): weak, so the test says so where it is absent. */
int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void *, size_t),
                                              void (*on_free)(const volatile void *))
    __attribute__((weak));
static size_t allocations;
static void count_malloc(const volatile void *p, size_t size) { (void)p; (void)size; allocations++; }
static void count_free(const volatile void *p) { (void)p; }

/* What a 300-CPU host's kernel writes (fs/proc/stat.c show_stat): the cpu
 * lines, 12 KB of them, then an intr line of 100 KB; and a file whose last
 * line has no newline. */
static void
proc_stat_read(void)
{
    char *root = fake_root("cpustat");
    size_t cap = 200000, len = 0;
    char *text = malloc(cap);
    struct cpu_totals t;

    len += (size_t)snprintf(text + len, cap - len, "cpu  3000 0 1500 90000 0 0 0 0 0 0\n");
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(text + len, cap - len, "cpu%d 10 0 5 300 0 0 0 0 0 0\n", i);
    len += (size_t)snprintf(text + len, cap - len, "intr 4000000");
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, " %d", i % 10);
    snprintf(text + len, cap - len, "\nctxt 1\nprocesses 77\n");
    fake_write(root, "proc/stat", "%s", text);
    CHECK(cpu_totals_read(root, &t) == 0, "reads a big host's /proc/stat");
    CHECK(t.ncpu == 300, "counts its 300 cpuN lines (got %u)", t.ncpu);
    CHECK(cpu_totals_busy(&t) == 4500ULL * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK)), "its totals");

    if (__sanitizer_install_malloc_and_free_hooks) {
        __sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
        allocations = 0;
        cpu_totals_read(root, &t);
        CHECK(allocations == 0, "a read allocates nothing (got %zu allocations)", allocations);
        __sanitizer_install_malloc_and_free_hooks(NULL, NULL);
    } else {
        CHECK(1, "(no sanitizer runtime: allocations not counted)");
    }

    fake_write(root, "proc/stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8");
    CHECK(cpu_totals_read(root, &t) == 0 && t.ncpu == 1 && t.steal == 8ULL * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK)),
          "a last line without a newline is read");
    fake_write(root, "proc/stat", "intr 1\nctxt 2\n");
    CHECK(cpu_totals_read(root, &t) == -EINVAL, "a read without a cpu line is an error");
    free(text);
    fake_remove(root);
}

static void
model_over_a_fake_proc(void)
{
    char *root = fake_root("model");
    struct harness h;
    struct model_reading r;
    const char *why;
    double e;

    fake_write(root, "proc/stat", "cpu  0 0 0 1000 0 0 0 0\ncpu0 0 0 0 1000 0 0 0 0\n");
    harness_open(&h, &model_source, root, "[model]\nidle_watts = 20\nmax_watts = 60\n");
    harness_sample(&h, 10);
    model_reading(h.state, &r);
    CHECK(!r.valid, "no estimate before a full interval");
    CHECK(!harness_energy(&h, "model", &e), "and no system candidate yet");
    /* 2 s: 50 busy ticks of 200: 25% */
    fake_write(root, "proc/stat", "cpu  40 0 10 1150 0 0 0 0\ncpu0 40 0 10 1150 0 0 0 0\n");
    harness_sample(&h, 12);
    model_reading(h.state, &r);
    CHECK(r.valid, "estimate after one interval");
    CHECK_NEAR(r.utilization, 0.25, 1e-12, "utilisation 25%");
    CHECK_NEAR(r.power_w, 30, 1e-12, "20 W + 25% of 40 W = 30 W");
    CHECK_NEAR(r.energy_j, 60, 1e-12, "30 W for 2 s = 60 J");
    CHECK(harness_energy(&h, "model", &e) && e == 60, "offers the model candidate");
    CHECK(harness_state(&h, &why) == SOURCE_ACTIVE && strstr(why, "estimate"), "named an estimate");
    harness_close(&h);

    harness_open(&h, &model_source, root, "[model]\nidle_watts = 50\nmax_watts = 20\ncurve = nonsense\n");
    CHECK(strstr(fake_log, "model.max_watts") != NULL, "max below idle is reported");
    CHECK(strstr(fake_log, "model.curve") != NULL, "a bad curve is reported");
    harness_close(&h);

    harness_open(&h, &model_source, root, "[model]\ncurve = 0:10, 100:inf\n");
    CHECK(strstr(fake_log, "model.curve") != NULL && config_error_count(h.config) == 1,
          "an infinite curve point is a config error: %s", fake_log);
    harness_close(&h);
    fake_remove(root);
}

int
main(void)
{
    curves();
    proc_stat();
    proc_stat_read();
    model_over_a_fake_proc();
    return CHECK_DONE();
}
