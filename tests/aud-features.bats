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

# The BG/NBD paper's figures on its own data (Fader, Hardie & Lee 2005,
# section 7): the CDNOW sample, a constant product, weeks, calibration to
# 1997-09-30.
cdnow_features() {
	local dir="$SHARED_DATA/cdnow"
	[ -r "$dir/CDNOW_sample.txt" ] || skip "$dir is not here"
	awk '{ print $2 ",1," $3 }' "$dir/CDNOW_sample.txt" > "$BATS_TEST_TMPDIR/cd.csv"
	aud-prepare -q --no-header --customer-col 1 --product-col 2 --time-col 3 \
		--time-format '%Y%m%d' --event-value purchased --bot-threshold 0 \
		-o "$BATS_TEST_TMPDIR/cd.aud" "$BATS_TEST_TMPDIR/cd.csv"
	aud-features --return-model "$1" --calibration-end 1997-09-30T00:00:00Z \
		--period-days 7 --horizon 39 -o "$BATS_TEST_TMPDIR/cdf.aud" "$BATS_TEST_TMPDIR/cd.aud"
}

@test "BG/NBD on CDNOW: r, alpha, a, b and the log-likelihood as published" {
	cdnow_features bgnbd
	command -v jq > /dev/null || skip "jq is not installed"
	run -0 bash -c "aud-cat -H '$BATS_TEST_TMPDIR/cdf.aud' | jq -r '.provenance.return_model |
		[(.r*1000|round/1000), (.alpha*1000|round/1000), (.a*1000|round/1000),
		 (.b*1000|round/1000), (.log_likelihood*10|round/10), .customers, .converged] | @csv'"
	assert_output "0.243,4.414,0.793,2.426,-9582.4,2357,true"
	# The standard errors of the observed information, as the lifetimes
	# package's BetaGeoFitter reports them on the same data (0.012557,
	# 0.378221, 0.185719, 0.705345), to the third decimal (the Hessian is
	# by central differences).
	run -0 bash -c "aud-cat -H '$BATS_TEST_TMPDIR/cdf.aud' | jq -r '.provenance.return_model.standard_errors |
		[(.r*1000|round/1000), (.alpha*1000|round/1000), (.a*1000|round/1000),
		 (.b*1000|round/1000)] | @csv'"
	assert_output "0.013,0.378,0.186,0.705"
}

@test "BG/NBD on CDNOW: customer 1's E[Y(39)] is 1.226; x, t_x, T are the summary file's" {
	cdnow_features bgnbd
	aud-cat -F csv "$BATS_TEST_TMPDIR/cdf.aud" > "$BATS_TEST_TMPDIR/cdf.csv"
	run -0 awk -F, 'NR == 2 { printf "%s %.0f %.2f %.2f %.3f\n", $1, $14, $15, $16, $18 }' "$BATS_TEST_TMPDIR/cdf.csv"
	assert_output "0001 2 30.43 38.86 1.226"
	# Every customer against the published summary, to its two decimals.
	run -0 awk -F, 'NR == FNR { if (FNR > 1) want[$1 + 0] = sprintf("%d %.2f %.2f", $2, $3, $4); next }
		FNR > 1 { got = sprintf("%d %.2f %.2f", $14, $15, $16); n++
			if (want[$1 + 0] != got) { bad++; if (bad < 4) print $1 ": " got " vs " want[$1 + 0] } }
		END { print n " customers, " bad + 0 " differ" }' \
		"$SHARED_DATA/cdnow/cdnow_customers_summary.csv" "$BATS_TEST_TMPDIR/cdf.csv"
	assert_output "2357 customers, 0 differ"
}

@test "MBG/NBD on CDNOW: a one-time buyer is not certainly alive" {
	cdnow_features mbgnbd
	run -0 bash -c "aud-cat -F csv '$BATS_TEST_TMPDIR/cdf.aud' | awk -F, 'NR > 1 && \$14 == 0 { if (\$17 >= 1) bad++; n++ } END { print n, bad + 0 }'"
	assert_output "1411 0"
}

