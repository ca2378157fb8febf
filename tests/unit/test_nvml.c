/* The NVML wrapper (sources/nvml.c) against the stand-in NVML
 * (tests/helpers/fake_nvml.c, built as build/tests/libnvidia-ml*.so.1). */
#include "check.h"
#include "fakesys.h"
#include "nvml.h"
#include "nvmlfake.h"

#include <inttypes.h>

static const char *
fake_lib(const char *name)
{
    static char path[1024];

    snprintf(path, sizeof(path), "%s/%s", lib_dir, name);
    return path;
}

static struct nvml *
open_fake(const char *name, const char *state)
{
    struct nvml *lib = NULL;
    char why[512] = "";
    enum nvml_result r;

    write_state(state);
    r = nvml_open(fake_lib(name), &lib, why, sizeof(why));
    CHECK(r == NVML_RESULT_OK && lib != NULL, "%s opens (%s: %s)", name, nvml_result_name(r), why);
    return lib;
}

static void
test_library_absent(void)
{
    struct nvml *lib = (struct nvml *)1;
    char why[512] = "";
    enum nvml_result r = nvml_open(fake_lib("libnvidia-ml-none.so.1"), &lib, why, sizeof(why));

    CHECK(r == NVML_RESULT_ABSENT && lib == NULL, "no library: absent, no handle (%s)", nvml_result_name(r));
    CHECK(strstr(why, "cannot load") && strstr(why, "libnvidia-ml-none.so.1") && strstr(why, "[nvidia] library"),
          "no library: the reason names the file and the setting: %s", why);
}

static void
test_init_failures(void)
{
    struct nvml *lib = NULL;
    char why[512] = "";
    enum nvml_result r;

    write_state("init result=driver_not_loaded\n");
    r = nvml_open(fake_lib("libnvidia-ml.so.1"), &lib, why, sizeof(why));
    CHECK(r == NVML_RESULT_ABSENT && !lib, "driver not loaded: absent (%s)", nvml_result_name(r));
    CHECK(strstr(why, "not loaded") && strstr(why, "Driver Not Loaded"), "driver not loaded: says so: %s", why);

    write_state("init result=version_mismatch\n");
    r = nvml_open(fake_lib("libnvidia-ml.so.1"), &lib, why, sizeof(why));
    CHECK(r == NVML_RESULT_ERROR && !lib, "library/driver version mismatch: an error (%s)", nvml_result_name(r));
    CHECK(strstr(why, "reboot"), "version mismatch: the reason says to reboot or reload: %s", why);

    write_state("init result=no_permission\n");
    r = nvml_open(fake_lib("libnvidia-ml.so.1"), &lib, why, sizeof(why));
    CHECK(r == NVML_RESULT_NO_PERMISSION && !lib, "init without permission: no_permission (%s): %s",
          nvml_result_name(r), why);
}

static const char three_gpus[] =
    "# three GPUs: an A100 with an energy counter, a T4 without one, a lost one\n"
    "clock seconds=0\n"
    "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-a100 pci=0000:07:00.0 power_mw=250000 limit_mw=400000 energy_mj=1000\n"
    "gpu name=\"Tesla T4\" uuid=GPU-t4 pci=0000:3b:00.0 power_mw=27000 limit_mw=70000 unsupported=energy\n"
    "gpu name=\"NVIDIA H100 80GB HBM3\" uuid=GPU-h100 pci=0001:c1:00.0 lost=1\n";

static void
test_identity(void)
{
    struct nvml *lib = open_fake("libnvidia-ml.so.1", three_gpus);
    char buf[128];
    enum nvml_result r;

    if (!lib)
        return;
    CHECK(nvml_device_count(lib) == 3, "three GPUs counted (%u)", nvml_device_count(lib));
    r = nvml_device_name(lib, 0, buf, sizeof(buf));
    CHECK(r == NVML_RESULT_OK, "GPU 0 has a name");
    CHECK_STR(buf, "NVIDIA A100-SXM4-40GB", "GPU 0 name");
    nvml_device_uuid(lib, 1, buf, sizeof(buf));
    CHECK_STR(buf, "GPU-t4", "GPU 1 UUID");
    nvml_device_pci_bus_id(lib, 0, buf, sizeof(buf));
    CHECK_STR(buf, "00000000:07:00.0", "GPU 0 PCI bus id, 8-digit domain as NVML gives it");
    nvml_device_pci_bus_id(lib, 1, buf, sizeof(buf));
    CHECK_STR(buf, "00000000:3B:00.0", "GPU 1 PCI bus id in NVML's upper case");
    nvml_device_name(lib, 0, buf, 8);
    CHECK_STR(buf, "NVIDIA ", "a short buffer gets the name truncated, NUL-terminated");

    r = nvml_device_name(lib, 2, buf, sizeof(buf));
    CHECK(r == NVML_RESULT_GPU_LOST && buf[0] == '\0', "lost GPU 2: GPU_LOST, no name (%s)", nvml_result_name(r));
    CHECK(strstr(nvml_last_error(lib), "GPU is lost") != NULL, "lost GPU: the error says so: %s", nvml_last_error(lib));
    r = nvml_device_name(lib, 3, buf, sizeof(buf));
    CHECK(r == NVML_RESULT_ERROR, "GPU 3 does not exist: an error (%s)", nvml_result_name(r));
    nvml_close(lib);
}

