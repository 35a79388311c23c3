#!/usr/bin/env bats
# aud-lift: conversion of a campaign's target and control groups.
#
# tests/fixtures/lift-campaign.csv: product 10 targets 1-4 and holds out 5
# and 6; 20 targets 1 and 7 and holds out 8; 30 targets 9 and has no
# control. lift-after.csv, from 2024-02-01 on: 1 buys 10 and 2 views it in
# the window, 5 buys it after it (March 5; 30 days end on March 2), 6
# before the start; 7 and 8 buy 20; 9 buys 30, and 1 buys 30 without being
# in its audience.

setup() {
	load test_helper
	cd "$FIXTURES"
	A=$BATS_TEST_TMPDIR/after.aud
	aud-prepare -q -o "$A" lift-after.csv
	cp lift-campaign.csv "$BATS_TEST_TMPDIR/c.csv"
	C=$BATS_TEST_TMPDIR/c.csv
}

@test "--help and --version exit 0" {
	run -0 aud-lift --help
	assert_line --partial "Usage: aud-lift"
	run -0 aud-lift --version
	assert_output --regexp '^aud-lift [0-9.]+$'
}

@test "the counts per group and product, checked by hand" {
	run -0 bash -c "aud-lift --since 2024-02-01 '$C' '$A' | jq -c '[.window, .members, (.products[] | [.product_id, .target.members, .target.converted, .control.members, .control.converted, .note]), [.overall.target.converted, .overall.target.members, .overall.control.converted, .overall.control.members]]'"
	assert_output '[{"since":"2024-02-01T00:00:00Z","until":"2024-03-02T00:00:00Z","days":30,"event":null},{"pairs":10,"distinct_customers":9,"duplicates":0,"in_both_groups":0},[10,4,2,2,0,"no conversion in the control group: the relative lift is undefined"],[20,2,1,1,1,null],[30,1,1,0,0,"no control members: nothing to compare with"],[4,7,1,3]]'
	# Only purchases: 2's view of 10 no longer counts.
	run -0 bash -c "aud-lift --since 2024-02-01 --event purchased '$C' '$A' | jq -c '.products[0].target.converted'"
	assert_output 1
	# A shorter window: 8 days leaves 2's view (Feb 10) out.
	run -0 bash -c "aud-lift --since 2024-02-01 --days 8 '$C' '$A' | jq -c '[.products[0].target.converted, .window.until]'"
	assert_output '[1,"2024-02-09T00:00:00Z"]'
}

@test "every interval and p-value agrees with an independent computation" {
	aud-lift --since 2024-02-01 "$C" "$A" > "$BATS_TEST_TMPDIR/r.json"
	run -0 python3 "$BATS_TEST_DIRNAME/lift_check.py" "$BATS_TEST_TMPDIR/r.json"
	assert_output ok
	aud-lift --since 2024-02-01 --event purchased "$C" "$A" > "$BATS_TEST_TMPDIR/r.json"
	run -0 python3 "$BATS_TEST_DIRNAME/lift_check.py" "$BATS_TEST_TMPDIR/r.json"
	assert_output ok
	# No figure is NaN or infinite anywhere: they are numbers or null.
	run -0 grep -ci 'nan\|inf' "$BATS_TEST_TMPDIR/r.json" || true
	refute_output --regexp '^[1-9]'
}

@test "--text: a table for people" {
	run -0 aud-lift --since 2024-02-01 --text "$C" "$A"
	assert_line --index 0 'Conversions from 2024-02-01T00:00:00Z to 2024-03-02T00:00:00Z (30 days, any event), 10 members (9 customers):'
	assert_line --partial '20                1/2 50.00%            1/1 100.00%           -50.00 pts (-90.55 to +39.10)   -50.0% (-87.5% to +99.9%)       0.3865'
	assert_line --regexp '^overall +4/7 57.14% +1/3 33.33% +\+23.81 pts'
}

