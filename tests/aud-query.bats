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

@test "products from the arguments, an unknown one served the fallback and counted" {
	run -0 --separate-stderr aud-query -m "$M" -n 2 10 99
	assert_equal "$stderr" 'aud-query: 1 of 2 products is not in the model: given the cold-start list (first: "99", argument 2)'
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
	run -0 aud-query -q -m "$M" -n 2 --format jsonl 12 7
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
	assert_output --partial '{"score":"engagement","top_n":3,"depth":9,"customers":5,"products":3,'
}

@test "a malformed id, -n 0 or -n above the model's N are errors" {
	run -1 --separate-stderr aud-query -m "$M" abc
	assert_equal "$stderr" 'aud-query: argument 1: malformed product id "abc": this model'"'"'s product ids are integers'
	run -1 --separate-stderr aud-query -m "$M" 10 ''
	assert_equal "$stderr" "aud-query: argument 2: empty product id"
	run -2 --separate-stderr aud-query -m "$M" -n 0 10
	assert_equal "${stderr_lines[0]}" 'aud-query: -n: expected a whole number from 1, got "0"'
	# --top-n 3 holds 9 (--depth, 3 N by default) for campaign exports.
	run -2 --separate-stderr aud-query -m "$M" -n 10 10
	assert_equal "$stderr" "aud-query: -n: this model holds 9 customers per product, not 10"
}

@test "stdin: blanks and blank lines are ignored, --header skips a first line" {
	run -0 --separate-stderr bash -c "printf 'product_id\r\n 10 \r\n\n\t\n12\t\n' | aud-query -m '$M' -n 1 --header"
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
10,1,s1,0.25,model,engagement
12,1,1,0.9333333333333333,model,engagement
OUT
	run -1 --separate-stderr bash -c "printf 'product_id\n10\n' | aud-query -m '$M' -n 1"
	assert_equal "$stderr" 'aud-query: stdin:1: malformed product id "product_id": this model'"'"'s product ids are integers'
	assert_equal "$output" ""
	run -2 --separate-stderr aud-query -m "$M" --header 10
	assert_equal "${stderr_lines[0]}" "aud-query: --header is for products on standard input or in --products"
}

@test "every product is checked before anything is written" {
	run -1 --separate-stderr bash -c "printf '10\n11\nx\n' | aud-query -m '$M' -o '$BATS_TEST_TMPDIR/out.csv'"
	assert_equal "$stderr" 'aud-query: stdin:3: malformed product id "x": this model'"'"'s product ids are integers'
	[ ! -e "$BATS_TEST_TMPDIR/out.csv" ]
	run -1 --separate-stderr bash -c "printf '10\n11\nx\n' | aud-query -m '$M'"
	assert_equal "$output" ""
}

@test "--no-fallback: a product the model does not have is exit 1 naming it" {
	run -1 --separate-stderr aud-query -m "$M" --no-fallback 10 85123a
	assert_equal "$stderr" 'aud-query: argument 2: malformed product id "85123a": this model'"'"'s product ids are integers'
	run -1 --separate-stderr bash -c "printf '10\n99\n' | aud-query -m '$M' --no-fallback"
	assert_equal "$stderr" 'aud-query: stdin:2: product "99" is not in the model (--no-fallback)'
	assert_equal "$output" ""
	run -0 --separate-stderr aud-query -m "$M" --no-fallback -n 1 10
	assert_equal "$stderr" ""
	assert_output $'product_id,rank,customer_id,score,source,reason\n10,1,s1,0.25,model,engagement'
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
	run -0 aud-query -q -m "$M" -n 2 --format text 12 5
	assert_output - <<'OUT'
product 12:
   1. customer 1  score 0.933333  (engagement)
   2. customer s1  score 0.250000  (engagement)
product 5 (not in the model: the cold-start list):
   1. customer 1  score 0.933333  (engagement)
   2. customer s1  score 0.250000  (engagement)
OUT
}

# cooc_model: the product-aware model of fixtures/cooc.csv in $CM (names
# Mug 10, Teapot 20, Kettle 30, Sofa 40; no decay, no blend).
cooc_model() {
	CM=$BATS_TEST_TMPDIR/cm.aud
	aud-prepare -q -o "$BATS_TEST_TMPDIR/c.aud" "$FIXTURES/cooc.csv"
	aud-features -o "$BATS_TEST_TMPDIR/cf.aud" "$BATS_TEST_TMPDIR/c.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/cf.aud" --model cooccurrence --min-support 1 \
		--half-life 0 --blend 0 --top-n 3 -o "$CM" "$BATS_TEST_TMPDIR/c.aud"
}