static void
test_energy_and_power(void)
{
    struct nvml *lib = open_fake("libnvidia-ml.so.1", three_gpus);
    uint64_t mj = 0;
    uint32_t mw = 0;
    enum nvml_result r;

    if (!lib)
        return;
    r = nvml_device_energy_mj(lib, 0, &mj);
    CHECK(r == NVML_RESULT_OK && mj == 1000, "A100 energy counter at its start: %" PRIu64 " mJ", mj);
    /* 10 s at 250 W, then the power drops to 100 W */
    write_state("clock seconds=10\n"
                "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-a100 pci=0000:07:00.0 power_mw=100000 limit_mw=300000\n"
                "gpu name=\"Tesla T4\" uuid=GPU-t4 pci=0000:3b:00.0 power_mw=27000 limit_mw=70000 unsupported=energy\n");
    nvml_device_energy_mj(lib, 0, &mj);
    CHECK(mj == 1000 + 2500000, "10 s at 250 W add 2,500,000 mJ: %" PRIu64, mj);
    write_state("clock seconds=30\n"
                "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-a100 pci=0000:07:00.0 power_mw=100000 limit_mw=300000\n");
    nvml_device_energy_mj(lib, 0, &mj);
    CHECK(mj == 1000 + 2500000 + 2000000, "20 s more at 100 W add 2,000,000 mJ: %" PRIu64, mj);
    nvml_device_power_mw(lib, 0, &mw);
    CHECK(mw == 100000, "A100 power in mW: %" PRIu32, mw);
    nvml_device_power_limit_mw(lib, 0, &mw);
    CHECK(mw == 300000, "A100 enforced limit in mW: %" PRIu32, mw);
    nvml_close(lib);

    lib = open_fake("libnvidia-ml.so.1", three_gpus);
    if (!lib)
        return;
    mj = 77;
    r = nvml_device_energy_mj(lib, 1, &mj);
    CHECK(r == NVML_RESULT_UNSUPPORTED && mj == 77, "T4 has no energy counter: unsupported, value untouched (%s)",
          nvml_result_name(r));
    CHECK(strstr(nvml_last_error(lib), "nvmlDeviceGetTotalEnergyConsumption: Not Supported") != NULL,
          "the error names the call and NVML's text: %s", nvml_last_error(lib));
    r = nvml_device_power_mw(lib, 1, &mw);
    CHECK(r == NVML_RESULT_OK && mw == 27000, "T4 power still read: %" PRIu32 " mW", mw);
    nvml_close(lib);
}

static void
test_gpu_lost_and_back(void)
{
    struct nvml *lib = open_fake("libnvidia-ml.so.1",
                                 "clock seconds=0\n"
                                 "gpu name=\"Tesla V100-SXM2-16GB\" uuid=GPU-v100 pci=0000:00:08.0 power_mw=40000\n"
                                 "gpu name=\"Tesla V100-SXM2-16GB\" uuid=GPU-v100b pci=0000:00:09.0 no_permission=1\n");
    uint32_t mw = 0;
    enum nvml_result r;

    if (!lib)
        return;
    r = nvml_device_power_mw(lib, 0, &mw);
    CHECK(r == NVML_RESULT_OK && mw == 40000, "V100 power before the fault: %" PRIu32, mw);
    r = nvml_device_power_mw(lib, 1, &mw);
    CHECK(r == NVML_RESULT_NO_PERMISSION, "a GPU NVML counts but may not open: no_permission (%s)",
          nvml_result_name(r));
    write_state("clock seconds=1\n"
                "gpu name=\"Tesla V100-SXM2-16GB\" uuid=GPU-v100 pci=0000:00:08.0 power_mw=40000 lost=1\n");
    r = nvml_device_power_mw(lib, 0, &mw);
    CHECK(r == NVML_RESULT_GPU_LOST, "the GPU falls off the bus: GPU_LOST (%s)", nvml_result_name(r));
    CHECK(strstr(nvml_last_error(lib), "nvmlDeviceGetPowerUsage: GPU is lost") != NULL,
          "GPU lost: the error names the call: %s", nvml_last_error(lib));
    write_state("clock seconds=2\n"
                "gpu name=\"Tesla V100-SXM2-16GB\" uuid=GPU-v100 pci=0000:00:08.0 power_mw=41000\n");
    r = nvml_device_power_mw(lib, 0, &mw);
    CHECK(r == NVML_RESULT_OK && mw == 41000, "after a reset the GPU answers again: %" PRIu32, mw);
    nvml_close(lib);
}

