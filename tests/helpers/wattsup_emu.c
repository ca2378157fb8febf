/*
 * wattsup_emu: an emulated WattsUp? Pro on a pseudo-terminal, for the meter
 * tests. It answers the handshake a real meter answers and, once asked to
 * log, sends one record per interval.
 *
 *   wattsup_emu [-m MODE] [-w WATTS] [-v VOLTS] [-a AMPS] [-p PF%] [-l LINK]
 *
 * MODE  steady   records as a meter sends them (default)
 *       split    every record written in three pieces, 120 ms apart
 *       garbage  before records 2, 4 and 6: a garbage run, a record cut
 *                short, a malformed record (3 errors in all), then clean
 *       fw16     older firmware: 16 fields (no Hz, VA)
 * LINK  a symlink made to point at the pty's slave (remade at replug)
 *
 * Signals drive the failures, so a test decides when they happen:
 *   USR1  go silent: no records, no answers (a stalled meter)
 *   HUP   unplug: close the pty and remove LINK (the device vanishes)
 *   USR2  resume after USR1; after HUP, plug in again on a NEW pty
 *   PWR   mains power cycled: logging stops, commands still answered
 *         (USB powers the serial side, so the port stays up)
 *   TERM  exit
 * The slave path goes to stdout at every plug; every command received and
 * every event goes to stderr ("emu: got #H,R,0;"), for the test to check.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_FIELDS 18

enum mode { STEADY, SPLIT, GARBAGE, FW16 };

struct emu {
    enum mode   mode;
    double      watts, volts, amps, pf;
    const char *link;
    int         master, slave;
    char        slave_path[128];
    int         nfields;
    bool        chosen[MAX_FIELDS];     /* from #C,W: fields filled, others "_" */
    bool        have_choice;
    bool        logging;
    unsigned    interval_s;
    double      next_s;
    bool        silent, unplugged;
    unsigned    records;                /* sent since start */
    double      wh;                     /* watt-hours, as the meter counts them */
    char        cmd[256];
    size_t      cmdlen;
    bool        in_cmd;
};

static volatile sig_atomic_t got_usr1, got_usr2, got_hup, got_pwr, got_term;

static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }
static void on_usr2(int sig) { (void)sig; got_usr2 = 1; }
static void on_hup(int sig)  { (void)sig; got_hup = 1; }
static void on_pwr(int sig)  { (void)sig; got_pwr = 1; }
static void on_term(int sig) { (void)sig; got_term = 1; }

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
note(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "emu: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(stderr);
}

static void
put(struct emu *e, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(e->master, text, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;     /* nobody reading and the buffer full: a meter drops it too */
        }
        text += n;
        len -= (size_t)n;
    }
}

static void
puts_line(struct emu *e, const char *text)
{
    put(e, text, strlen(text));
}