@test "--name: a new product gets the buyers of the products named like it" {
	# "Blue Mug" shares only "mug" with Mug (10): cosine 1; 10's buyers 1
	# and 2 weigh 5 each (a purchase): 1 over the largest, plus 3 times
	# their engagement, 0.875; then the cold-start list's 3.
	cooc_model
	run -0 aud-query -m "$CM" --name "Blue Mug"
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
,1,1,3.625,model,name:10,Blue Mug
,2,2,3.625,model,name:10,Blue Mug
,3,3,0.875,model,engagement,Blue Mug
OUT
	run -0 aud-query -m "$CM" --name "Blue Mug" -F text -n 1
	assert_output - <<'OUT'
new product (Blue Mug):
   1. customer 1  score 3.625000  (named like 10)
OUT
}

@test "--name: a known product id wins over the name; an unknown one takes it" {
	cooc_model
	run -0 aud-query -m "$CM" --name "Blue Mug" -n 1 20
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
20,1,4,1.0,model,similar:30,Teapot
OUT
	run -0 aud-query -m "$CM" --name "Blue Mug" -n 1 -F jsonl 77
	assert_output '{"product_id":77,"product_name":"Blue Mug","recommendations":[{"customer_id":1,"score":3.625,"rank":1,"reason":{"kind":"name","product_id":10,"product_name":"Mug"}}],"count":1,"note":"new product known by name: the customers who bought the products whose names are most like it, then the cold-start list, by engagement score"}'
}

@test "--name: nothing named like it, an empty name, a 100 KiB name" {
	cooc_model
	run -0 aud-query -m "$CM" --name "Garden Hose" -F text -n 1
	assert_output - <<'OUT'
new product (Garden Hose: nothing named like it, the cold-start list):
   1. customer 1  score 0.875000  (engagement)
OUT
	run -2 --separate-stderr aud-query -m "$CM" --name ""
	assert_equal "${stderr_lines[0]}" 'aud-query: --name: expected a product name, got ""'
	run -0 bash -c "aud-query -m '$CM' --name \"\$(head -c 102400 /dev/zero | tr '\\0' m) mug\" -n 1 | tail -n 1 | cut -d, -f1-6"
	assert_output ",1,1,3.625,model,name:10"
	run -2 aud-query -m "$CM" --name mug --all
}

@test "a product named with 1 MiB is indexed by its words' first 32 bytes" {
	{ echo 'customer_id,product_id,event,event_date,product_name'
	  printf '1,10,purchased,2023-01-01,Green %s Mug\n' "$(head -c 1048576 /dev/zero | tr '\0' x)"
	  echo '1,20,purchased,2023-01-01,Tea'; echo '2,20,purchased,2023-01-01,Tea'
	} > "$BATS_TEST_TMPDIR/big.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/b.aud" "$BATS_TEST_TMPDIR/big.csv"
	aud-features -o "$BATS_TEST_TMPDIR/bf.aud" "$BATS_TEST_TMPDIR/b.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/bf.aud" --model cooccurrence \
		-o "$BATS_TEST_TMPDIR/bm.aud" "$BATS_TEST_TMPDIR/b.aud"
	# green, x...x (cut to 32 bytes) and mug: a word of 40 x is the same
	# word, one of 31 another; the buyer 1 scores 1 (the largest) plus 3
	# times their engagement, 0.875.
	run -0 aud-query -m "$BATS_TEST_TMPDIR/bm.aud" --name "green mug" -n 1
	assert_line ",1,1,3.625,model,name:10,green mug"
	run -0 aud-query -m "$BATS_TEST_TMPDIR/bm.aud" -F text -n 1 \
		--name "$(head -c 40 /dev/zero | tr '\0' x)"
	assert_line --partial "(named like 10)"
	run -0 aud-query -m "$BATS_TEST_TMPDIR/bm.aud" -F text -n 1 \
		--name "$(head -c 31 /dev/zero | tr '\0' x)"
	assert_line --partial "nothing named like it"

}

@test "a model whose products have names adds a product_name column, quoted as CSV" {
	aud-prepare -q -o "$BATS_TEST_TMPDIR/o.aud" orders.csv
	aud-features -o "$BATS_TEST_TMPDIR/of.aud" "$BATS_TEST_TMPDIR/o.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/of.aud" -o "$BATS_TEST_TMPDIR/om.aud" "$BATS_TEST_TMPDIR/o.aud"
	run -0 aud-query -q -m "$BATS_TEST_TMPDIR/om.aud" -n 1 100 999
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
100,1,-5,0.19999999999999998,model,engagement,"Mug, blue"
999,1,17,0.8500000000000001,fallback,engagement,
OUT
	run -0 aud-query -m "$BATS_TEST_TMPDIR/om.aud" --info
	assert_output --partial '"named_products":3,'
}
