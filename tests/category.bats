#!/usr/bin/env bats
# Product categories: aud-prepare --category-col, the category signal and
# back-off of the co-occurrence model, new products by category.
#
# tests/fixtures/category.csv: Kitchen has 10 Blue Mug (customers 1, 2, 3),
# 11 Tea Pot (1, 2, 8) and 12 Soup Bowl (7 alone); Garden has 20 Spade
# (4, 5, 6) and 21 Rake (4, 5). Every row is a purchase (weight 5), and
# --half-life 0 keeps them whole: a customer's affinity to Kitchen is 10
# for 1 and 2, 5 for 3, 7 and 8.

setup() {
	load test_helper
	cd "$FIXTURES"
	category_fixture
}

model() {
	category_fixture --top-n 10 "$@"
}

@test "aud-prepare --category-col: a category travels with a product's first record" {
	run -0 bash -c "aud-cat -F jsonl '$I' | head -n 3"
	assert_output - <<'OUT'
{"customer_id":1,"product_id":10,"event":"purchased","time":"2024-01-01T00:00:00Z","product_name":"Blue Mug","category":"Kitchen"}
{"customer_id":1,"product_id":11,"event":"purchased","time":"2024-01-02T00:00:00Z","product_name":"Tea Pot","category":"Kitchen"}
{"customer_id":2,"product_id":10,"event":"purchased","time":"2024-01-03T00:00:00Z","product_name":null,"category":null}
OUT
	# Without the option the stream has no category field at all.
	aud-prepare -q -o "$BATS_TEST_TMPDIR/plain.aud" category.csv
	run -0 bash -c "aud-cat -F jsonl '$BATS_TEST_TMPDIR/plain.aud' | head -n 1"
	assert_output '{"customer_id":1,"product_id":10,"event":"purchased","time":"2024-01-01T00:00:00Z","product_name":"Blue Mug"}'
	run -0 bash -c "aud-prepare --dry-run --category-col 6 category.csv 2>/dev/null | grep category"
	assert_output --partial '  category     <- column 6, "category"'
}

@test "aud-prepare --category-col: a missing column is one line, exit 1" {
	run -1 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/x.aud" --category-col cat category.csv
	assert_equal "$stderr" 'aud-prepare: category.csv:1: no column "cat" in the header: customer_id,product_id,event,event_date,product_name,category (see --category-col)'
	[ ! -e "$BATS_TEST_TMPDIR/x.aud" ]
	run -2 --separate-stderr aud-prepare --category-col "" category.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --category-col: empty column name'
}

@test "a product with no neighbours backs off to its category; the category adds to relevance" {
	# 12's only customer bought nothing else: no neighbours. Its audience is
	# Kitchen's customers by 0.5 * affinity / 10 + 0.1 * engagement: 2 and
	# 1 (0.5 + 0.0785, 0.5 + 0.0775), 8 and 3 (0.25 + 0.0225, 0.25 + 0.019).
	# 10's neighbour 11 brings 8 (relevance 1 + 0.25 + 0.0225), and 7 comes
	# by the category alone (0.25 + 0.022); then the engagement order.
	model
	run -0 aud-query -m "$M" -n 5 10 12
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
10,1,8,1.2725,model,similar:11,Blue Mug
10,2,7,0.272,model,category:Kitchen,Blue Mug
10,3,5,0.8099999999999999,model,engagement,Blue Mug
10,4,4,0.7999999999999999,model,engagement,Blue Mug
10,5,6,0.215,model,engagement,Blue Mug
12,1,2,0.5785,model,category:Kitchen,Soup Bowl
12,2,1,0.5775,model,category:Kitchen,Soup Bowl
12,3,8,0.2725,model,category:Kitchen,Soup Bowl
12,4,3,0.269,model,category:Kitchen,Soup Bowl
12,5,5,0.8099999999999999,model,engagement,Soup Bowl
OUT
	run -0 aud-query -m "$M" -n 1 -F jsonl 12
	assert_output '{"product_id":12,"product_name":"Soup Bowl","recommendations":[{"customer_id":2,"score":0.5785,"rank":1,"reason":{"kind":"category","category":"Kitchen"}}],"count":1,"note":"the customers who have not interacted with this product: first those whose products are most like it, then the rest, by engagement score"}'
	run -0 bash -c "aud-query -m '$M' --info | grep -o '\"category_weight\":0.5'"
}