@test "the return model: degenerate data is a clear error, never a NaN" {
	printf 'customer_id,product_id,event,event_date\n1,2,purchased,2023-01-01\n2,2,purchased,2023-01-02\n' > "$BATS_TEST_TMPDIR/once.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/once.aud" "$BATS_TEST_TMPDIR/once.csv"
	run -1 --separate-stderr aud-features --return-model bgnbd -o "$BATS_TEST_TMPDIR/rf.aud" "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "$stderr" "aud-features: $BATS_TEST_TMPDIR/once.aud: no customer bought again: the return model has no maximum to fit"
	[ ! -e "$BATS_TEST_TMPDIR/rf.aud" ]
	run -1 --separate-stderr aud-features --return-model bgnbd --calibration-end 2022-01-01T00:00:00Z "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "$stderr" "aud-features: $BATS_TEST_TMPDIR/once.aud: no purchase by the calibration end: nothing to fit the return model to"
	run -1 --separate-stderr aud-features --return-model bgnbd --return-event cart "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "$stderr" "aud-features: $BATS_TEST_TMPDIR/once.aud: --return-event: no event \"cart\" in the data"
	printf 'customer_id,product_id,event,event_date\n1,2,purchased,2023-01-01\n1,2,purchased,2023-01-15\n1,3,purchased,2023-02-01\n' > "$BATS_TEST_TMPDIR/one.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/one.aud" "$BATS_TEST_TMPDIR/one.csv"
	run -1 --separate-stderr aud-features --return-model mbgnbd "$BATS_TEST_TMPDIR/one.aud"
	assert_regex "$stderr" "^aud-features: $BATS_TEST_TMPDIR/one.aud: (the fit \\(.*\\) gives no usable scores: 1 customer is too few to fit|the return model's optimiser did not converge in [0-9]+ iterations \\(--allow-unconverged keeps the fit\\))\$"
	run -1 --separate-stderr aud-features --return-model mbgnbd --allow-unconverged "$BATS_TEST_TMPDIR/one.aud"
	assert_regex "$stderr" "gives no usable scores: 1 customer is too few to fit\$"
	# A customer's days are counted in 21 bits: rows 7,999 years apart are refused.
	printf 'customer_id,product_id,event,event_date\n1,2,purchased,0001-01-01\n1,2,purchased,0001-02-01\n2,2,purchased,9999-01-02\n' > "$BATS_TEST_TMPDIR/span.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/span.aud" "$BATS_TEST_TMPDIR/span.csv"
	run -1 --separate-stderr aud-features --return-model bgnbd "$BATS_TEST_TMPDIR/span.aud"
	assert_equal "$stderr" "aud-features: $BATS_TEST_TMPDIR/span.aud: the rows span more than 2097150 days: more than the return model counts in"
	run -2 --separate-stderr aud-features --return-model bgnbd --period-days 0 "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "${stderr_lines[0]}" 'aud-features: --period-days: expected a number of days from 0.001 to 36500, got "0"'
	run -2 --separate-stderr aud-features --return-model pareto "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "${stderr_lines[0]}" 'aud-features: --return-model: expected bgnbd or mbgnbd, got "pareto"'
	run -2 --separate-stderr aud-features --horizon 3 --calibration-end 2023-01-01 "$BATS_TEST_TMPDIR/once.aud"
	assert_equal "${stderr_lines[0]}" 'aud-features: --calibration-end, --return-event and --allow-unconverged need --return-model'
}

@test "--return-event counts only that event's days as purchases" {
	# Customer 1: purchases on days 1 and 10, a cart on day 5; customer 2
	# buys on days 1 and 3. With every event, 1 has two repeat days.
	printf 'customer_id,product_id,event,event_date\n1,2,purchased,2023-01-01\n1,3,cart,2023-01-05\n1,4,purchased,2023-01-10\n2,2,purchased,2023-01-01\n2,3,purchased,2023-01-03\n3,2,purchased,2023-01-02\n' > "$BATS_TEST_TMPDIR/ev.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/ev.aud" "$BATS_TEST_TMPDIR/ev.csv"
	run -0 bash -c "aud-features --return-model bgnbd --period-days 1 --allow-unconverged '$BATS_TEST_TMPDIR/ev.aud' 2>/dev/null | aud-cat -F csv | awk -F, 'NR > 1 { print \$1, \$14, \$15, \$16 }'"
	assert_output $'1 2.0 9.0 9.0\n2 1.0 2.0 9.0\n3 0.0 0.0 8.0'
	run -0 bash -c "aud-features --return-model bgnbd --period-days 1 --return-event purchased --allow-unconverged '$BATS_TEST_TMPDIR/ev.aud' 2>/dev/null | aud-cat -F csv | awk -F, 'NR > 1 { print \$1, \$14, \$15, \$16 }'"
	assert_output $'1 1.0 9.0 9.0\n2 1.0 2.0 9.0\n3 0.0 0.0 8.0'
}
