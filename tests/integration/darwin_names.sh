#!/usr/bin/env bash
# The agent's names on macOS (pmda/darwin-names, which pmda/Install runs on
# Darwin): PCP 7.1.1+'s darwin agent owns power.battery.*, power.ac.* and
# the metric power.source there (tests/fixtures/darwin/root, from PCP's
# src/pmdas/darwin/pmns). With the Linux names, pmnsmerge of the two loses
# darwin's power.source (our group is a node there) and our
# power.battery.capacity (darwin's is a node); with the macOS names every
# name of both agents survives. The help text follows the names (newhelp
# finds each entry's metric). The build on macOS itself is not tested here.
. "$(dirname "$0")/../lib/common.sh"
FIX=$TOP/tests/fixtures/darwin/root

stage() {   # DIR [darwin]: the agent's root, domain.h, pmns and help in DIR
    mkdir -p "$1"
    cp "$TOP/pmda/root" "$TOP/pmda/domain.h" "$TOP/pmda/pmns" "$TOP/help" "$1/"
    [ "${2:-}" = darwin ] && sh "$TOP/pmda/darwin-names" "$1/pmns" "$1/help"
    (cd "$1" && pmnsmerge root "$FIX" merged) > "$1/merge.log" 2>&1
}
pmid() { pminfo -n "$1/merged" -m "$2" 2>/dev/null | awk '{ print $3 }'; }

stage "$WORK/linux"
sed 's/^/# /' "$WORK/linux/merge.log"
check_file_has "$WORK/linux/merge.log" 'power.source" has multiple PMIDs' \
    "Linux names: pmnsmerge with the darwin agent's finds power.source twice (the clash)"
check_ne "$(pmid "$WORK/linux" power.source)" 78.22.12 "Linux names: darwin's power.source metric is lost"
check_ne "$(pmid "$WORK/linux" power.battery.capacity)" "$DOMAIN.7.3" "Linux names: our power.battery.capacity is lost under darwin's node"

stage "$WORK/darwin" darwin
check_empty "$(cat "$WORK/darwin/merge.log")" "macOS names: pmnsmerge with the darwin agent's says nothing"
check_eq "$(pmid "$WORK/darwin" power.source)" 78.22.12 "macOS names: darwin's power.source keeps its PMID"
check_eq "$(pmid "$WORK/darwin" power.battery.capacity.design)" 78.22.9 "macOS names: darwin's power.battery.* too"
check_eq "$(pmid "$WORK/darwin" power.ac.connected)" 78.22.11 "macOS names: and power.ac.*"
check_eq "$(pmid "$WORK/darwin" power.sources.state) $(pmid "$WORK/darwin" power.sources.reason)" \
    "$DOMAIN.4.0 $DOMAIN.4.1" "macOS names: our source group is power.sources, same PMIDs"
ours=$(pminfo -n "$WORK/darwin/root" -m power | awk '{ print $1, $3 }')
lost=$(echo "$ours" | while read -r name id; do [ "$(pmid "$WORK/darwin" "$name")" = "$id" ] || echo "$name"; done)
check_empty "$lost" "macOS names: every one of ours survives the merge"
check_num "$(echo "$ours" | wc -l)" '>' 50 "macOS names: all of ours were looked at"
check_no_match "$ours" '^power\.battery\.' "macOS names: no battery family"
# indexed as pmdaproc.sh does (and the build: PCPPOWER in the instance domains' entries is the domain)
sed -i "/^@ PCPPOWER\./s/PCPPOWER\./$DOMAIN./" "$WORK/darwin/help"
(cd "$WORK/darwin" && newhelp -n root -o help help) > "$WORK/darwin/newhelp.log" 2>&1
check_num "$?" = 0 "macOS help: newhelp indexes it"
check_empty "$(cat "$WORK/darwin/newhelp.log")" "macOS help: every entry names a metric of the macOS names"
check_file_has "$WORK/darwin/help" '^@ power\.sources\.state ' "macOS help: power.sources has its text"
check_file_lacks "$WORK/darwin/help" '^@ power\.battery\.' "macOS help: the battery family none"
finish
