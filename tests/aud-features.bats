#!/usr/bin/env bats
# aud-features: engagement features and scores per customer, figures per product.

setup() {
	load test_helper
	cd "$FIXTURES"
	rank_fixture
}

@test "--help and --version exit 0" {
	run -0 aud-features --help
	assert_line --partial "Usage: aud-features [options] [-o FEATURES] [--products PRODUCTS] [INTERACTIONS|-]"
	run -0 aud-features --version
	assert_output --regexp '^aud-features [0-9.]+$'
}

@test "features and scores match the hand computation" {
	# By hand (max = 2023-01-10): ranges total [1,2], unique [1,2], avg [2,5],
	# frequency [1,2], recency [0,9]; e.g. customer 1 engagement
	# 0.35 + 0.25 + 0.2 * 2/3 + 0.15 + 0.05 = 0.9333..., activity 2/(0+1).
	run -0 bash -c "aud-features '$I' | aud-cat --format csv"
	assert_output - <<'OUT'
customer_id,total_interactions,unique_products,total_score,avg_score,first,last,purchase_rate,days_active,interaction_frequency,recency_days,engagement_score,activity_score
3,1,1,3.0,3.0,2023-01-01T00:00:00Z,2023-01-01T00:00:00Z,0.0,1,1.0,9,0.06666666666666667,0.1
2,1,1,3.0,3.0,2023-01-09T00:00:00Z,2023-01-09T00:00:00Z,0.0,1,1.0,1,0.1111111111111111,0.5
1,2,2,8.0,4.0,2023-01-10T00:00:00Z,2023-01-10T00:00:00Z,0.5,1,2.0,0,0.9333333333333333,2.0
s1,1,1,5.0,5.0,2023-01-10T00:00:00Z,2023-01-10T00:00:00Z,1.0,1,1.0,0,0.25,1.0
4,1,1,2.0,2.0,2023-01-10T00:00:00Z,2023-01-10T00:00:00Z,0.0,1,1.0,0,0.05,1.0
OUT
}

@test "the header records the weights used" {
	run -0 bash -c "aud-features --weight cart=1 --score-weight total=1 --recent-days 7 '$I' | aud-cat -H"
	assert_output --partial '"event_weights":{"cart":1.0,"purchased":5.0,"wishlist":2.0}'
	assert_output --partial '"engagement_weights":{"total":1.0,"unique":0.25,"avg":0.2,"frequency":0.15,"recency":0.05}'
	assert_output --partial '"recent_days":7'
	assert_output --partial '"kind":"features"'
}

@test "--weight changes the scores" {
	# With cart = 5 every row weighs 5 but the wishlist (2): customer 2's
	# average rises from 3 to 5, the top of the range.
	run -0 bash -c "aud-features --weight cart=5 '$I' | aud-cat --format csv | grep '^2,'"
	assert_output "2,1,1,5.0,5.0,2023-01-09T00:00:00Z,2023-01-09T00:00:00Z,0.0,1,1.0,1,0.24444444444444446,0.5"
}

@test "a column that does not vary normalises to 0.5" {
	printf 'customer_id,product_id,event,event_date\n1,10,cart,2023-01-01\n2,11,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/flat.csv"
	run -0 bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/flat.csv' | aud-features | aud-cat --format csv | cut -d, -f1,12"
	# 0.35*.5 + 0.25*.5 + 0.2*.5 + 0.15*.5 + 0.05*(1-.5) = 0.5
	assert_output - <<'OUT'
customer_id,engagement_score
1,0.5
2,0.5
OUT
}

@test "--products writes per-product figures" {
	run -0 aud-features --products "$BATS_TEST_TMPDIR/p.aud" -o "$BATS_TEST_TMPDIR/f.aud" "$I"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/p.aud"
	# product 10: 2 customers, 2 rows, 1 purchase, 1 cart: conversion 1,
	# popularity 2 * (1 + 1) / (1 + 2) = 1.333...
	assert_output - <<'OUT'
product_id,customers,rows,purchases,carts,conversion,popularity,product_name
12,2,2,0,1,0.0,0.6666666666666666,
10,2,2,1,1,1.0,1.3333333333333333,
11,2,2,1,1,1.0,1.3333333333333333,
OUT
}

@test "--text shows the distribution and the top customers" {
	run -0 aud-features --text "$I"
	assert_line --index 0 "5 customers, 6 interactions, latest 2023-01-10T00:00:00Z"
	assert_line "engagement     0.0500    0.0667    0.1111    0.2500    0.6600    0.9060    0.9333"
	assert_line --regexp '^   1  1 +0\.9333 +2\.0000 +2 +2 +0  2023-01-10T00:00:00Z$'
	assert_line --regexp '^   2  s1 +0\.2500 '
}

@test "a stream of another kind is refused in one line" {
	aud-features -o "$BATS_TEST_TMPDIR/f.aud" "$I"
	run -1 --separate-stderr aud-features "$BATS_TEST_TMPDIR/f.aud"
	assert_equal "$stderr" "aud-features: $BATS_TEST_TMPDIR/f.aud: a stream of features, expected interactions"
}

@test "an empty interactions stream is an error, not an empty features stream" {
	head -n 1 rank.csv > "$BATS_TEST_TMPDIR/h.csv"
	run -1 --separate-stderr bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/h.csv' | aud-features"
	assert_equal "$stderr" "aud-features: stdin: no interactions to compute features from"
	assert_equal "$output" ""
}

@test "bad options are usage errors" {
	run -2 --separate-stderr aud-features --weight cart "$I"
	assert_equal "${stderr_lines[0]}" 'aud-features: --weight: expected EVENT=W with W >= 0, got "cart"'
	run -2 --separate-stderr aud-features --score-weight speed=1 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-features: --score-weight: no part "speed" (total, unique, avg, frequency, recency)'
	run -2 aud-features --recent-days 0 "$I"
	run -2 aud-features --weight cart=-1 "$I"
}
