/*
 * test_families: the metric families (pmda/families.c) against the names
 * users see (pmda/pmns) and their help text (help): every PMID a family
 * serves has one name, every name a row, every name its help; no two
 * families claim a cluster or an instance domain. A new family that
 * forgets one of these fails here, not in front of a user.
 */
#include "check.h"
#include "family.h"

#include <ctype.h>
#include <stdlib.h>

#define MAX_NAMES 256

struct pmns_name {
    char     name[128];
    unsigned cluster, item;
    bool     served;
};

static size_t
read_pmns(const char *path, struct pmns_name *names, size_t max)
{
    FILE *fp = fopen(path, "r");
    char line[256], node[96] = "";
    size_t n = 0;

    if (!fp)
        return 0;
    while (fgets(line, sizeof(line), fp)) {
        char a[96], b[96];
        unsigned cluster, item;

        if (sscanf(line, " %95s {", a) == 1 && strchr(line, '{'))
            snprintf(node, sizeof(node), "%s", a);
        else if (sscanf(line, " %95s PCPPOWER:%u:%u", b, &cluster, &item) == 3 && n < max) {
            snprintf(names[n].name, sizeof(names[n].name), "%s.%s", node, b);
            names[n].cluster = cluster;
            names[n].item = item;
            names[n].served = false;
            n++;
        }
    }
    fclose(fp);
    return n;
}

static bool
has_help(const char *help, const char *name)
{
    char want[160];
    const char *p = help;
    size_t len;

    snprintf(want, sizeof(want), "@ %s ", name);
    len = strlen(want);
    while ((p = strstr(p, want)) != NULL) {
        if (p == help || p[-1] == '\n')
            return true;
        p += len;
    }
    return false;
}

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *text;
    long size;

    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    if ((text = calloc(1, (size_t)size + 1)) != NULL && fread(text, 1, (size_t)size, fp) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(fp);
    return text;
}

int
main(void)
{
    struct pmns_name names[MAX_NAMES];
    size_t nnames = read_pmns("pmda/pmns", names, MAX_NAMES), rows = 0;
    char *help = slurp("help");
    const struct family *cluster_owner[4096] = { 0 };
    const struct family *indom_owner[64] = { 0 };

    CHECK(nnames > 40, "pmda/pmns names the metrics (%zu)", nnames);
    CHECK(help != NULL, "the help text is readable");

    for (const struct family *const *f = power_families; *f; f++) {
        const struct family *fam = *f;

        if (fam->indom >= 0 && fam->indom < 64) {
            CHECK(!indom_owner[fam->indom], "family %s has instance domain %d to itself%s%s",
                  fam->name, fam->indom, indom_owner[fam->indom] ? ", also claimed by " : "",
                  indom_owner[fam->indom] ? indom_owner[fam->indom]->name : "");
            indom_owner[fam->indom] = fam;
        }
        CHECK(fam->fetch != NULL, "family %s fetches", fam->name);
        CHECK(fam->indom < 0 || fam->ids == IDS_OWN || (fam->count && fam->instance),
              "family %s says how to list its instances", fam->name);
        for (size_t m = 0; m < fam->nmetrics; m++) {
            pmID pmid = fam->metrics[m].m_desc.pmid;
            unsigned cluster = pmID_cluster(pmid), item = pmID_item(pmid);
            size_t found = 0;

            rows++;
            if (cluster_owner[cluster] && cluster_owner[cluster] != fam)
                CHECK(false, "cluster %u belongs to one family: %s and %s", cluster,
                      cluster_owner[cluster]->name, fam->name);
            cluster_owner[cluster] = fam;
            if (fam->metrics[m].m_desc.indom != PM_INDOM_NULL && fam->indom < 0)
                CHECK(false, "family %s: metric %u.%u has an instance domain the family lacks",
                      fam->name, cluster, item);
            for (size_t i = 0; i < nnames; i++)
                if (names[i].cluster == cluster && names[i].item == item) {
                    found++;
                    names[i].served = true;
                }
            if (found != 1)
                CHECK(false, "family %s: PMID %u.%u has one name in pmns (it has %zu)",
                      fam->name, cluster, item, found);
        }
    }
    CHECK(rows == nnames, "the families serve as many metrics as pmns names (%zu rows, %zu names)",
          rows, nnames);
    for (size_t i = 0; i < nnames; i++) {
        if (!names[i].served)
            CHECK(false, "%s (%u.%u) is served by a family", names[i].name, names[i].cluster, names[i].item);
        if (help && !has_help(help, names[i].name))
            CHECK(false, "%s has help text", names[i].name);
    }
    CHECK(true, "every name in pmns is served and has help text");
    free(help);
    return CHECK_DONE();
}
