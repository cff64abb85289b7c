# SPDX-License-Identifier: GPL-2.0
# Scenario: after DMA on both disks stops, the accounting's mapped pages
# equal the page-table dumps of all domains, page for page (with the number
# of mappings of each); the files refuse bad input.
. /root/lib/check.sh
. /root/lib/iopt.sh

check "insmod" insmod /lib/modules/iommu_scope.ko
sleep 1
check "status lists accounting active" grep -q "^feature accounting: active" $IOPT/status
check "seeding finishes" wait_seeded
check "seeded from the live domains" sh -c "grep -q '^seeded_refs [1-9]' $IOPT/accounting"

end=$(( $(date +%s) + 15 ))
dma() {
	while [ $(date +%s) -lt $end ]; do
		dd if=$1 of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null
		dd if=/dev/zero of=$1 bs=64k count=8 oflag=direct 2>/dev/null
		dd if=$1 of=/dev/null bs=256k count=8 2>/dev/null
	done
}
dma /dev/vda & dma /dev/nvme0n1 &
wait
sync
sleep 1
cat $IOPT/accounting
grep -v '^#' $IOPT/pages > /tmp/acct_pages
dump_pa_pages > /tmp/dump_pages
check "maps and unmaps were counted" sh -c "[ \$(awk '/^maps /{print \$2}' $IOPT/accounting) -gt 100 ] && [ \$(awk '/^unmaps /{print \$2}' $IOPT/accounting) -gt 100 ]"
check "accounting equals the dumps page for page ($(wc -l < /tmp/dump_pages) pages)" cmp /tmp/acct_pages /tmp/dump_pages
check_eq "no underflow" "underflows 0" "$(grep '^underflows ' $IOPT/accounting)"
check_eq "no overflow" "overflows 0" "$(grep '^overflows ' $IOPT/accounting)"
check_eq "no table chunk spilled" "table_nodes_spilled 0" "$(grep '^table_nodes_spilled ' $IOPT/accounting)"
check_eq "pages_mapped matches the pages file" "$(wc -l < /tmp/acct_pages)" "$(awk '/^pages_mapped /{print $2}' $IOPT/accounting)"

P=$(head -1 /tmp/acct_pages | cut -d' ' -f1); N=$(head -1 /tmp/acct_pages | cut -d' ' -f2)
echo $P > $IOPT/lookup
check "lookup of a mapped page gives its count" grep -q "^pa=$P pfn=0x[0-9a-f]* count=$N$" $IOPT/lookup
before=$(cat $IOPT/lookup)
expect_fail "lookup refuses text" sh -c "echo nonsense > $IOPT/lookup"
expect_fail "lookup refuses an address over 52 bits" sh -c "echo 0x10000000000000 > $IOPT/lookup"
expect_fail "lookup refuses a blank line" sh -c "echo '' > $IOPT/lookup"
check_eq "a refused write changes nothing" "$before" "$(cat $IOPT/lookup)"
expect_fail "accounting is read-only" sh -c "echo 1 > $IOPT/accounting"
expect_fail "pages is read-only" sh -c "echo 1 > $IOPT/pages"
check "lookup is root-only (0600)" test "$(stat -c %a $IOPT/lookup)" = 600
check "rmmod" rmmod iommu_scope
no_splat "no kernel splat"
finish
