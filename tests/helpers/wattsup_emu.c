/*
 * wattsup_emu: an emulated WattsUp? Pro on a pseudo-terminal, for the meter
 * tests. It answers the handshake a real meter answers and, once asked to
 * log, sends one record per interval. What it does is taken from the
 * protocol document, "Serial Data Format $Revision: 4.41"
 * (Communications_Protocol_v442.pdf; text copy in the WattsUp-Daemon CPAN
 * distribution, doc/wattsup_spec_v442.txt), section numbers as there.
 *
 *   wattsup_emu [-m MODE] [-q QUIRK,...] [-b BAUD] [-w WATTS] [-v VOLTS]
 *               [-a AMPS] [-p PF%] [-l LINK]
 *
 * MODE  steady   records as a meter sends them (default)
 *       split    every record written in three pieces, 120 ms apart
 *       garbage  before records 2, 4 and 6: line noise, a record cut
 *                short, a malformed record (3 errors in all), then clean
 *       fw16     older firmware: 16 fields (no Hz, VA)
 *       rs232    an old RS-232 meter: 16 fields, no answer to #H,R,0;,
 *                talks at 9600 baud (-m fw16 -q noheader -b 9600)
 * QUIRK strict   firmware that takes only well-formed commands: one with an
 *                empty argument ("No empty arguments are allowed", I.4) or
 *                one it does not know is answered "#v,-,8,..." (the reply
 *                "to any well-formatted but unrecognized command", II
 *                "Version request") and ignored
 *       erase    "#C,W" clears the logging memory (II "Choose list of
 *                fields"): busy for a second, dropping what it is sent,
 *                then it replies "#n,-,1,<limit>;"
 *       banner   at power-on (plug, power cycle) it announces itself:
 *                "EED05F01 $Revision: 4.41 $ 200612212301 60Hz 120V" (I.7)
 *       nul      NUL bytes after each record (outside a packet, I.3)
 *       ctrl     CR, LF and tab inside each record (ignored, I.4)
 *       noheader no answer to "#H,R,0;"
 *       dashonly logs only when asked "#L,W,3,E,-,<interval>;" (the
 *                <Reserved> argument firmware in the field wants)
 *       midrecord an unplug (HUP) comes in the middle of a record: the
 *                reader takes half a record, then the line hangs up
 * BAUD  the rate the meter talks at: a line set to another rate (the
 *       agent's baud =) garbles both ways, as a UART does
 * LINK  a symlink made to point at the pty's slave (remade at replug)
 *
 * "#C,W" is answered "#n,-,1,<limit>;" as the document says, in every mode.
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
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_FIELDS 18
#define MAX_ARGS   24
#define ERASE_S    1.0
#define BANNER     "EED05F01 $Revision: 4.41 $ 200612212301 60Hz 120V\r\n"
#define VERSION    "#v,-,8,1,65206,5,2,3,14,200612211910,0;\r\n"   /* the document's example */

enum mode { STEADY, SPLIT, GARBAGE, FW16 };

struct quirks {
    bool strict, erase, banner, nul, ctrl, noheader, dashonly, midrecord;
};

