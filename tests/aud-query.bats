#!/usr/bin/env bats
# aud-query: audiences out of a model.

setup() {
	load test_helper
	cd "$FIXTURES"
	rank_fixture 3
}

@test "--help and --version exit 0" {
	run -0 aud-query --help
	assert_line --partial "Usage: aud-query -m MODEL"
	run -0 aud-query --version
	assert_output --regexp '^aud-query [0-9.]+$'
}

@test "products from the arguments, an unknown one served the fallback" {
	run -0 aud-query -m "$M" -n 2 10 99
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
10,1,s1,0.25,model,engagement
10,2,3,0.06666666666666667,model,engagement
99,1,1,0.9333333333333333,fallback,engagement
99,2,s1,0.25,fallback,engagement
OUT
}

@test "products from standard input, as TSV" {
	run -0 bash -c "printf '11\r\n12\n' | aud-query -m '$M' -n 1 --format tsv"
	assert_output "$(printf 'product_id\trank\tcustomer_id\tscore\tsource\treason\n11\t1\t2\t0.1111111111111111\tmodel\tengagement\n12\t1\t1\t0.9333333333333333\tmodel\tengagement')"
}

@test "JSON lines in the shape of the HTTP API" {
	run -0 aud-query -m "$M" -n 2 --format jsonl 12 7
	assert_output - <<'OUT'
{"product_id":12,"product_name":null,"recommendations":[{"customer_id":1,"score":0.9333333333333333,"rank":1,"reason":{"kind":"engagement"}},{"customer_id":"s1","score":0.25,"rank":2,"reason":{"kind":"engagement"}}],"count":2,"note":"the top customers who have not interacted with this product, by engagement score"}
{"product_id":7,"product_name":null,"recommendations":[{"customer_id":1,"score":0.9333333333333333,"rank":1,"reason":{"kind":"engagement"}},{"customer_id":"s1","score":0.25,"rank":2,"reason":{"kind":"engagement"}}],"count":2,"note":"new product: not in the model, so it is served the cold-start list, the top customers overall, by engagement score"}
OUT
}

@test "msgpack is a targets record stream, the CSV's rows as records" {
	aud-query -m "$M" -n 2 --format msgpack -o "$BATS_TEST_TMPDIR/t.aud" 10 99
	run -0 aud-cat "$BATS_TEST_TMPDIR/t.aud"
	assert_output - <<'OUT'
{"product_id":10,"rank":1,"customer_id":"s1","score":0.25,"source":"model","reason":"engagement"}
{"product_id":10,"rank":2,"customer_id":3,"score":0.06666666666666667,"source":"model","reason":"engagement"}
{"product_id":99,"rank":1,"customer_id":1,"score":0.9333333333333333,"source":"fallback","reason":"engagement"}
{"product_id":99,"rank":2,"customer_id":"s1","score":0.25,"source":"fallback","reason":"engagement"}
OUT
	run -0 bash -c "aud-cat -H '$BATS_TEST_TMPDIR/t.aud' | grep -o '\"kind\":\"targets\",\"fields\":\[[^]]*\]'"
	assert_output '"kind":"targets","fields":["product_id","rank","customer_id","score","source","reason"]'
	run -0 bash -c "aud-query -m '$M' --all --format msgpack | aud-cat --format csv"
	assert_equal "$output" "$(aud-query -m "$M" --all)"
}

@test "--info prints the metadata" {
	run -0 aud-query -m "$M" --info
	assert_output --partial '{"score":"engagement","top_n":3,"customers":5,"products":3,'
}

@test "a malformed id, -n 0 or -n above the model's N are errors" {
	run -1 --separate-stderr aud-query -m "$M" abc
	assert_equal "$stderr" 'aud-query: argument: malformed product id "abc": this model'"'"'s product ids are integers'
	run -1 --separate-stderr bash -c "printf '10\n\n' | aud-query -m '$M'"
	assert_equal "$stderr" "aud-query: stdin:2: empty or malformed product id"
	run -2 --separate-stderr aud-query -m "$M" -n 0 10
	assert_equal "${stderr_lines[0]}" 'aud-query: -n: expected a whole number from 1, got "0"'
	run -2 --separate-stderr aud-query -m "$M" -n 4 10
	assert_equal "$stderr" "aud-query: -n: this model holds 3 customers per product, not 4"
}

@test "a model that is not one, or truncated, is refused" {
	run -1 --separate-stderr aud-query -m "$I" 10
	assert_equal "$stderr" "aud-query: $BATS_TEST_TMPDIR/rank.aud: a stream of interactions, expected audiences"
	head -c -5 "$M" > "$BATS_TEST_TMPDIR/cut.aud"
	run -1 --separate-stderr aud-query -m "$BATS_TEST_TMPDIR/cut.aud" 10
	assert_equal "$stderr" "aud-query: $BATS_TEST_TMPDIR/cut.aud: not a usable model: no index at its end (truncated?)"
}

@test "a closed pipe ends quietly" {
	run -0 --separate-stderr bash -c "aud-query -m '$M' --all | head -n 1"
	assert_equal "$stderr" ""
}

@test "--format text is for reading" {
	run -0 aud-query -m "$M" -n 2 --format text 12 5
	assert_output - <<'OUT'
product 12:
   1. customer 1  score 0.933333  (engagement)
   2. customer s1  score 0.250000  (engagement)
product 5 (not in the model: the cold-start list):
   1. customer 1  score 0.933333  (engagement)
   2. customer s1  score 0.250000  (engagement)
OUT
}
