/*
 * calwrite.c: pmpower calibrate --write: the fit into the [model] section
 * of power.conf (modelconf.h), written whole beside the old file and
 * renamed over it, then confirmed from the agent's power.source.reason.
 */
#include "calibrate.h"
#include "modelconf.h"
#include "stop.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
utc_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (!fp)
        return errno == ENOENT ? strdup("") : NULL;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap = cap ? 2 * cap : 8192);
            if (!grown) {
                free(buf);
                fclose(fp);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (got == 0)
            break;
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

/* The new text into a file beside the old, then renamed over it: the agent
 * sees a whole file or the old one, never half. */
static int
write_config(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    struct stat st;
    size_t len = strlen(text);
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.calibrate.XXXXXX", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = mkstemp(tmp)) < 0)
        return -1;
    fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 07777 : 0644);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

/* After --write: does the agent report the new calibration? */
static void
confirm_agent(struct cal *c, const char *stamp)
{
    pmHighResResult *r;
    pmValueSet *vs;
    double until = pp_now() + 5 * c->poll_s * 10 + 5;

    while (pp_now() < until && !pp_stop_requested()) {
        bool seen = false;
        if (pp_fetch(c->m, C_COUNT, &r) < 0)
            break;
        if ((vs = pp_vset(r, c->m, C_COUNT, C_REASON)))
            for (int j = 0; j < vs->numval && !seen; j++) {
                char *why = NULL;
                if (strcmp(pp_inst_name(c->ctx, c->m[C_REASON].desc.indom, vs->vlist[j].inst), "model") == 0 &&
                    pp_string(vs, &c->m[C_REASON].desc, j, &why) > 0) {
                    seen = strstr(why, stamp) != NULL;
                    if (seen)
                        printf("the agent took it: power.source.reason[model] \"%s\"\n", why);
                }
                free(why);
            }
        pmFreeHighResResult(r);
        if (seen)
            return;
        pp_sleep_until(pp_now() + c->poll_s);
    }
    printf("the agent has not reported the new calibration yet: does it read this power.conf "
           "(its -c option)? It re-reads the file when it changes\n");
}

int
cal_write_model(struct cal *c, const struct cal_fit *fit, const char *curve)
{
    char stamp[32], note[512], path[PATH_MAX];
    struct model_keys keys;
    char *old, *text;

    if (c->set.config)
        snprintf(path, sizeof(path), "%s", c->set.config);
    else
        snprintf(path, sizeof(path), "%s/power/power.conf", pmGetConfig("PCP_PMDAS_DIR"));
    utc_now(stamp, sizeof(stamp));
    snprintf(note, sizeof(note), "against %s (%s), %u CPUs, largest error of the line %.1f%%", c->ref.name,
             c->ref.parts, fit->ncpu, 100 * fit->worst_error);
    if (c->set.wall_ratio != 1) {
        size_t used = strlen(note);
        snprintf(note + used, sizeof(note) - used, " (wall ratio %.4g)", c->set.wall_ratio);
    }
    keys = (struct model_keys){
        .idle_w = fit->idle_w, .max_w = fit->max_w, .per_core_w = fit->per_core_w, .curve = curve,
        .calibrated = stamp, .note = note,
        /* with a wall ratio the model predicts the wall, a meter's scale */
        .reference = c->set.wall_ratio != 1 ? "meter" : c->ref.name,
    };
    if ((old = read_file(path)) == NULL) {
        fprintf(stderr, "%s: cannot read %s: %s\n", pmGetProgname(), path, strerror(errno));
        return 1;
    }
    text = modelconf_rewrite(old, &keys);
    free(old);
    if (!text || write_config(path, text) < 0) {
        fprintf(stderr, "%s: cannot write %s: %s%s\n", pmGetProgname(), path, strerror(text ? errno : ENOMEM),
                errno == EACCES ? " (run as root, or give --config a file you may write)" : "");
        free(text);
        return 1;
    }
    free(text);
    printf("wrote [model] of %s\n", path);
    confirm_agent(c, stamp);
    return 0;
}
