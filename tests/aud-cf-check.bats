#!/usr/bin/env bats
# aud-cf-check: implicit ALS on a temporal split against simple baselines.

setup() {
	load test_helper
	cd "$FIXTURES"
	P=$BATS_TEST_TMPDIR/planted.aud
	prepare_to planted.aud planted.csv
	# planted.csv: customers 1-30 touch only products 101-110, customers
	# 31-60 only 201-210; each touches five of its group's products in
	# January (the training half) and the other five in February. Every
	# product thus has 15 training customers, and its 15 other group members
	# are exactly the customers who come to it later.
	PLANTED="--factors 2 --train-fraction 0.5 --k 5 --k 15"
}

# cf FILTER: the JSON of aud-cf-check on the planted data, through jq.
cf() {
	aud-cf-check -q $PLANTED "$P" | jq -c "$1"
}

@test "--help and --version exit 0" {
	run -0 aud-cf-check --help
	assert_line "Usage: aud-cf-check [options] [-o FILE] [INTERACTIONS|-]"
	run -0 aud-cf-check --version
	assert_output --regexp '^aud-cf-check [0-9.]+$'
}

@test "the data's shape and the split are reported" {
	# 600 rows, 300 train; 60 customers x 20 products with 300 cells.
	run -0 cf '.data'
	assert_output '{"rows":600,"train_rows":300,"test_rows":300,"split_time":"2023-02-01T00:00:00Z","train_customers":60,"train_products":20,"train_nonzeros":300,"train_sparsity":0.75,"test_customers":60,"returning_customers":60}'
	run -0 cf '.products'
	assert_output '{"evaluable":20,"evaluated":20,"with_relevant":20}'
	run -0 cf '.config'
	assert_output '{"model":"implicit_als_cg","factors":2,"iterations":15,"regularization":0.01,"alpha":1,"cg_steps":3,"threads":2,"seed":1,"train_fraction":0.5,"sample":1000,"k":[5,15]}'
}

@test "ALS recovers the planted groups; random and activity do not" {
	# Two factors hold the two groups. ALS targets a product's own group:
	# precision 1 at 5 and 15, recall 5/15 and 1. Random picks k of the 45
	# eligible, 15 of them relevant: precision 1/3, recall k/45. Activity
	# ties everywhere, so ids decide: customers from 1 up for every product,
	# right for group one only: 0.5, recall (k/15) / 2.
	run -0 cf '.metrics | map_values(map_values(map_values(. * 1e6 | round)))'
	assert_output '{"als":{"5":{"precision":1000000,"recall":333333},"15":{"precision":1000000,"recall":1000000}},"random":{"5":{"precision":333333,"recall":111111},"15":{"precision":333333,"recall":333333}},"most_active":{"5":{"precision":500000,"recall":166667},"15":{"precision":500000,"recall":500000}},"popularity":{"5":{"precision":500000,"recall":166667},"15":{"precision":500000,"recall":500000}}}'
	run -0 cf '.conclusion'
	assert_output '"ALS beats random targeting (precision@5 1 against 0.3333, 3.00x) and the most active customers (0.5, 2.00x): collaborative filtering works on this data"'
}

@test "the training loss falls at every iteration" {
	run -0 cf '.training.loss | . as $l | [range(1; length) | $l[.] < $l[. - 1]] | all'
	assert_output true
	run -0 cf '.training.loss | length'
	assert_output 15
}

@test "the loss goes to stderr, one line an iteration, and -q silences it" {
	run -0 --separate-stderr aud-cf-check $PLANTED --iterations 3 -o "$BATS_TEST_TMPDIR/m.json" "$P"
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 4
	assert_regex "${stderr_lines[0]}" '^aud-cf-check: iteration 1/3: loss [0-9.e-]+ \([0-9.]+ s\)$'
	assert_regex "${stderr_lines[3]}" '^aud-cf-check: 3 iterations in [0-9.]+ s \([0-9.]+ s each\); 20 products evaluated in [0-9.]+ s$'
	run -0 --separate-stderr aud-cf-check -q $PLANTED "$P"
	assert_equal "$stderr" ""
}

@test "results do not depend on the number of threads" {
	a=$(aud-cf-check -q $PLANTED --threads 1 "$P" | jq -c 'del(.config.threads)')
	b=$(aud-cf-check -q $PLANTED --threads 3 "$P" | jq -c 'del(.config.threads)')
	assert_equal "$a" "$b"
}