@test "--category-weight 0: categories unused, 12 gets the engagement order" {
	model --category-weight 0
	run -0 aud-query -m "$M" -n 2 12
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
12,1,5,0.8099999999999999,model,engagement,Soup Bowl
12,2,4,0.7999999999999999,model,engagement,Soup Bowl
OUT
}

@test "aud-query --category: a new product known by its category, with or without a name" {
	# Garden's products, heaviest first: 20 (weight 15), 21 (10); their
	# buyers summed: 4 and 5 bought both (10), 6 one (5). Over the largest,
	# plus 3 (--new-blend) times the engagement score (4: 0.8, 5: 0.81,
	# 6: 0.215): 5 has 1 + 2.43, 4 has 1 + 2.4, 6 has 0.5 + 0.645.
	model
	run -0 aud-query -m "$M" -n 4 --category Garden -F text
	assert_output - <<'OUT'
new product (category Garden):
   1. customer 5  score 3.430000  (in category Garden)
   2. customer 4  score 3.400000  (in category Garden)
   3. customer 6  score 1.145000  (in category Garden)
   4. customer 2  score 0.785000  (engagement)
OUT
	# The name's audience first: "mug" is the one word of "Green Mug" in the
	# index, and half of "Blue Mug"'s (blue and mug, each in one name of
	# five): cosine 1/sqrt(2) times the buyers' 5, the same for 1, 2 and
	# 3, so 1 each over the largest, plus 3 times their engagement (1:
	# 0.775, 2: 0.785, 3: 0.19); then the category's, then the cold-start
	# list.
	run -0 aud-query -m "$M" -n 5 --name "Green Mug" --category Garden
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
,1,2,3.3549999999999995,model,name:10,Green Mug
,2,1,3.3249999999999997,model,name:10,Green Mug
,3,3,1.57,model,name:10,Green Mug
,4,5,3.4299999999999997,model,category:Garden,Green Mug
,5,4,3.4,model,category:Garden,Green Mug
OUT
	# --new-blend 0: by the name and category matches alone.
	model --new-blend 0
	run -0 aud-query -m "$M" -n 4 --category Garden -F text
	assert_output - <<'OUT'
new product (category Garden):
   1. customer 4  score 1.000000  (in category Garden)
   2. customer 5  score 1.000000  (in category Garden)
   3. customer 6  score 0.500000  (in category Garden)
   4. customer 2  score 0.785000  (engagement)
OUT
	run -0 aud-query -m "$M" -n 1 --category Shoes -F text
	assert_output - <<'OUT'
new product (category Shoes: nothing like it, the cold-start list):
   1. customer 5  score 0.810000  (engagement)
OUT
	# A known id wins over the category.
	run -0 aud-query -m "$M" -n 1 --category Garden 12
	assert_line '12,1,2,0.5785,model,category:Kitchen,Soup Bowl'
	run -2 aud-query -m "$M" --category Garden --all
	run -2 --separate-stderr aud-query -m "$M" --category ""
	assert_equal "${stderr_lines[0]}" 'aud-query: --category: expected a category, got ""'
}

@test "GET /recommend?category= and ?name=&category=" {
	model
	run -0 bash -c "printf 'GET /recommend?category=Garden&n=1 HTTP/1.1\r\n\r\nGET /recommend?category=&name=&n=1 HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' | tr -d '\r' | grep '^{'"
	assert_output - <<'OUT'
{"product_id":null,"product_name":null,"recommendations":[{"customer_id":5,"score":3.4299999999999997,"rank":1,"reason":{"kind":"category","category":"Garden"}}],"count":1,"note":"new product known by name or category: the customers who bought the products whose names are most like it, then those who bought its category's most bought products, then the cold-start list, by engagement score"}
{"detail":"name must be a product name, or category its category"}
OUT
}