static int
plug(struct emu *e)
{
    struct termios t;

    e->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (e->master < 0 || grantpt(e->master) < 0 || unlockpt(e->master) < 0 ||
        ptsname_r(e->master, e->slave_path, sizeof(e->slave_path)) != 0) {
        perror("wattsup_emu: pty");
        return -1;
    }
    /* hold the slave open and raw: no echo of our own records back to us,
     * and no hangup on the master side while the agent reopens */
    if ((e->slave = open(e->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
        tcgetattr(e->slave, &t) < 0) {
        perror("wattsup_emu: slave");
        return -1;
    }
    cfmakeraw(&t);
    tcsetattr(e->slave, TCSANOW, &t);
    fcntl(e->master, F_SETFL, fcntl(e->master, F_GETFL) | O_NONBLOCK);
    if (e->link) {
        unlink(e->link);
        if (symlink(e->slave_path, e->link) < 0) {
            perror("wattsup_emu: symlink");
            return -1;
        }
    }
    e->unplugged = false;
    e->logging = false;
    e->have_choice = false;
    e->in_cmd = false;
    printf("%s\n", e->slave_path);
    fflush(stdout);
    return 0;
}

static void
unplug(struct emu *e)
{
    if (e->link)
        unlink(e->link);
    close(e->master);
    close(e->slave);
    e->master = e->slave = -1;
    e->unplugged = true;
    e->logging = false;
}

static void
send_header(struct emu *e)
{
    if (e->nfields == 16)
        puts_line(e, "#h,-,16,W,V,A,WH,Cost,WH/Mo,Cost/Mo,Wmax,Vmax,Amax,Wmin,Vmin,Amin,PF,DC,PC;\r\n");
    else
        puts_line(e, "#h,-,18,W,V,A,WH,Cost,WH/Mo,Cost/Mo,Wmax,Vmax,Amax,Wmin,Vmin,Amin,PF,DC,PC,Hz,VA;\r\n");
}

static void
command(struct emu *e, const char *cmd)
{
    unsigned interval;
    int n;

    if (e->silent) {
        note("ignored %s", cmd);
        return;
    }
    note("got %s", cmd);
    if (strcmp(cmd, "#H,R,0;") == 0)
        send_header(e);
    else if (sscanf(cmd, "#C,W,%d,", &n) == 1) {
        const char *p = strchr(cmd + 5, ',');
        if (n != e->nfields)
            note("wrong field count %d for a %d-field meter", n, e->nfields);
        for (int i = 0; i < MAX_FIELDS; i++) {
            e->chosen[i] = p && p[1] == '1';
            if (p)
                p = strchr(p + 1, ',');
        }
        e->have_choice = true;
    } else if (sscanf(cmd, "#L,W,3,E,,%u;", &interval) == 1 || sscanf(cmd, "#L,W,3,E,%*d,%u;", &interval) == 1) {
        e->logging = true;
        e->interval_s = interval ? interval : 1;
        e->next_s = now_s() + e->interval_s;
    } else if (strcmp(cmd, "#L,R,0;") == 0)
        e->logging = false;
    else
        note("unknown command %s", cmd);
}

static void
read_commands(struct emu *e)
{
    char buf[256];
    ssize_t n = read(e->master, buf, sizeof(buf));

    for (ssize_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '#') {
            e->in_cmd = true;
            e->cmdlen = 0;
        }
        if (!e->in_cmd)
            continue;
        if (e->cmdlen + 1 < sizeof(e->cmd))
            e->cmd[e->cmdlen++] = c;
        if (c == ';') {
            e->cmd[e->cmdlen] = '\0';
            e->in_cmd = false;
            command(e, e->cmd);
        }
    }
}

static void
send_record(struct emu *e)
{
    long v[MAX_FIELDS];
    char rec[256];
    int len;

    e->records++;
    e->wh += e->watts * e->interval_s / 3600.0;
    v[0] = lround(e->watts * 10);
    v[1] = lround(e->volts * 10);
    v[2] = lround(e->amps * 1000);
    v[3] = lround(e->wh * 10);
    v[4] = v[5] = v[6] = 0;
    v[7] = v[0]; v[8] = v[1]; v[9] = v[2];
    v[10] = v[0]; v[11] = v[1]; v[12] = v[2];
    v[13] = lround(e->pf);
    v[14] = 100;
    v[15] = 0;
    v[16] = 600;
    v[17] = lround(e->volts * e->amps * 10);
    len = snprintf(rec, sizeof(rec), "#d,-,%d", e->nfields);
    for (int i = 0; i < e->nfields; i++) {
        if (e->have_choice && !e->chosen[i])
            len += snprintf(rec + len, sizeof(rec) - (size_t)len, ",_");
        else if (i == 0 && e->mode == GARBAGE && e->records == 6)
            len += snprintf(rec + len, sizeof(rec) - (size_t)len, ",12x4");
        else
            len += snprintf(rec + len, sizeof(rec) - (size_t)len, ",%ld", v[i]);
    }
    len += snprintf(rec + len, sizeof(rec) - (size_t)len, ";\r\n");

    if (e->mode == GARBAGE && e->records == 2) {
        note("injected garbage");
        put(e, "zz\x01\xffjunk\r\n", 10);
    } else if (e->mode == GARBAGE && e->records == 4) {
        note("injected cut record");
        puts_line(e, "#d,-,18,99");
    } else if (e->mode == GARBAGE && e->records == 6)
        note("injected malformed record");

    if (e->mode == SPLIT) {
        int a = len / 3, b = 2 * len / 3;
        put(e, rec, (size_t)a);
        usleep(120000);
        put(e, rec + a, (size_t)(b - a));
        usleep(120000);
        put(e, rec + b, (size_t)(len - b));
    } else
        put(e, rec, (size_t)len);
}

static void
usage(void)
{
    fprintf(stderr, "usage: wattsup_emu [-m steady|split|garbage|fw16] [-w WATTS] [-v VOLTS] "
            "[-a AMPS] [-p PF_PERCENT] [-l LINK]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    struct emu e = { .mode = STEADY, .watts = 100.0, .volts = 120.0, .amps = 0.833, .pf = 100,
                     .master = -1, .slave = -1, .nfields = 18, .interval_s = 1 };
    struct sigaction sa;
    int c;

    while ((c = getopt(argc, argv, "m:w:v:a:p:l:")) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "steady") == 0) e.mode = STEADY;
            else if (strcmp(optarg, "split") == 0) e.mode = SPLIT;
            else if (strcmp(optarg, "garbage") == 0) e.mode = GARBAGE;
            else if (strcmp(optarg, "fw16") == 0) e.mode = FW16;
            else usage();
            break;
        case 'w': e.watts = atof(optarg); break;
        case 'v': e.volts = atof(optarg); break;
        case 'a': e.amps = atof(optarg); break;
        case 'p': e.pf = atof(optarg); break;
        case 'l': e.link = optarg; break;
        default: usage();
        }
    }
    if (e.mode == FW16)
        e.nfields = 16;

    memset(&sa, 0, sizeof(sa));     /* no SA_RESTART: a signal ends the poll at once */
    sa.sa_handler = on_usr1; sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_usr2; sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_hup;  sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_pwr;  sigaction(SIGPWR, &sa, NULL);
    sa.sa_handler = on_term; sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (plug(&e) < 0)
        return 1;
    note("plugged in on %s", e.slave_path);
    while (!got_term) {
        struct pollfd p = { .fd = e.master, .events = POLLIN };
        int timeout = 200;

        if (got_usr1) {
            got_usr1 = 0;
            e.silent = true;
            note("silenced");
        }
        if (got_hup) {
            got_hup = 0;
            if (!e.unplugged) {
                unplug(&e);
                note("unplugged");
            }
        }
        if (got_pwr) {
            got_pwr = 0;
            e.logging = false;
            e.have_choice = false;
            note("power cycled: logging off");
        }
        if (got_usr2) {
            got_usr2 = 0;
            if (e.unplugged) {
                if (plug(&e) < 0)
                    return 1;
                note("replugged on %s", e.slave_path);
            } else if (e.silent) {
                e.silent = false;
                e.next_s = now_s() + e.interval_s;
                note("resumed");
            }
        }
        if (e.unplugged) {
            poll(NULL, 0, 100);
            continue;
        }
        if (e.logging && !e.silent) {
            double wait = e.next_s - now_s();
            timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        }
        if (poll(&p, 1, timeout) > 0 && (p.revents & POLLIN))
            read_commands(&e);
        if (e.logging && !e.silent && now_s() >= e.next_s) {
            send_record(&e);
            e.next_s += e.interval_s;
            if (e.next_s < now_s())
                e.next_s = now_s() + e.interval_s;
        }
    }
    if (!e.unplugged)
        unplug(&e);
    note("exit after %u records", e.records);
    return 0;
}