@test "--sample evaluates a seeded sample of the products" {
	run -0 cf '.products'
	aud-cf-check -q $PLANTED --sample 7 "$P" > "$BATS_TEST_TMPDIR/a.json"
	aud-cf-check -q $PLANTED --sample 7 "$P" > "$BATS_TEST_TMPDIR/b.json"
	run -0 jq -c '.products' "$BATS_TEST_TMPDIR/a.json"
	assert_output '{"evaluable":20,"evaluated":7,"with_relevant":7}'
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "too many factors for the data overfit, and the conclusion says so" {
	# 50 factors on 60 customers memorise the training cells.
	run -0 bash -c "aud-cf-check -q --train-fraction 0.5 --k 5 '$P' | jq -r .conclusion"
	assert_output --regexp '^ALS beats random targeting \(precision@5 0\.[0-9]+ against 0\.3333, [0-9.]+x\)'
	refute_output --partial "1 against"
}

@test "one customer: nothing to find, said in words" {
	# Four rows train; the fifth, in test, is product 71, which 7 had.
	printf 'customer_id,product_id,event,event_date\n7,70,cart,2023-01-01\n7,71,cart,2023-01-02\n7,70,purchased,2023-01-03\n7,70,rating,2023-01-04\n7,71,cart,2023-01-05\n' > "$BATS_TEST_TMPDIR/one.csv"
	run -0 bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/one.csv' | aud-cf-check -q --factors 2 | jq -c '[.products, .conclusion]'"
	assert_output '[{"evaluable":1,"evaluated":1,"with_relevant":0},"no evaluated product gains a customer from the training period after the split: no method can find anyone, collaborative filtering included"]'
}

@test "one product: evaluated, no crash" {
	printf 'customer_id,product_id,event,event_date\n1,70,cart,2023-01-01\n2,70,cart,2023-01-02\n3,70,cart,2023-01-03\n4,70,cart,2023-01-04\n5,70,cart,2023-01-05\n' > "$BATS_TEST_TMPDIR/p1.csv"
	run -0 bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/p1.csv' | aud-cf-check -q | jq -c '.data.train_products, .products.evaluable'"
	assert_output $'1\n1'
}

@test "an empty stream is an error, and no file is written" {
	head -n 1 planted.csv > "$BATS_TEST_TMPDIR/h.csv"
	prepare_to empty.aud "$BATS_TEST_TMPDIR/h.csv"
	run -1 --separate-stderr aud-cf-check -o "$BATS_TEST_TMPDIR/out.json" "$BATS_TEST_TMPDIR/empty.aud"
	assert_equal "$stderr" "aud-cf-check: $BATS_TEST_TMPDIR/empty.aud: no interactions to check"
	[ ! -e "$BATS_TEST_TMPDIR/out.json" ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a stream of another kind is refused in one line" {
	aud-features -o "$BATS_TEST_TMPDIR/f.aud" "$P"
	run -1 --separate-stderr aud-cf-check "$BATS_TEST_TMPDIR/f.aud"
	assert_equal "$stderr" "aud-cf-check: $BATS_TEST_TMPDIR/f.aud: a stream of features, expected interactions"
}

@test "bad numbers are usage errors" {
	run -2 --separate-stderr aud-cf-check --k 0 "$P"
	assert_equal "${stderr_lines[0]}" 'aud-cf-check: --k: expected 1 to 10000, at most 8 times, got "0"'
	run -2 --separate-stderr aud-cf-check --k 5 --k 10 --k 5 "$P"
	assert_equal "${stderr_lines[0]}" 'aud-cf-check: --k: 5 given twice'
	run -2 --separate-stderr aud-rank --eval --k 5 --k 5 "$P"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --k: 5 given twice'
	run -2 --separate-stderr aud-cf-check --factors 0 "$P"
	assert_equal "${stderr_lines[0]}" 'aud-cf-check: --factors: expected 1 to 1024, got "0"'
	assert_equal "${stderr_lines[2]}" "Try 'aud-cf-check --help' for more information."
	run -2 aud-cf-check --iterations -1 "$P"
	run -2 aud-cf-check --alpha x "$P"
	run -2 aud-cf-check --threads 0 "$P"
	run -2 aud-cf-check --train-fraction 1 "$P"
	run -2 aud-cf-check --sample -5 "$P"
}
