#!/usr/bin/env bats
# aud-explore: the profile of an interactions stream, in JSON or in words.

setup() {
	load test_helper
	cd "$FIXTURES"
	E=$BATS_TEST_TMPDIR/explore.aud
	prepare_to explore.aud explore.csv
}

@test "--help and --version exit 0" {
	run -0 aud-explore --help
	assert_line "Usage: aud-explore [--text] [--split-quantile Q] [-o FILE] [INTERACTIONS|-]"
	run -0 aud-explore --version
	assert_output --regexp '^aud-explore [0-9.]+$'
}

@test "every figure matches the hand computation" {
	# 12 rows, 6 customers, 6 products: sparsity 1 - 12/36. The 0.8 quantile
	# sits at position 0.8 * 11 = 8.8: 2023-01-06T00:00 + 0.8 day = 19:12.
	# Early (rows 1-9) customers 1-5, late 1, 2, 6: 2 return, 40%. Rows per
	# customer 4, 2, 3, 1, 1, 1: median 1.5, written as its integer part.
	# Early products 10-13, late 10, 14, 15: 14 and 15 are new, 66.67%.
	run -0 aud-explore "$E"
	assert_output '{"total_interactions":12,"unique_users":6,"unique_products":6,"date_range":{"start":"2023-01-01T00:00:00Z","end":"2023-01-08T12:00:00Z"},"sparsity":0.666667,"user_retention":{"split_quantile":0.8,"split_time":"2023-01-06T19:12:00Z","early_period_users":5,"late_period_users":3,"returning_users":2,"retention_rate_pct":40.00},"user_behavior":{"median_interactions_per_user":1,"mean_interactions_per_user":2.00,"one_time_users_pct":50.00,"low_activity_users_pct":50.00,"power_users_pct":0.00},"product_churn":{"early_period_products":4,"late_period_products":3,"new_products_in_test":2,"new_products_pct":66.67},"event_distribution":{"counts":{"cart":6,"purchased":3,"rating":1,"search_keyword":1,"wishlist":1},"percentages":{"cart":50.00,"purchased":25.00,"rating":8.33,"search_keyword":8.33,"wishlist":8.33}},"daily_activity":[{"date":"2023-01-01","interactions":2,"active_users":2,"new_users":2},{"date":"2023-01-02","interactions":2,"active_users":2,"new_users":1},{"date":"2023-01-03","interactions":1,"active_users":1,"new_users":0},{"date":"2023-01-04","interactions":1,"active_users":1,"new_users":1},{"date":"2023-01-05","interactions":2,"active_users":2,"new_users":0},{"date":"2023-01-06","interactions":1,"active_users":1,"new_users":1},{"date":"2023-01-07","interactions":1,"active_users":1,"new_users":0},{"date":"2023-01-08","interactions":2,"active_users":2,"new_users":1}],"interactions_per_user":[{"interactions":1,"users":3},{"interactions":2,"users":1},{"interactions":3,"users":1},{"interactions":4,"users":1}]}'
}

@test "the output is valid JSON" {
	command -v jq >/dev/null || skip "jq is not installed"
	run -0 bash -c "aud-explore '$E' | jq -c '.user_retention.retention_rate_pct, (.daily_activity | length)'"
	assert_output $'40\n8'
}

@test "--split-quantile moves the split" {
	# 0.5 * 11 = 5.5: halfway between rows 6 and 7, 2023-01-04T12:00. Early
	# customers 1-4, late 1, 2, 3, 5, 6: 3 of 4 return.
	run -0 bash -c "aud-explore --split-quantile 0.5 '$E' | grep -o '\"user_retention\":{[^}]*}'"
	assert_output '"user_retention":{"split_quantile":0.5,"split_time":"2023-01-04T12:00:00Z","early_period_users":4,"late_period_users":5,"returning_users":3,"retention_rate_pct":75.00}'
}

@test "a split exactly on an event puts that event late" {
	# Eleven rows: 0.8 * 10 = 8, the ninth row's own time.
	head -n 12 explore.csv > "$BATS_TEST_TMPDIR/e11.csv"
	run -0 bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/e11.csv' | aud-explore | grep -o '\"split_time\":\"[^\"]*\",\"early_period_users\":[0-9]*'"
	assert_output '"split_time":"2023-01-06T00:00:00Z","early_period_users":4'
}