static void
test_missing_functions(void)
{
    struct nvml *lib = open_fake("libnvidia-ml-old.so.1",
                                 "gpu name=\"Tesla P100-PCIE-16GB\" uuid=GPU-p100 pci=0000:04:00.0 power_mw=30000\n"
                                 "process gpu=0 pid=4242 kind=compute used_bytes=1048576\n"
                                 "process gpu=0 pid=4343 kind=compute used_bytes=unknown\n");
    struct nvml_processes procs = { 0 };
    uint64_t mj = 5;
    uint32_t mw = 0;
    enum nvml_result r;

    if (!lib)
        return;
    r = nvml_device_energy_mj(lib, 0, &mj);
    CHECK(r == NVML_RESULT_MISSING && mj == 5, "an older driver without the energy call: missing (%s)",
          nvml_result_name(r));
    CHECK(strstr(nvml_last_error(lib), "not supported by this driver") &&
          strstr(nvml_last_error(lib), "nvmlDeviceGetTotalEnergyConsumption"),
          "missing: the error names the function: %s", nvml_last_error(lib));
    r = nvml_device_power_mw(lib, 0, &mw);
    CHECK(r == NVML_RESULT_OK && mw == 30000, "the rest still works on the older driver: %" PRIu32 " mW", mw);
    CHECK(nvml_process_entry_size(lib) == 16, "only the v1 process list: 16-byte entries (%zu)",
          nvml_process_entry_size(lib));
    r = nvml_device_processes(lib, 0, NVML_PROCESSES_COMPUTE, &procs);
    CHECK(r == NVML_RESULT_OK && procs.count == 2, "v1 list: two compute processes (%zu)", procs.count);
    if (procs.count == 2) {
        CHECK(procs.process[0].pid == 4242 && procs.process[0].memory_known &&
              procs.process[0].used_memory_bytes == 1048576, "v1 entry 0: pid %u, %" PRIu64 " bytes",
              procs.process[0].pid, procs.process[0].used_memory_bytes);
        CHECK(procs.process[1].pid == 4343 && !procs.process[1].memory_known,
              "v1 entry 1: pid %u, memory not available", procs.process[1].pid);
    }
    nvml_processes_free(&procs);
    nvml_close(lib);
}

static void
check_pids(const struct nvml_processes *p, const unsigned *want, size_t n, const char *what)
{
    bool same = p->count == n;

    for (size_t i = 0; same && i < n; i++)
        same = p->process[i].pid == want[i];
    CHECK(same, "%s: %zu processes, first pid %u", what, p->count, p->count ? p->process[0].pid : 0);
}

static void
test_running_processes(void)
{
    char text[8192];
    size_t len = 0;
    unsigned many[40];
    const unsigned compute[] = { 100, 101 }, graphics[] = { 200 };
    struct nvml_processes procs = { 0 };
    struct nvml *lib;
    enum nvml_result r;

    len += (size_t)snprintf(text + len, sizeof(text) - len,
                            "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-p0 pci=0000:07:00.0\n"
                            "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-p1 pci=0000:0f:00.0\n"
                            "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-p2 pci=0000:47:00.0 unsupported=graphics\n"
                            "process gpu=0 pid=100 kind=compute used_bytes=1073741824\n"
                            "process gpu=0 pid=101 kind=compute used_bytes=2048\n"
                            "process gpu=0 pid=200 kind=graphics used_bytes=4096\n");
    for (unsigned i = 0; i < 40; i++) {
        many[i] = 5000 + i;
        len += (size_t)snprintf(text + len, sizeof(text) - len, "process gpu=1 pid=%u kind=compute\n", many[i]);
    }

    for (int variant = 0; variant < 2; variant++) {
        const char *name = variant ? "libnvidia-ml-r535.so.1" : "libnvidia-ml.so.1";
        size_t stride = variant ? 32 : 24;

        if (!(lib = open_fake(name, text)))
            continue;
        CHECK(nvml_process_entry_size(lib) == stride, "%s: _v3 entries of %zu bytes (%zu)", name, stride,
              nvml_process_entry_size(lib));
        r = nvml_device_processes(lib, 0, NVML_PROCESSES_COMPUTE, &procs);
        CHECK(r == NVML_RESULT_OK, "%s: compute list read", name);
        check_pids(&procs, compute, 2, variant ? "R535 stride: compute pids 100, 101" : "compute pids 100, 101");
        if (procs.count == 2)
            CHECK(procs.process[0].used_memory_bytes == 1073741824 && procs.process[1].used_memory_bytes == 2048,
                  "%s: memory per process read at the right stride", name);
        r = nvml_device_processes(lib, 0, NVML_PROCESSES_GRAPHICS, &procs);
        check_pids(&procs, graphics, 1, "graphics pid 200");
        r = nvml_device_processes(lib, 1, NVML_PROCESSES_COMPUTE, &procs);
        check_pids(&procs, many, 40, "40 processes through the INSUFFICIENT_SIZE protocol");
        r = nvml_device_processes(lib, 1, NVML_PROCESSES_GRAPHICS, &procs);
        CHECK(r == NVML_RESULT_OK && procs.count == 0, "no graphics process: an empty list (%zu)", procs.count);
        r = nvml_device_processes(lib, 2, NVML_PROCESSES_GRAPHICS, &procs);
        CHECK(r == NVML_RESULT_UNSUPPORTED, "graphics list unsupported on GPU 2 (%s)", nvml_result_name(r));
        nvml_close(lib);
    }
    nvml_processes_free(&procs);
}