struct emu {
    enum mode     mode;
    struct quirks q;
    speed_t       baud;                 /* 0: any rate the line is set to */
    double        watts, volts, amps, pf;
    const char   *link;
    int           master, slave;
    char          slave_path[128];
    int           nfields;
    bool          chosen[MAX_FIELDS];   /* from #C,W: fields filled, others "_" */
    bool          have_choice;
    bool          logging;
    unsigned      interval_s;
    double        next_s;
    double        busy_until;           /* erasing memory: input dropped, no output */
    bool          silent, unplugged, told_garbled;
    unsigned      records;              /* sent whole, since start */
    double        wh;                   /* watt-hours, as the meter counts them */
    char          cmd[256];
    size_t        cmdlen;
    bool          in_cmd;
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

/* The agent set the line to our rate (or we take any rate). */
static bool
line_rate_ok(struct emu *e)
{
    struct termios t;
    bool ok;

    if (e->baud == 0 || e->slave < 0 || tcgetattr(e->slave, &t) < 0)
        return true;
    ok = cfgetospeed(&t) == e->baud;
    if (!ok && !e->told_garbled) {
        e->told_garbled = true;
        note("line set to another rate than ours: garbled both ways");
    }
    return ok;
}

static void
put(struct emu *e, const char *text, size_t len)
{
    char garbled[512];
    bool rate_ok = line_rate_ok(e);

    while (len > 0) {
        size_t chunk = len < sizeof(garbled) ? len : sizeof(garbled);
        const char *out = text;
        ssize_t n;

        if (!rate_ok) {
            /* at the wrong rate a UART reads framing garbage: never ASCII */
            for (size_t i = 0; i < chunk; i++)
                garbled[i] = (char)(text[i] | 0x80);
            out = garbled;
        }
        n = write(e->master, out, chunk);
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
    e->busy_until = 0;
    if (e->q.banner)
        puts_line(e, BANNER);
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

/* "#C,S,N,A1,...,AN;" split in place: false unless well formed (I.4-I.6). */
struct packet {
    char  c1, c2;
    int   count;
    int   nargs;
    char *arg[MAX_ARGS];
    bool  empty_arg;
};

static bool
split_packet(char *text, struct packet *p)
{
    char *field[MAX_ARGS + 3];
    int n = 0;
    size_t len = strlen(text);

    memset(p, 0, sizeof(*p));
    if (len < 2 || text[0] != '#' || text[len - 1] != ';')
        return false;
    text[len - 1] = '\0';
    for (char *s = text + 1; s && n < MAX_ARGS + 3; n++) {
        field[n] = s;
        if ((s = strchr(s, ',')) != NULL)
            *s++ = '\0';
    }
    if (n < 3 || strlen(field[0]) != 1 || strlen(field[1]) != 1)
        return false;
    p->c1 = field[0][0];
    p->c2 = field[1][0];
    p->count = atoi(field[2]);
    p->nargs = n - 3;
    for (int i = 0; i < p->nargs; i++) {
        p->arg[i] = field[i + 3];
        p->empty_arg |= field[i + 3][0] == '\0';
    }
    p->empty_arg |= field[2][0] == '\0';
    return true;
}

static void
refuse(struct emu *e, const char *cmd, const char *why)
{
    note("answered #v to %s (%s)", cmd, why);
    puts_line(e, VERSION);
}

static void
command(struct emu *e, const char *text)
{
    char copy[256];
    struct packet p;
    bool ok;

    if (e->silent) {
        note("ignored %s", text);
        return;
    }
    note("got %s", text);
    snprintf(copy, sizeof(copy), "%s", text);
    ok = split_packet(copy, &p);
    if (e->q.strict && (!ok || p.empty_arg || p.count != p.nargs)) {
        refuse(e, text, !ok ? "not a packet" : p.empty_arg ? "an empty argument" : "wrong count");
        return;
    }
    if (!ok) {
        note("unknown command %s", text);
        return;
    }
    if (p.c1 == 'H' && p.c2 == 'R') {
        if (e->q.noheader)
            note("no header: this firmware does not answer #H");
        else
            send_header(e);
    } else if (p.c1 == 'C' && p.c2 == 'W') {
        char reply[64];
        if (p.count != e->nfields)
            note("wrong field count %d for a %d-field meter", p.count, e->nfields);
        for (int i = 0; i < MAX_FIELDS; i++)
            e->chosen[i] = i < p.nargs && strcmp(p.arg[i], "1") == 0;
        e->have_choice = true;
        if (e->q.erase) {
            e->busy_until = now_s() + ERASE_S;
            note("erasing the logging memory");
        } else {
            snprintf(reply, sizeof(reply), "#n,-,1,%d;\r\n", 8000);
            puts_line(e, reply);
        }
    } else if (p.c1 == 'L' && p.c2 == 'W' && p.nargs == 3 && strcmp(p.arg[0], "E") == 0) {
        if (e->q.dashonly && strcmp(p.arg[1], "-") != 0) {
            note("not logging: this firmware wants <Reserved> \"-\", got \"%s\"", p.arg[1]);
            return;
        }
        e->logging = true;
        e->interval_s = (unsigned)atoi(p.arg[2]);
        if (e->interval_s == 0)
            e->interval_s = 1;
        e->next_s = now_s() + e->interval_s;
    } else if (p.c1 == 'L' && p.c2 == 'R')
        e->logging = false;
    else if (p.c1 == 'V' && p.c2 == 'R')
        puts_line(e, VERSION);
    else if (e->q.strict)
        refuse(e, text, "a command it does not know");
    else
        note("unknown command %s", text);
}

static void
read_commands(struct emu *e)
{
    char buf[256];
    ssize_t n = read(e->master, buf, sizeof(buf));

    if (n > 0 && !line_rate_ok(e))
        return;
    for (ssize_t i = 0; i < n; i++) {
        char c = buf[i];

        if (now_s() < e->busy_until) {     /* also what came in the same read as #C,W */
            note("dropped %zd bytes while erasing", n - i);
            e->in_cmd = false;
            return;
        }
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

/* The next record's text; watt-hours go on as the meter counts them. */
static int
format_record(struct emu *e, unsigned number, char *rec, size_t size)
{
    long v[MAX_FIELDS];
    int len;

    v[0] = lround(e->watts * 10);
    v[1] = lround(e->volts * 10);
    v[2] = lround(e->amps * 1000);
    v[3] = lround((e->wh + e->watts * e->interval_s / 3600.0) * 10);
    v[4] = v[5] = v[6] = 0;
    v[7] = v[0]; v[8] = v[1]; v[9] = v[2];
    v[10] = v[0]; v[11] = v[1]; v[12] = v[2];
    v[13] = lround(e->pf);
    v[14] = 100;
    v[15] = 0;
    v[16] = 600;
    v[17] = lround(e->volts * e->amps * 10);
    len = snprintf(rec, size, e->q.ctrl ? "#d,\t-,%d" : "#d,-,%d", e->nfields);
    for (int i = 0; i < e->nfields; i++) {
        if (e->have_choice && !e->chosen[i])
            len += snprintf(rec + len, size - (size_t)len, ",_");
        else if (i == 0 && e->mode == GARBAGE && number == 6)
            len += snprintf(rec + len, size - (size_t)len, ",12x4");
        else if (i == 0 && e->q.ctrl)      /* a line break inside the W value itself */
            len += snprintf(rec + len, size - (size_t)len, ",%ld\r\n%ld", v[i] / 10, v[i] % 10);
        else
            len += snprintf(rec + len, size - (size_t)len, ",%ld", v[i]);
    }
    len += snprintf(rec + len, size - (size_t)len, ";\r\n");
    return len;
}

static void
send_record(struct emu *e)
{
    char rec[256];
    int len;

    e->records++;
    len = format_record(e, e->records, rec, sizeof(rec));
    e->wh += e->watts * e->interval_s / 3600.0;

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
    if (e->q.nul)
        put(e, "\0\0\0", 3);
}

/* Half a record, taken by the reader, then the line goes. */
static void
vanish_mid_record(struct emu *e)
{
    char rec[256];
    int len = format_record(e, e->records + 1, rec, sizeof(rec)), pending = 1;

    put(e, rec, (size_t)len / 2);
    for (int i = 0; i < 500 && pending > 0; i++) {     /* up to 5 s on a loaded machine */
        if (ioctl(e->slave, FIONREAD, &pending) < 0)
            break;
        if (pending > 0)
            usleep(10000);
    }
    unplug(e);
    note("vanished mid-record after %u whole records (%d of %d bytes written, %d unread)",
         e->records, len / 2, len, pending);
}

static bool
parse_quirks(char *list, struct quirks *q)
{
    for (char *w = strtok(list, ","); w; w = strtok(NULL, ",")) {
        if (strcmp(w, "strict") == 0) q->strict = true;
        else if (strcmp(w, "erase") == 0) q->erase = true;
        else if (strcmp(w, "banner") == 0) q->banner = true;
        else if (strcmp(w, "nul") == 0) q->nul = true;
        else if (strcmp(w, "ctrl") == 0) q->ctrl = true;
        else if (strcmp(w, "noheader") == 0) q->noheader = true;
        else if (strcmp(w, "dashonly") == 0) q->dashonly = true;
        else if (strcmp(w, "midrecord") == 0) q->midrecord = true;
        else return false;
    }
    return true;
}

static speed_t
speed_of(long baud)
{
    static const struct { long baud; speed_t speed; } rates[] = {
        { 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 },
        { 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
    };

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
        if (rates[i].baud == baud)
            return rates[i].speed;
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: wattsup_emu [-m steady|split|garbage|fw16|rs232] "
            "[-q strict,erase,banner,nul,ctrl,noheader,dashonly,midrecord] [-b BAUD] [-w WATTS] "
            "[-v VOLTS] [-a AMPS] [-p PF_PERCENT] [-l LINK]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    struct emu e = { .mode = STEADY, .watts = 100.0, .volts = 120.0, .amps = 0.833, .pf = 100,
                     .master = -1, .slave = -1, .nfields = 18, .interval_s = 1 };
    struct sigaction sa;
    int c;

    while ((c = getopt(argc, argv, "m:q:b:w:v:a:p:l:")) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "steady") == 0) e.mode = STEADY;
            else if (strcmp(optarg, "split") == 0) e.mode = SPLIT;
            else if (strcmp(optarg, "garbage") == 0) e.mode = GARBAGE;
            else if (strcmp(optarg, "fw16") == 0) e.mode = FW16;
            else if (strcmp(optarg, "rs232") == 0) {
                e.mode = FW16;
                e.q.noheader = true;
                e.baud = B9600;
            } else usage();
            break;
        case 'q': if (!parse_quirks(optarg, &e.q)) usage(); break;
        case 'b': if (!(e.baud = speed_of(atol(optarg)))) usage(); break;
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
        double now;

        if (got_usr1) {
            got_usr1 = 0;
            e.silent = true;
            note("silenced");
        }
        if (got_hup) {
            got_hup = 0;
            if (!e.unplugged && e.q.midrecord)
                vanish_mid_record(&e);
            else if (!e.unplugged) {
                unplug(&e);
                note("unplugged");
            }
        }
        if (got_pwr) {
            got_pwr = 0;
            e.logging = false;
            e.have_choice = false;
            note("power cycled: logging off");
            if (e.q.banner && !e.unplugged)
                puts_line(&e, BANNER);
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
        if (e.busy_until > 0 && now_s() >= e.busy_until) {
            e.busy_until = 0;
            note("erased: answering #n");
            puts_line(&e, "#n,-,1,8000;\r\n");
        }
        if (e.busy_until > 0)
            timeout = 20;
        else if (e.logging && !e.silent) {
            double wait = e.next_s - now_s();
            timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        }
        if (poll(&p, 1, timeout) > 0 && (p.revents & POLLIN))
            read_commands(&e);
        now = now_s();
        if (e.logging && !e.silent && e.busy_until == 0 && now >= e.next_s) {
            send_record(&e);
            e.next_s += e.interval_s;
            if (e.next_s < now)
                e.next_s = now + e.interval_s;
        }
    }
    if (!e.unplugged)
        unplug(&e);
    note("exit after %u records", e.records);
    return 0;
}
