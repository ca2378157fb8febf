#include "vm.h"
#include "config.h"
#include "counter.h"
#include "sysfs.h"
#include "vm_accum.h"
#include "vm_glob.h"
#include "vm_paths.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* On a host, the named VMs and the one file of every VM started without
 * guest=; inside a guest, the host's directory as Scaphandre's docs mount it. */
#define VM_DEFAULT_PATHS "/var/lib/libvirt/scaphandre/*/intel-rapl:0/energy_uj " \
                         "/var/lib/libvirt/scaphandre/intel-rapl:0/energy_uj " \
                         "/var/scaphandre/intel-rapl:0/energy_uj"
/* A bound on memory if a glob matches far more than VMs: the rest are counted, not followed. */
#define VM_MAX 4096
/* Rewrites of a file that keeps reading 0 before the agent says it looks
 * like Scaphandre 0.5 or earlier: a minute of that exporter's loops. */
#define VM_STUCK_ZERO_REWRITES 12

/* What the source logs once (status_error, status_warn_once): each is about
 * the exporter or the globs, the same for every VM. */
enum vm_kind {
    VM_TOO_MANY,
    VM_GLOB_FAILED,
    VM_BAD_TEXT,
    VM_RESET,
    VM_STUCK_ZERO,
};

enum vm_format {
    VM_FORMAT_SCAPHANDRE_1_0,   /* a rewrite adds the VM's power in microwatts */
    VM_FORMAT_MICROJOULES       /* a true energy counter */
};

struct vm_entry {
    char    *name;
    char    *path;              /* absolute, root prefix included */
    bool     seen;              /* matched by the latest scan */
    bool     has_power;         /* acc.rate_known, and the latest rewrite is recent */
    bool     rebase;            /* it vanished: the next reading starts a new baseline */
    struct notice unreadable;   /* why the file cannot be read, logged when it changes */
    struct wrap_counter counter;   /* range 0: a backward step is a reset, never a wrap */
    double   last_mtime_s;      /* the newest rewrite read */
    double   last_read_s;       /* wall time of the agent's latest good read */
    unsigned zero_rewrites;     /* rewrites in a row that read 0 */
    uint64_t read_errors;
    struct vm_accum acc;        /* its power and energy from the rewrites (vm_accum.h) */
};

struct vm_state {
    struct source_env env;
    bool              enabled;
    enum vm_format    format;
    char            **patterns;   /* absolute globs, root prefix and escaping applied */
    size_t            npatterns;
    char             *patterns_text;   /* as configured, for messages */
    /* Entries are allocated one by one so the names handed to the agent
     * stay put when the table grows. */
    struct vm_entry **vms;
    size_t            nvms, capacity;
    size_t            root_len;
    double            rate_timeout_s;   /* no power once the newest rewrite is older */
    struct source_status status;   /* errors: every VM's bad reads and resets, glob failures */
};

static bool
patterns_valid(const char *text)
{
    char *copy = strdup(text), *save = NULL, *tok;
    size_t n = 0;
    bool ok = copy != NULL;

    for (tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok; tok = strtok_r(NULL, " \t,", &save)) {
        ok = ok && tok[0] == '/';
        n++;
    }
    free(copy);
    return ok && n > 0;
}

static void
parse_patterns(struct vm_state *st, const char *text)
{
    char *copy, *save = NULL, *tok;

    if (!patterns_valid(text)) {
        config_bad_value(st->env.config, "vm", "paths",
                         "absolute globs, space or comma separated, such as "
                         "/var/lib/libvirt/scaphandre/*/intel-rapl:0/energy_uj");
        text = VM_DEFAULT_PATHS;
    }
    st->patterns_text = strdup(text);
    if ((copy = strdup(text)) == NULL || !st->patterns_text) {
        free(copy);
        return;
    }
    for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        char **grown, *pattern;
        if ((pattern = vm_glob_prefix(st->env.root, tok)) == NULL)
            break;
        if ((grown = realloc(st->patterns, (st->npatterns + 1) * sizeof(*grown))) == NULL) {
            free(pattern);
            break;
        }
        st->patterns = grown;
        st->patterns[st->npatterns++] = pattern;
    }
    free(copy);
}

