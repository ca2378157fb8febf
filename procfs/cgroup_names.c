#include "cgroup_names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A path component: [s, s + len). */
struct part {
    const char *s;
    size_t      len;
};

static bool
starts(struct part p, const char *prefix)
{
    size_t n = strlen(prefix);
    return p.len >= n && strncmp(p.s, prefix, n) == 0;
}

static bool
ends(struct part p, const char *suffix)
{
    size_t n = strlen(suffix);
    return p.len >= n && strncmp(p.s + p.len - n, suffix, n) == 0;
}

static bool
equals(struct part p, const char *s)
{
    return p.len == strlen(s) && strncmp(p.s, s, p.len) == 0;
}

static bool
all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return len > 0;
}

static void
copy(char *dst, size_t size, const char *s, size_t len)
{
    snprintf(dst, size, "%.*s", (int)(len < size ? len : size - 1), s);
}

/* "<prefix><64 hex><suffix>" exactly: the id, or false. */
static bool
container_id(struct part p, const char *prefix, const char *suffix, char id[65])
{
    size_t a = strlen(prefix), b = strlen(suffix);

    if (!starts(p, prefix) || !ends(p, suffix) || p.len != a + 64 + b || !all_hex(p.s + a, 64))
        return false;
    copy(id, 65, p.s + a, 64);
    return true;
}

/* docker-, cri-containerd-, crio-, libpod- and their conmon/payload forms */
static bool
runtime_scope(struct part p, struct cgroup_names *out)
{
    static const struct {
        const char *prefix, *suffix, *runtime;
    } forms[] = {
        { "docker-", ".scope", "docker" },
        { "cri-containerd-", ".scope", "containerd" },
        { "crio-conmon-", ".scope", "cri-o" },
        { "crio-", ".scope", "cri-o" },
        { "libpod-conmon-", ".scope", "podman" },
        { "libpod-payload-", "", "podman" },
        { "libpod-", ".scope", "podman" },
        { "libpod-", "", "podman" },      /* cgroupfs: /libpod_parent/libpod-<id> */
    };

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (container_id(p, forms[i].prefix, forms[i].suffix, out->container_id)) {
            snprintf(out->runtime, sizeof(out->runtime), "%s", forms[i].runtime);
            return true;
        }
    return false;
}

/* "burstable", "kubepods-besteffort.slice", "kubelet-kubepods-burstable.slice" */
static bool
qos_level(struct part p, char qos[12])
{
    static const char *const classes[] = { "burstable", "besteffort" };

    for (size_t i = 0; i < 2; i++) {
        char slice[48], kind_slice[56];
        snprintf(slice, sizeof(slice), "kubepods-%s.slice", classes[i]);
        snprintf(kind_slice, sizeof(kind_slice), "kubelet-kubepods-%s.slice", classes[i]);
        if (equals(p, classes[i]) || equals(p, slice) || equals(p, kind_slice)) {
            snprintf(qos, 12, "%s", classes[i]);
            return true;
        }
    }
    return false;
}

/* "pod<uid>" (cgroupfs) or "...-pod<uid with _>.slice" (systemd): the UID with dashes */
static bool
pod_uid(struct part p, char uid[37])
{
    const char *s = NULL;
    size_t len = 0;

    if (starts(p, "pod") && !ends(p, ".slice")) {
        s = p.s + 3;
        len = p.len - 3;
    } else if (ends(p, ".slice") && (starts(p, "kubepods-") || starts(p, "kubelet-kubepods-"))) {
        for (size_t i = 0; i + 3 < p.len; i++)
            if (strncmp(p.s + i, "-pod", 4) == 0) {
                s = p.s + i + 4;
                len = p.len - (i + 4) - strlen(".slice");
                break;
            }
    }
    if (!s || len != 36)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i] == '_' ? '-' : s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !isxdigit((unsigned char)c))
            return false;
        uid[i] = c;
    }
    uid[len] = '\0';
    return true;
}