@test "--text states the findings in words, with the threshold" {
	run -0 aud-explore --text "$E"
	assert_output - <<'OUT'
Interactions  12, from 2023-01-01T00:00:00Z to 2023-01-08T12:00:00Z, on 8 days
Customers     6: 50.00% once, 50.00% 2 to 5 times, 0.00% more (median 1, mean 2.00)
Products      6; sparsity 0.666667
Events        cart 50.00%, purchased 25.00%, rating 8.33%, search_keyword 8.33%, wishlist 8.33%
Split         at 2023-01-06T19:12:00Z (the 0.8 quantile of the times)
Retention     2 of 5 early customers came back: 40.00%
New products  2 of 3 late products: 66.67%

Findings
- Retention is 40.00%, at least 10%: enough customers come back that collaborative filtering may work; aud-cf-check measures whether it does.
- 50.00% of customers interacted once: for them there is a single data point.
- 66.67% of the products active after the split are new: most of them start cold.
OUT
}

@test "--text says when retention is too low for collaborative filtering" {
	run -0 bash -c "aud-prepare -q '$AUD_ROOT/data/sample.csv' | aud-explore --text"
	assert_line --partial "- Retention is 2.98%, below 10%: too few customers come back for collaborative filtering to learn from; it is unlikely to work here"
	assert_line "- 88.72% of customers interacted once: for most of them there is a single data point."
}

@test "one customer and one product are profiled, not refused" {
	printf 'customer_id,product_id,event,event_date\n7,70,cart,2023-01-01\n7,70,purchased,2023-01-02\n' > "$BATS_TEST_TMPDIR/one.csv"
	run -0 bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/one.csv' | aud-explore | grep -o '\"unique_users\":1,\"unique_products\":1,.*\"sparsity\":-1.000000'"
}

@test "-o writes the file atomically and stdin works" {
	run -0 aud-explore -o "$BATS_TEST_TMPDIR/stats.json" - < "$E"
	assert_output ""
	run -0 grep -c '"total_interactions":12' "$BATS_TEST_TMPDIR/stats.json"
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "an empty stream is an error" {
	head -n 1 explore.csv > "$BATS_TEST_TMPDIR/h.csv"
	prepare_to empty.aud "$BATS_TEST_TMPDIR/h.csv"
	run -1 --separate-stderr aud-explore -o "$BATS_TEST_TMPDIR/out.json" "$BATS_TEST_TMPDIR/empty.aud"
	assert_equal "$stderr" "aud-explore: $BATS_TEST_TMPDIR/empty.aud: no interactions to profile"
	[ ! -e "$BATS_TEST_TMPDIR/out.json" ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a stream of another kind is refused in one line" {
	aud-features -o "$BATS_TEST_TMPDIR/f.aud" "$E"
	run -1 --separate-stderr aud-explore "$BATS_TEST_TMPDIR/f.aud"
	assert_equal "$stderr" "aud-explore: $BATS_TEST_TMPDIR/f.aud: a stream of features, expected interactions"
}

@test "CSV instead of a stream is refused" {
	run -1 --separate-stderr aud-explore explore.csv
	assert_output ""
	assert [ "${#stderr_lines[@]}" -eq 1 ]
	assert_regex "$stderr" '^aud-explore: explore.csv: '
}

@test "bad options are usage errors" {
	run -2 --separate-stderr aud-explore --split-quantile 1 "$E"
	assert_equal "${stderr_lines[0]}" 'aud-explore: --split-quantile: expected 0.01 to 0.99, got "1"'
	assert_equal "${stderr_lines[2]}" "Try 'aud-explore --help' for more information."
	run -2 aud-explore --nope "$E"
	run -2 aud-explore "$E" "$E"
}

# pandas_check INTERACTIONS: aud-explore's figures recomputed by pandas.
pandas_check() {
	/usr/bin/python3 -c 'import pandas' 2>/dev/null || skip "python3-pandas is not installed"
	aud-explore -o "$BATS_TEST_TMPDIR/stats.json" "$1"
	run -0 bash -c "aud-cat '$1' | '$AUD_ROOT/analysis/verify_explore.py' '$BATS_TEST_TMPDIR/stats.json'"
	assert_output --regexp '^[0-9]+ figures compared, 0 differ$'
}

@test "the sample data's figures match an independent pandas computation" {
	prepare_to sample.aud "$AUD_ROOT/data/sample.csv"
	pandas_check "$BATS_TEST_TMPDIR/sample.aud"
}

@test "the Online Retail figures match an independent pandas computation" {
	local csv="$SHARED_DATA/online-retail/online_retail.csv"
	[ -r "$csv" ] || skip "$csv is not here"
	prepare_to retail.aud --customer-col CustomerID --product-col StockCode \
		--time-col InvoiceDate --name-col Description --event-value purchased "$csv"
	pandas_check "$BATS_TEST_TMPDIR/retail.aud"
}