@test "the start comes from the export's sidecar; without one --since is needed" {
	run -2 --separate-stderr aud-lift "$C" "$A"
	assert_equal "${stderr_lines[0]}" "aud-lift: --since is needed: no $C.json beside the export says when it was made"
	printf '{"tool":"aud-query","tool_version":"0.1.0","time":"2024-02-01T00:00:00Z","export":"c.csv"}\n' > "$C.json"
	run -0 bash -c "aud-lift '$C' '$A' | jq -c '.window.since'"
	assert_output '"2024-02-01T00:00:00Z"'
	printf '{"tool":"aud-query"}\n' > "$C.json"
	run -1 --separate-stderr aud-lift "$C" "$A"
	assert_equal "$stderr" "aud-lift: $C.json: no export time in the sidecar (give --since)"
}

@test "the whole loop: aud-query --holdout, then aud-lift on what followed" {
	# The category fixture's model, a campaign for 10 and 12, and outcomes
	# in which every member bought: conversion 1 in both groups.
	category_fixture --top-n 10
	aud-query -q -m "$M" -n 8 --holdout 50 --salt s \
		-o "$BATS_TEST_TMPDIR/camp.csv" 10 12
	{ echo customer_id,product_id,event,event_date
	  tail -n +2 "$BATS_TEST_TMPDIR/camp.csv" | awk -F, -v d="$(date -u -d tomorrow +%F)" '{ print $3 "," $1 ",purchased," d }'
	} > "$BATS_TEST_TMPDIR/after.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/after.aud" "$BATS_TEST_TMPDIR/after.csv"
	run -0 bash -c "aud-lift '$BATS_TEST_TMPDIR/camp.csv' '$BATS_TEST_TMPDIR/after.aud' | jq -c '[.members.pairs, .overall.target.members + .overall.control.members, .overall.target.rate, .overall.control.rate, .overall.difference, .overall.note]'"
	assert_output "[$(($(wc -l < "$BATS_TEST_TMPDIR/camp.csv") - 1)),$(($(wc -l < "$BATS_TEST_TMPDIR/camp.csv") - 1)),1,1,0,\"no variance: every member converted, or none did\"]"
}

@test "bad input: no group column, a bad group, no product id, wrong arguments" {
	printf 'product_id,customer_id\n10,1\n' > "$BATS_TEST_TMPDIR/x.csv"
	run -1 --separate-stderr aud-lift --since 2024-02-01 "$BATS_TEST_TMPDIR/x.csv" "$A"
	assert_equal "$stderr" "aud-lift: $BATS_TEST_TMPDIR/x.csv:1: no column \"group\": export the campaign with aud-query --holdout"
	printf 'product_id,customer_id,group\n10,1,maybe\n' > "$BATS_TEST_TMPDIR/x.csv"
	run -1 --separate-stderr aud-lift --since 2024-02-01 "$BATS_TEST_TMPDIR/x.csv" "$A"
	assert_equal "$stderr" "aud-lift: $BATS_TEST_TMPDIR/x.csv:2: group must be target or control, got \"maybe\""
	printf 'product_id,customer_id,group\n,1,target\n' > "$BATS_TEST_TMPDIR/x.csv"
	run -1 --separate-stderr aud-lift --since 2024-02-01 "$BATS_TEST_TMPDIR/x.csv" "$A"
	assert_equal "$stderr" "aud-lift: $BATS_TEST_TMPDIR/x.csv:2: no product id (a new product's audience is not measured by product)"
	run -1 aud-lift --since 2024-02-01 "$C" "$C"
	run -2 aud-lift --since 2024-02-01 "$C"
	run -2 aud-lift --since yesterday "$C" "$A"
	run -2 aud-lift --since 2024-02-01 --days 0 "$C" "$A"
	run -1 --separate-stderr aud-lift --since 2024-02-01 --event bought "$C" "$A"
	assert_equal "$stderr" "aud-lift: $A: no event \"bought\" in the data"
	# A pair listed twice is counted once.
	{ cat "$C"; echo '10,9,1,0.1,model,engagement,target'; } > "$BATS_TEST_TMPDIR/d.csv"
	run -0 bash -c "aud-lift --since 2024-02-01 '$BATS_TEST_TMPDIR/d.csv' '$A' | jq -c '.members'"
	assert_output '{"pairs":10,"distinct_customers":9,"duplicates":1,"in_both_groups":0}'
}