/* systemd's unit name escapes: \xNN back to the byte */
static void
unescape(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < size; i++) {
        unsigned v;
        if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
            isxdigit((unsigned char)s[i + 3]) && sscanf(s + i + 2, "%2x", &v) == 1) {
            out[o++] = (char)v;
            i += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

static bool
digits_then_dash(const char *s, const char **after)
{
    const char *p = s;

    while (isdigit((unsigned char)*p))
        p++;
    if (p == s || *p != '-')
        return false;
    *after = p + 1;
    return true;
}

/* machine-<escaped machine name>.scope of a qemu domain: its name */
static bool
machine_scope(struct part p, char *vm, size_t size)
{
    char machine[512];
    const char *rest, *after, *dash;

    if (!starts(p, "machine-") || !ends(p, ".scope") || p.len > sizeof(machine))
        return false;
    unescape(p.s + 8, p.len - 8 - 6, machine, sizeof(machine));
    if (strncmp(machine, "qemu-", 5) == 0)
        rest = machine + 5;
    else if ((rest = strstr(machine, "-qemu-")) != NULL)     /* "<user>-qemu-<id>-<name>", older sessions */
        rest += 6;
    else
        return false;
    if (digits_then_dash(rest, &after))                      /* qemu-<id>-<name> */
        rest = after;
    else if ((dash = strchr(rest, '-')) && digits_then_dash(dash + 1, &after))
        rest = after;                                        /* qemu-<user>-<id>-<name> */
    /* else the legacy machine-qemu\x2d<name>.scope */
    if (!*rest)
        return false;
    snprintf(vm, size, "%s", rest);
    return true;
}

bool
cgroup_names_vm(const char *path, char *vm, unsigned size)
{
    const char *s = path;

    while (*s) {
        const char *e = strchr(s, '/');
        struct part p = { s, e ? (size_t)(e - s) : strlen(s) };
        if (machine_scope(p, vm, size))
            return true;
        s = e ? e + 1 : s + p.len;
    }
    return false;
}

bool
cgroup_names_parse(const char *path, struct cgroup_names *out)
{
    struct part prev = { "", 0 }, unit = { NULL, 0 }, slice = { NULL, 0 };
    bool kube = false, found = false;
    const char *s = path;

    memset(out, 0, sizeof(*out));
    while (*s) {
        const char *e = strchr(s, '/');
        struct part p = { s, e ? (size_t)(e - s) : strlen(s) };

        if (p.len > 0) {
            if (ends(p, ".service") || ends(p, ".scope"))
                unit = p;
            else if (ends(p, ".slice"))
                slice = p;
            if (equals(p, "kubepods") || equals(p, "kubepods.slice") || equals(p, "kubelet-kubepods.slice"))
                kube = true;
            if (kube && !out->qos_class[0])
                qos_level(p, out->qos_class);
            if (kube && !out->pod_uid[0])
                pod_uid(p, out->pod_uid);
            if (!runtime_scope(p, out)) {
                if ((equals(prev, "docker") || equals(prev, "containerd")) && p.len == 64 && all_hex(p.s, 64)) {
                    copy(out->container_id, sizeof(out->container_id), p.s, 64);
                    snprintf(out->runtime, sizeof(out->runtime), "%.*s", (int)prev.len, prev.s);
                } else if (out->pod_uid[0] && p.len == 64 && all_hex(p.s, 64)) {
                    /* the cgroupfs driver names no runtime */
                    copy(out->container_id, sizeof(out->container_id), p.s, 64);
                    out->runtime[0] = '\0';
                }
            }
            if (!out->vm[0])
                machine_scope(p, out->vm, sizeof(out->vm));
            prev = p;
        }
        s = e ? e + 1 : s + p.len;
    }
    if (out->pod_uid[0] && !out->qos_class[0])
        snprintf(out->qos_class, sizeof(out->qos_class), "guaranteed");
    if (unit.s)
        copy(out->unit, sizeof(out->unit), unit.s, unit.len);
    else if (slice.s)
        copy(out->unit, sizeof(out->unit), slice.s, slice.len);
    found = out->unit[0] || out->container_id[0] || out->pod_uid[0] || out->vm[0];
    return found;
}