static enum vm_format
parse_format(struct power_config *config)
{
    const char *text = config_string(config, "vm", "format", "scaphandre-1.0");

    if (strcmp(text, "microjoules") == 0)
        return VM_FORMAT_MICROJOULES;
    if (strcmp(text, "scaphandre-1.0") != 0)
        config_bad_value(config, "vm", "format",
                         "scaphandre-1.0 (what every Scaphandre 1.0.x writes) or microjoules");
    return VM_FORMAT_SCAPHANDRE_1_0;
}

static void *
vm_open(const struct source_env *env)
{
    struct vm_state *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->env = *env;
    status_init(&st->status, "vm", env->log);
    st->root_len = strlen(env->root);
    st->enabled = config_bool(env->config, "vm", "enabled", true);
    parse_patterns(st, config_string(env->config, "vm", "paths", VM_DEFAULT_PATHS));
    st->rate_timeout_s = config_double(env->config, "vm", "rate_timeout", 30.0, 1.0, 86400.0);
    st->format = parse_format(env->config);
    if (!st->enabled)
        status_set(&st->status, SOURCE_DISABLED, "disabled in the config ([vm] enabled = no)");
    else if (st->npatterns == 0)
        status_set(&st->status, SOURCE_FAILED, "out of memory reading [vm] paths");
    else
        status_set(&st->status, SOURCE_ABSENT, "not sampled yet");
    return st;
}

static struct vm_entry *
vm_by_name(struct vm_state *st, const char *name)
{
    for (size_t i = 0; i < st->nvms; i++)
        if (strcmp(st->vms[i]->name, name) == 0)
            return st->vms[i];
    return NULL;
}

