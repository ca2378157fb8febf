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
check "grep -q 'power.source\" has multiple PMIDs' '$WORK/linux/merge.log'" \
    "Linux names: pmnsmerge with the darwin agent's finds power.source twice (the clash)"
check "[ '$(pmid "$WORK/linux" power.source)' != 78.22.12 ]" "Linux names: darwin's power.source metric is lost"
check "[ '$(pmid "$WORK/linux" power.battery.capacity)' != $DOMAIN.7.3 ]" "Linux names: our power.battery.capacity is lost under darwin's node"

stage "$WORK/darwin" darwin
check "[ ! -s '$WORK/darwin/merge.log' ]" "macOS names: pmnsmerge with the darwin agent's says nothing" "$(cat "$WORK/darwin/merge.log")"
check "[ '$(pmid "$WORK/darwin" power.source)' = 78.22.12 ] && [ '$(pmid "$WORK/darwin" power.battery.capacity.design)' = 78.22.9 ] && [ '$(pmid "$WORK/darwin" power.ac.connected)' = 78.22.11 ]" \
    "macOS names: darwin's power.source, power.battery.* and power.ac.* keep their PMIDs"
check "[ '$(pmid "$WORK/darwin" power.sources.state)' = $DOMAIN.4.0 ] && [ '$(pmid "$WORK/darwin" power.sources.reason)' = $DOMAIN.4.1 ]" \
    "macOS names: our source group is power.sources, same PMIDs"
ours=$(pminfo -n "$WORK/darwin/root" -m power | awk '{ print $1, $3 }')
lost=$(echo "$ours" | while read -r name id; do [ "$(pmid "$WORK/darwin" "$name")" = "$id" ] || echo "$name"; done)
check "[ -z '$lost' ] && [ \$(echo '$ours' | wc -l) -gt 50 ]" "macOS names: every one of ours survives the merge ($(echo "$ours" | wc -l) names)" "lost: $lost"
check "! echo '$ours' | grep -q '^power\\.battery\\.'" "macOS names: no battery family"
# indexed as pmdaproc.sh does (and the build: PCPPOWER in the instance domains' entries is the domain)
sed -i "/^@ PCPPOWER\./s/PCPPOWER\./$DOMAIN./" "$WORK/darwin/help"
(cd "$WORK/darwin" && newhelp -n root -o help help) > "$WORK/darwin/newhelp.log" 2>&1
check "[ \$? -eq 0 ] && [ ! -s '$WORK/darwin/newhelp.log' ] && [ -s '$WORK/darwin/help.dir' ]" \
    "macOS help: every entry names a metric of the macOS names" "$(head -3 "$WORK/darwin/newhelp.log")"
check "grep -q '^@ power.sources.state ' '$WORK/darwin/help' && ! grep -q '^@ power.battery.' '$WORK/darwin/help'" \
    "macOS help: power.sources has its text, the battery family none"
finish