@test "models are format version 5; versions 2, 3 and 4 are still read, as they were" {
	model
	run -0 bash -c "aud-cat --header '$M' | grep -o '\"version\":[0-9]*'"
	assert_output '"version":5'
	# model-v2.aud, model-v3.aud and model-v4.aud: this fixture's models
	# as aud wrote them before version 5 (v2 without --category-col;
	# --half-life 0, --top-n 10 for v3 and v4). The new products' scores
	# of v2 and v3 stay the sums.
	for v in 2 3 4; do
		run -0 bash -c "aud-cat --header model-v$v.aud | grep -o '\"version\":[0-9]*'"
		assert_output "\"version\":$v"
	done
	run -0 aud-query -m model-v2.aud -n 1 12
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
12,1,5,0.8099999999999999,model,engagement,Soup Bowl
OUT
	run -0 aud-query -m model-v3.aud -n 4 --name "Green Mug" --category Garden
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
,1,1,3.535533845424652,model,name:10,Green Mug
,2,2,3.535533845424652,model,name:10,Green Mug
,3,3,3.535533845424652,model,name:10,Green Mug
,4,4,10.0,model,category:Garden,Green Mug
OUT
	# Version 4 held the fallback order's customers themselves: the same
	# answers as the model written now.
	local m
	for m in v4 v5; do
		[ $m = v4 ] && set -- model-v4.aud || set -- "$M"
		aud-query -m "$1" --all -F jsonl > "$BATS_TEST_TMPDIR/$m"
		aud-query -m "$1" -n 4 --name "Green Mug" --category Garden >> "$BATS_TEST_TMPDIR/$m"
	done
	run -0 bash -c "cmp '$BATS_TEST_TMPDIR/v4' '$BATS_TEST_TMPDIR/v5' && wc -l < '$BATS_TEST_TMPDIR/v5'"
	assert_output 10
}

@test "aud-rank --eval: products treated as new are found by their category" {
	# planted.csv: two groups of customers, each buying its own group of
	# products (1xx and 2xx); the test rows are in-group first purchases.
	# With the groups as categories, a product treated as new gets the
	# buyers of its category's products: all of them in-group.
	awk -F, 'NR == 1 { print $0 ",category"; next }
	    { print $0 "," (substr($2, 1, 1) == "1" ? "kitchen" : "garden") }' \
		planted.csv > "$BATS_TEST_TMPDIR/planted.csv"
	aud-prepare -q --category-col category -o "$I" "$BATS_TEST_TMPDIR/planted.csv"
	run -0 bash -c "aud-rank --eval --k 5 '$I' | jq -c '.cold_start | [.products, .by_name[\"5\"].precision, .global_list[\"5\"].precision]'"
	assert_output '[1,1,0]'
	run -0 bash -c "aud-rank --eval --k 5 --text '$I' | tail -n 1"
	assert_output --partial 'As new products, known only by name and category (1 of them'
	# --tune chooses new products' weight on the same section of its
	# validation split; every value finds the one product's buyers, so the
	# value given first stays (ties: the first tried).
	run -0 bash -c "aud-rank --tune --k 5 --new-blend 1 '$I' | tail -n 2"
	assert_output - <<'OUT'
and by precision@5 of 1 products treated as new: 1.00000 with
  --new-blend 1
OUT
}

@test "/ui in headless Chromium: a new product by name, and by category" {
	local out
	model
	chromium_ui "$M"
	out=$(ui_page 'name=Green%20Mug&n=1')$(ui_page 'category=Garden&n=1')
	kill "$pid"
	run -0 echo "$out"
	assert_output --partial '<h2>Green Mug</h2>'
	assert_output --partial '<tr><td class="n">1</td><td>2</td><td class="n">3.355000</td><td>bought Blue Mug</td></tr>'
	assert_output --partial '<h2>a new product in Garden</h2>'
	assert_output --partial '<tr><td class="n">1</td><td>5</td><td class="n">3.430000</td><td>likes Garden</td></tr>'
}