static struct vm_entry *
vm_add(struct vm_state *st, const char *name, const char *path)
{
    struct vm_entry *vm;

    if (st->nvms >= VM_MAX) {
        status_error(&st->status, VM_TOO_MANY, "more than %d files match [vm] paths (%s); "
                     "%s and later ones are not followed: narrow the globs",
                     VM_MAX, st->patterns_text, path);
        return NULL;
    }
    if (st->nvms == st->capacity) {
        size_t cap = st->capacity ? 2 * st->capacity : 16;
        struct vm_entry **grown = realloc(st->vms, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        st->vms = grown;
        st->capacity = cap;
    }
    if ((vm = calloc(1, sizeof(*vm))) == NULL)
        return NULL;
    vm->name = strdup(name);
    vm->path = strdup(path);
    if (!vm->name || !vm->path) {
        free(vm->name);
        free(vm->path);
        free(vm);
        return NULL;
    }
    st->vms[st->nvms++] = vm;
    return vm;
}

static struct vm_entry *
vm_by_path(struct vm_state *st, const char *path)
{
    for (size_t i = 0; i < st->nvms; i++)
        if (strcmp(st->vms[i]->path, path) == 0)
            return st->vms[i];
    return NULL;
}

/* A file not matched before belongs to the instance of its label, so a VM
 * keeps its instance when it comes back, even under another matched path.
 * Two files with one label in the same scan (overlapping globs) are kept
 * apart by naming the second by its path. */
static struct vm_entry *
vm_for_new_path(struct vm_state *st, const char *path)
{
    const char *rel = path + st->root_len, *name;
    char label[256];
    struct vm_entry *vm;

    if (!vm_label_from_path(rel, label, sizeof(label)))
        snprintf(label, sizeof(label), "%.255s", rel);
    name = label;
    if ((vm = vm_by_name(st, label)) != NULL && vm->seen)
        vm = vm_by_name(st, name = rel);
    if (!vm)
        return vm_add(st, name, path);
    if (vm->seen)
        return NULL;
    char *moved = strdup(path);
    if (!moved)
        return NULL;
    free(vm->path);
    vm->path = moved;
    vm->rebase = true;       /* another file: its count is not comparable with the old one */
    vm->acc.rate_known = false;
    return vm;
}

/* Scaphandre 0.5 and earlier give each VM (process jiffies / host
 * jiffies) of the host's energy, divided as integers (qemu.rs at v0.5.0):
 * 0 unless the VM used all of the host's CPU time, so its files stay at 0
 * forever (upstream issue #200). That 0 W is what the file says: keep it,
 * and say why once. */
static void
note_stuck_zero(struct vm_state *st, struct vm_entry *vm, uint64_t raw, double mtime_s)
{
    if (raw != 0) {
        vm->zero_rewrites = 0;
        return;
    }
    if (!vm->counter.primed || mtime_s == vm->last_mtime_s)
        return;
    if (++vm->zero_rewrites >= VM_STUCK_ZERO_REWRITES)
        status_warn_once(&st->status, VM_STUCK_ZERO, "%s was rewritten %u times and still reads 0, as "
                         "Scaphandre 0.5 and earlier write it (their qemu exporter divides integers, "
                         "hubblo-org/scaphandre issue #200): its 0 W is kept; upgrade Scaphandre "
                         "to 1.0 for per-VM energy", vm->path, vm->zero_rewrites);
}

static void
read_vm(struct vm_state *st, struct vm_entry *vm, double now_wall_s)
{
    char text[64];
    uint64_t raw, gain;
    double mtime_s = 0;
    int sts;

    if ((sts = sysfs_read_text_stamped(vm->path, text, sizeof(text), &mtime_s)) < 0) {
        if (sts == -ENOENT) {         /* gone between the glob and the read */
            vm->seen = false;
            vm->rebase = true;
            vm->acc.rate_known = false;
            return;
        }
        if (sts == -EAGAIN)           /* rewritten while we read: read again next sample */
            return;
        vm->read_errors++;
        status_count(&st->status, 1);
        notice_set(&vm->unreadable, st->env.log, LOG_WARNING, "vm: ", "cannot read %s: %s%s",
                   vm->path, strerror(-sts),
                   sts == -EACCES ? " (run the agent as root: pmcd starts it as user pcp)" : "");
        return;
    }
    notice_clear(&vm->unreadable);
    /* The exporter truncates the file and then writes it, so a read can
     * land in between and see nothing; that is a retry, never a zero. */
    if (!parse_u64_text(text, &raw)) {
        vm->read_errors++;
        status_error(&st->status, VM_BAD_TEXT, "%s holds \"%s\", not a counter (caught mid-rewrite?); "
                     "read again next sample (further ones are only counted)", vm->path, text);
        return;
    }
    note_stuck_zero(st, vm, raw, mtime_s);
    if (!vm->counter.primed || vm->rebase) {
        if (vm->counter.primed)
            vm->counter.last_raw = raw;     /* away for a while: nothing is known of the gap */
        else {
            wrap_counter_update(&vm->counter, raw);
            vm->acc.step_s = SCAPHANDRE_STEP_S;
        }
        vm->rebase = false;
        vm_accum_baseline(&vm->acc, vm->counter.extended, mtime_s);
    } else {
        uint64_t resets = vm->counter.resets;
        bool rewritten = mtime_s != vm->last_mtime_s;

        gain = wrap_counter_update(&vm->counter, raw);
        if (vm->counter.resets != resets) {
            /* A restarted exporter reads the file and adds to it (qemu.rs,
             * add_or_create()); only a new file starts again from 0. */
            status_error(&st->status, VM_RESET, "%s went backwards: counted as a reset, the energy "
                         "counter continues (a new file: its tmpfs recreated, after a host "
                         "reboot or a remount?)", vm->name);
            /* what the new file gained so far is unknown */
            vm_accum_baseline(&vm->acc, vm->counter.extended, mtime_s);
        } else if (st->format == VM_FORMAT_MICROJOULES)
            vm_accum_microjoules(&vm->acc, vm->counter.extended, mtime_s, st->rate_timeout_s);
        else if (rewritten || gain > 0)
            vm_accum_scaphandre(&vm->acc, gain, mtime_s, vm->last_read_s);
    }
    vm->last_mtime_s = mtime_s;
    vm->last_read_s = now_wall_s;
}

static void
scan(struct vm_state *st, double now_wall_s)
{
    struct vm_match *paths;
    size_t n = vm_glob_expand(st->patterns, st->npatterns, st->env.root, st->root_len,
                              &st->status, VM_GLOB_FAILED, &paths);
    struct vm_entry *vm;

    for (size_t i = 0; i < st->nvms; i++)
        st->vms[i]->seen = false;
    /* known files first, so a new file cannot take a label whose file is still there */
    for (size_t i = 0; i < n; i++) {
        if ((vm = vm_by_path(st, paths[i].path)) != NULL) {
            vm->seen = true;
            free(paths[i].path);
            paths[i].path = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (paths[i].path && (vm = vm_for_new_path(st, paths[i].path)) != NULL)
            vm->seen = true;
        free(paths[i].path);
    }
    free(paths);
    for (size_t i = 0; i < st->nvms; i++) {
        vm = st->vms[i];
        if (vm->seen)
            read_vm(st, vm, now_wall_s);
        else {
            vm->acc.rate_known = false;
            vm->rebase = true;
        }
        vm->has_power = vm->seen && vm->acc.rate_known &&
                        now_wall_s - vm->last_mtime_s <= st->rate_timeout_s;
    }
}

static void
vm_sample(void *state, const struct sample_time *now)
{
    struct vm_state *st = state;
    size_t present = 0;

    if (!st->enabled || st->npatterns == 0)
        return;
    scan(st, now->wall_s);
    for (size_t i = 0; i < st->nvms; i++)
        present += st->vms[i]->seen;
    if (present > 0)
        status_set(&st->status, SOURCE_ACTIVE, "%s", "");
    else
        status_set(&st->status, SOURCE_ABSENT, "no file matches %s%s%s "
                   "(is scaphandre qemu running on this host, or its directory mounted at "
                   "/var/scaphandre in this guest, and the agent allowed to read the files?)",
                   st->patterns_text, st->env.root[0] ? " under " : "", st->env.root);
}

static void
vm_close(void *state)
{
    struct vm_state *st = state;

    if (!st)
        return;
    for (size_t i = 0; i < st->nvms; i++) {
        free(st->vms[i]->name);
        free(st->vms[i]->path);
        free(st->vms[i]);
    }
    for (size_t p = 0; p < st->npatterns; p++)
        free(st->patterns[p]);
    free(st->patterns);
    free(st->patterns_text);
    free(st->vms);
    free(st);
}

static const struct source_status *
vm_status(const void *state)
{
    return &((const struct vm_state *)state)->status;
}

size_t
vm_count(const struct vm_state *st)
{
    return st->nvms;
}

bool
vm_get(const struct vm_state *st, size_t index, struct vm_info *info)
{
    const struct vm_entry *vm;

    if (index >= st->nvms)
        return false;
    vm = st->vms[index];
    info->name = vm->name;
    info->path = vm->path;
    info->id = (unsigned)index;
    info->present = vm->seen;
    info->has_energy = vm->counter.primed;
    info->has_power = vm->seen && vm->has_power;
    info->energy_j = st->format == VM_FORMAT_MICROJOULES ?
                     (double)vm->counter.extended / 1e6 : vm->acc.energy_j;
    info->power_w = vm->acc.power_w;
    info->resets = vm->counter.resets;
    info->read_errors = vm->read_errors;
    return true;
}

const struct source_ops vm_source = {
    .name = "vm",
    /* a VM's energy is already inside the host's: never a host total */
    .candidates = NULL,
    .open = vm_open,
    .sample = vm_sample,
    .close = vm_close,
    .status = vm_status,
};