static void
test_process_utilization(void)
{
    struct nvml_samples s = { 0 };
    struct nvml *lib;
    enum nvml_result r;

    lib = open_fake("libnvidia-ml.so.1",
                    "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-u0 pci=0000:07:00.0 utilization_size=100\n"
                    "gpu name=\"NVIDIA A100-SXM4-40GB\" uuid=GPU-u1 pci=0000:0f:00.0 unfiltered=1\n"
                    "gpu name=\"Tesla K80\" uuid=GPU-k80 pci=0000:84:00.0 unsupported=utilization\n"
                    "sample gpu=0 pid=10 ts_us=1700000001000000 sm=40 mem=5\n"
                    "sample gpu=0 pid=11 ts_us=1700000002000000 sm=60 mem=7 enc=1 dec=2\n"
                    "sample gpu=0 pid=12 ts_us=1700000003000000 sm=4294967295\n"
                    "sample gpu=1 pid=20 ts_us=1700000001000000 sm=30\n"
                    "sample gpu=1 pid=21 ts_us=1700000005000000 sm=50\n");
    if (!lib)
        return;
    r = nvml_device_process_utilization(lib, 0, 0, &s);
    CHECK(r == NVML_RESULT_OK && s.count == 2 && s.dropped == 1,
          "every sample since 0: two kept, the >100%% one dropped (%zu kept, %zu dropped)", s.count, s.dropped);
    if (s.count == 2) {
        CHECK(s.sample[0].pid == 10 && s.sample[0].sm_percent == 40 && s.sample[0].memory_percent == 5 &&
              s.sample[0].timestamp_us == 1700000001000000ULL, "sample 0: pid 10, 40%% SM at its timestamp");
        CHECK(s.sample[1].pid == 11 && s.sample[1].sm_percent == 60 && s.sample[1].encoder_percent == 1 &&
              s.sample[1].decoder_percent == 2, "sample 1: pid 11, 60%% SM, encoder 1, decoder 2");
    }
    CHECK(s.newest_us == 1700000003000000ULL, "the cursor for next time passes every sample seen: %" PRIu64,
          s.newest_us);
    r = nvml_device_process_utilization(lib, 0, 1700000002000000ULL, &s);
    CHECK(r == NVML_RESULT_OK && s.count == 0 && s.dropped == 1 && s.newest_us == 1700000003000000ULL,
          "after the newest: only the bogus one, dropped, and the cursor passes it (%zu, %zu)", s.count, s.dropped);
    r = nvml_device_process_utilization(lib, 0, 1700000003000000ULL, &s);
    CHECK(r == NVML_RESULT_OK && s.count == 0 && s.dropped == 0,
          "NVML_ERROR_NOT_FOUND (nothing newer) is no sample, not an error (%s)", nvml_result_name(r));
    r = nvml_device_process_utilization(lib, 1, 1700000002000000ULL, &s);
    CHECK(r == NVML_RESULT_OK && s.count == 1 && s.dropped == 1 && s.sample[0].pid == 21,
          "a driver returning older samples too: the old one dropped (%zu kept, %zu dropped)", s.count, s.dropped);
    r = nvml_device_process_utilization(lib, 2, 0, &s);
    CHECK(r == NVML_RESULT_UNSUPPORTED && s.count == 0, "K80: per-process utilisation unsupported (%s)",
          nvml_result_name(r));
    nvml_samples_free(&s);
    nvml_close(lib);
}

int
main(void)
{
    char *root = nvml_fake_setup("nvml");

    if (!root)
        return CHECK_DONE();
    test_library_absent();
    test_init_failures();
    test_identity();
    test_energy_and_power();
    test_gpu_lost_and_back();
    test_missing_functions();
    test_running_processes();
    test_process_utilization();
    fake_remove(root);
    return CHECK_DONE();
}
