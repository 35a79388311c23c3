#!/usr/bin/env bats
# aud-rank: the audience model, and the evaluation on a temporal split.

setup() {
	load test_helper
	cd "$FIXTURES"
	rank_fixture
}

@test "--help and --version exit 0" {
	run -0 aud-rank --help
	assert_line --partial "Usage: aud-rank --features FEATURES"
	run -0 aud-rank --version
	assert_output --regexp '^aud-rank [0-9.]+$'
}

@test "audiences leave out the product's customers; ties go to the lower id" {
	# Engagement order: 1 (.933), s1 (.25), 2 (.111), 3 (.067), 4 (.05).
	# Product 10 was touched by 1 and 2, 11 by 1 and s1, 12 by 3 and 4.
	# Products in id order.
	aud-rank --features "$F" --top-n 3 -o "$M" "$I"
	run -0 aud-query -m "$M" --all
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
10,1,s1,0.25,model,engagement
10,2,3,0.06666666666666667,model,engagement
10,3,4,0.05,model,engagement
11,1,2,0.1111111111111111,model,engagement
11,2,3,0.06666666666666667,model,engagement
11,3,4,0.05,model,engagement
12,1,1,0.9333333333333333,model,engagement
12,2,s1,0.25,model,engagement
12,3,2,0.1111111111111111,model,engagement
OUT
}

@test "--score activity ranks by activity, integer ids before string ids on ties" {
	# Activity: 1 (2.0), then 4 and s1 tie at 1.0 (4 first), 2 (0.5), 3 (0.1).
	aud-rank --features "$F" --score activity --top-n 2 -o "$M" "$I"
	run -0 aud-query -m "$M" --all
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
10,1,4,1.0,model,activity
10,2,s1,1.0,model,activity
11,1,4,1.0,model,activity
11,2,2,0.5,model,activity
12,1,1,2.0,model,activity
12,2,s1,1.0,model,activity
OUT
}

@test "the model is a stream aud-cat reads, with its metadata" {
	aud-rank --features "$F" --model engagement -o "$M" "$I"
	run -0 aud-cat "$M"
	assert_line --index 0 '{"product_id":10,"product_name":null,"places":[1,3,4]}'
	assert_line --index 2 '{"product_id":12,"product_name":null,"places":[0,1,2]}'
	run -0 aud-cat -H "$M"
	assert_output --partial '"kind":"audiences"'
	assert_output --partial '"model":{"score":"engagement","top_n":10,"depth":30,"customers":5,"products":3,"interactions":6,"named_products":0,"first_time":"2023-01-01T00:00:00Z","last_time":"2023-01-10T00:00:00Z","features_source":"'"$F"'","interactions_source":"rank.csv","interactions_fingerprint":"'"$(fingerprint "$I")"'","quick":false,"seed":1,"fallback_size":5}'
	assert_output --partial '"ranking":{"customers":[1,"s1",2,3,4],"scores":[0.9333333333333333,0.25,0.1111111111111111,0.06666666666666667,0.05]}'
}

@test "--quick keeps a seeded tenth of the products" {
	aud-prepare -q -o "$BATS_TEST_TMPDIR/s.aud" "$AUD_ROOT/data/sample.csv"
	aud-features -o "$BATS_TEST_TMPDIR/sf.aud" "$BATS_TEST_TMPDIR/s.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/sf.aud" --quick -o "$M" "$BATS_TEST_TMPDIR/s.aud"
	run -0 aud-query -m "$M" --info
	assert_output --partial '"products":215,'
	assert_output --partial '"quick":true'
	aud-rank --features "$BATS_TEST_TMPDIR/sf.aud" --quick -o "$M.2" "$BATS_TEST_TMPDIR/s.aud"
	cmp <(aud-cat "$M") <(aud-cat "$M.2")
}

@test "the evaluation matches the hand computation" {
	# Train: the first 8 rows; test: 3 buys 101, 6 buys 102. Product 101's
	# eligible customers are 3, 4, 5 (1 and 2 have it), and 3 is the one
	# who takes it up: random precision@1 is 1/3 there, 0 for 102 (its only
	# new customer, 6, is not a training customer). Engagement targets 5,
	# then 4 for 101, and 5, then 3 for 102: no hits; 3 comes back (k=2):
	# 3 distinct customers at k=2, 5 in both audiences.
	# Popularity (customers of one's products, summed: 1 has 7, 2 has 5, 4
	# has 3, 3 has 2, 5 has 1) targets 4, then 3 for 101 (a hit at k=2)
	# and 3, then 5 for 102: precision@2 = (1/2 + 0) / 2, recall 1, and
	# 3 comes back in both audiences (share 1/2).
	# Co-occurrence: 101 and 102 share customers 1 and 2, so 101's audience
	# is 102's other customer, 4, then 5 by engagement; 102's neighbour 101
	# has no customer 102 lacks, so 102 gets engagement's 5, 3: the same
	# figures as engagement. Engagement's hits are 0, so every lift against
	# it is undefined (null). The best baseline is engagement at k=1 (all
	# find 0; the first in method order) and popularity at k=2: every lift
	# against it is null at k=1, and 0 at k=2 but popularity's own 1.
	# Against each baseline: activity finds nothing either, so every lift
	# against it is null; against popularity they are those against the
	# best at k=2. The intervals are the bootstrap's, as drawn.
	aud-prepare -q eval.csv | aud-rank --eval --k 1 --k 2 > "$BATS_TEST_TMPDIR/e.json"
	# The come-back and capping sections are checked below.
	run -0 sed 's/,"come_back":{.*},"bootstrap"/,"bootstrap"/' "$BATS_TEST_TMPDIR/e.json"
	assert_output '{"split":{"train_fraction":0.8,"train_rows":8,"test_rows":2,"split_time":"2023-01-09T00:00:00Z","train_customers":5,"test_customers":2,"returning_customers":1},"products":{"train":4,"test":2,"evaluable":2,"with_relevant":1,"coverage":1.0},"methods":{"engagement":{"1":{"precision":0.0,"recall":0.0,"active_share":0.0,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.0,"active_lift_ci95":[0.0,0.0],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":null,"hit_lift_vs_popularity_ci95":[null,null],"hit_lift_vs_best_baseline":null,"hit_lift_vs_best_baseline_ci95":[null,null],"distinct_customers":1,"max_audiences_per_customer":2},"2":{"precision":0.0,"recall":0.0,"active_share":0.25,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.6000000000000001,"active_lift_ci95":[0.0,2.3400000000000025],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":0.0,"hit_lift_vs_popularity_ci95":[0.0,0.0],"hit_lift_vs_best_baseline":0.0,"hit_lift_vs_best_baseline_ci95":[0.0,0.0],"distinct_customers":3,"max_audiences_per_customer":2}},"activity":{"1":{"precision":0.0,"recall":0.0,"active_share":0.0,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.0,"active_lift_ci95":[0.0,0.0],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":null,"hit_lift_vs_popularity_ci95":[null,null],"hit_lift_vs_best_baseline":null,"hit_lift_vs_best_baseline_ci95":[null,null],"distinct_customers":1,"max_audiences_per_customer":2},"2":{"precision":0.0,"recall":0.0,"active_share":0.25,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.6000000000000001,"active_lift_ci95":[0.0,2.3400000000000025],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":0.0,"hit_lift_vs_popularity_ci95":[0.0,0.0],"hit_lift_vs_best_baseline":0.0,"hit_lift_vs_best_baseline_ci95":[0.0,0.0],"distinct_customers":3,"max_audiences_per_customer":2}},"popularity":{"1":{"precision":0.0,"recall":0.0,"active_share":0.5,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":1.2000000000000002,"active_lift_ci95":[0.0,2.5714285714285716],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":null,"hit_lift_vs_popularity_ci95":[null,null],"hit_lift_vs_best_baseline":null,"hit_lift_vs_best_baseline_ci95":[null,null],"distinct_customers":2,"max_audiences_per_customer":1},"2":{"precision":0.25,"recall":1.0,"active_share":0.5,"hit_lift":1.5,"hit_lift_ci95":[0.0,4.5],"active_lift":1.2000000000000002,"active_lift_ci95":[0.0,3.0],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":1.0,"hit_lift_vs_popularity_ci95":[1.0,1.0],"hit_lift_vs_best_baseline":1.0,"hit_lift_vs_best_baseline_ci95":[1.0,1.0],"distinct_customers":3,"max_audiences_per_customer":2}},"cooccurrence":{"1":{"precision":0.0,"recall":0.0,"active_share":0.0,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.0,"active_lift_ci95":[0.0,0.0],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":null,"hit_lift_vs_popularity_ci95":[null,null],"hit_lift_vs_best_baseline":null,"hit_lift_vs_best_baseline_ci95":[null,null],"distinct_customers":2,"max_audiences_per_customer":1},"2":{"precision":0.0,"recall":0.0,"active_share":0.25,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.6000000000000001,"active_lift_ci95":[0.0,2.3400000000000025],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":0.0,"hit_lift_vs_popularity_ci95":[0.0,0.0],"hit_lift_vs_best_baseline":0.0,"hit_lift_vs_best_baseline_ci95":[0.0,0.0],"distinct_customers":3,"max_audiences_per_customer":2}},"mbgnbd":{"1":{"precision":0.0,"recall":0.0,"active_share":0.0,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.0,"active_lift_ci95":[0.0,0.0],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":null,"hit_lift_vs_popularity_ci95":[null,null],"hit_lift_vs_best_baseline":null,"hit_lift_vs_best_baseline_ci95":[null,null],"distinct_customers":1,"max_audiences_per_customer":2},"2":{"precision":0.0,"recall":0.0,"active_share":0.25,"hit_lift":0.0,"hit_lift_ci95":[0.0,0.0],"active_lift":0.6000000000000001,"active_lift_ci95":[0.0,2.3400000000000025],"hit_lift_vs_engagement":null,"hit_lift_vs_engagement_ci95":[null,null],"hit_lift_vs_activity":null,"hit_lift_vs_activity_ci95":[null,null],"hit_lift_vs_popularity":0.0,"hit_lift_vs_popularity_ci95":[0.0,0.0],"hit_lift_vs_best_baseline":0.0,"hit_lift_vs_best_baseline_ci95":[0.0,0.0],"distinct_customers":3,"max_audiences_per_customer":2}},"random":{"1":{"precision":0.16666666666666666,"recall":0.3333333333333333,"active_share":0.41666666666666663},"2":{"precision":0.16666666666666666,"recall":0.6666666666666666,"active_share":0.41666666666666663}}},"best_baseline":{"1":"engagement","2":"popularity"},"cold_start":{"products":0},"bootstrap":{"samples":1000,"seed":1,"resampled":"products and customers"}}'
	# Capped at 1 audience a customer (k=2; places by rank across
	# products): engagement gives 101 its 5, 102's 5 is taken, then 101
	# its 4 and 102 its 3: 3 of 4 places, no hit. Popularity gives 101 its
	# 4 and 102 its 3, so 101's hit (3) is taken: no hit, 102 then gets 5.
	# At 3 or more, nothing is capped: the figures above.
	run -0 jq -c '.capping | [.k, (.engagement | map_values([.precision, .places_filled, .distinct_customers, .max_audiences_per_customer])), (.popularity | map_values(.precision))]' "$BATS_TEST_TMPDIR/e.json"
	assert_output '[2,{"1":[0,0.75,3,1],"3":[0,1,3,2],"10":[0,1,3,2],"unlimited":[0,1,3,2]},{"1":0,"3":0.25,"10":0.25,"unlimited":0.25}]'

}

@test "--text states in words whether targeting beats random" {
	run -0 bash -c "aud-prepare -q eval.csv | aud-rank --eval --k 1 --k 2 --text"
	assert_line "1 of 5 training customers came back in the test period (20.00%)."
	assert_line "At k=2, engagement targeting does worse than random: it finds 0.00x (95% interval 0.00x to 0.00x) as many of the customers who take up the product, and its 3 customers are 0.60x (95% interval 0.00x to 2.34x) as likely to come back at all."
	assert_line "popularity      2    0.25000    1.00000     50.00%         3       2"
	# A model that is no baseline is set against the best of them too.
	assert_line "At k=2, cooccurrence targeting does worse than random: it finds 0.00x (95% interval 0.00x to 0.00x) as many of the customers who take up the product (cannot be told apart from engagement: an undefined multiple (the divisor is 0); does worse than popularity, the best baseline: 0.00x (95% interval 0.00x to 0.00x)), and its 3 customers are 0.60x (95% interval 0.00x to 2.34x) as likely to come back at all."
	# And against each baseline in turn, on a line of its own.
	assert_line "  Against each baseline: engagement undefined, activity undefined, popularity 0.00x (0.00x to 0.00x)."
}

@test "on the sample, a dozen customers make every hit: the intervals say it" {
	# Resampling products alone gave 70x (37x to 109x); the same dozen
	# customers are in all 274 audiences, and with them resampled too
	# the interval reaches 0.
	aud-prepare -q -o "$BATS_TEST_TMPDIR/s.aud" "$AUD_ROOT/data/sample.csv"
	run -0 aud-rank --eval --text "$BATS_TEST_TMPDIR/s.aud"
	assert_line --regexp '^At k=10, engagement targeting cannot be told apart from random: it finds 69.72x \(95% interval 0.00x to [0-9.]+x\) .* and its 12 customers are '
}

@test "on planted groups co-occurrence finds every later customer, ALS nearly all, engagement none" {
	# planted.csv: two groups of customers, each touching only its own
	# group of products; the test rows are in-group first purchases.
	run -0 bash -c "aud-prepare -q planted.csv | aud-rank --eval --k 5 --als | jq -c '.methods | map_values(.[\"5\"].precision)'"
	assert_output '{"engagement":0,"activity":0,"popularity":0,"cooccurrence":1,"als":0.9600000000000002,"mbgnbd":1,"random":0.2849028736436564}'
}

@test "on Online Retail co-occurrence finds the most at k=10, from far more customers" {
	local csv="$SHARED_DATA/online-retail/online_retail.csv"
	[ -r "$csv" ] || skip "$csv is not here"
	aud-prepare -q --customer-col CustomerID --product-col StockCode \
		--time-col InvoiceDate --event-value purchased -o "$BATS_TEST_TMPDIR/r.aud" "$csv"
	run -0 bash -c "aud-rank --eval --als '$BATS_TEST_TMPDIR/r.aud' > '$BATS_TEST_TMPDIR/e.json'"
	run -0 jq -c '.methods | map_values(.["10"] | [(.precision * 100000 | round), .distinct_customers])' "$BATS_TEST_TMPDIR/e.json"
	assert_output '{"engagement":[4558,35],"activity":[3528,27],"popularity":[4950,53],"cooccurrence":[5772,624],"als":[4994,982],"mbgnbd":[3227,32],"random":[308,null]}'
	# Without names, nothing is evaluated as new; with them, see below.
	run -0 jq -c '.cold_start' "$BATS_TEST_TMPDIR/e.json"
	assert_output '{"products":0}'
}

@test "on Online Retail, products known only by name: the buyers of products named alike" {
	local csv="$SHARED_DATA/online-retail/online_retail.csv"
	[ -r "$csv" ] || skip "$csv is not here"
	aud-prepare -q --customer-col CustomerID --product-col StockCode --name-col Description \
		--time-col InvoiceDate --event-value purchased -o "$BATS_TEST_TMPDIR/r.aud" "$csv"
	run -0 bash -c "aud-rank --eval '$BATS_TEST_TMPDIR/r.aud' | jq -c '.cold_start | [.products, (.by_name[\"10\"].precision * 100000 | round), (.global_list[\"10\"].precision * 100000 | round)]'"
	assert_output '[298,5638,4430]'
}

@test "--model cooccurrence: audiences and reasons checked by hand" {
	# cooc.csv: 1 and 2 bought 10 and 20, 3 bought 20 and 30, 4 bought 30,
	# 5 bought 40. sim(10,20) = 2/sqrt(6), sim(20,30) = 1/sqrt(6), 10 and
	# 30 share no one. 10's audience: 3 through 20, then 4 and 5 by
	# engagement (0.125; 1 and 2 bought it). 20's: 4 through 30, then 5.
	# 30's: 1 and 2 through 20 (equal: the first seen first), then 5. 40
	# has no neighbour: engagement's 1, 2, 3 (0.875).
	aud-prepare -q -o "$BATS_TEST_TMPDIR/c.aud" cooc.csv
	aud-features -o "$BATS_TEST_TMPDIR/cf.aud" "$BATS_TEST_TMPDIR/c.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/cf.aud" --model cooccurrence --min-support 1 --popularity-exponent 0.5 \
		--half-life 0 --blend 0 --top-n 3 -o "$BATS_TEST_TMPDIR/cm.aud" "$BATS_TEST_TMPDIR/c.aud"
	run -0 aud-query -m "$BATS_TEST_TMPDIR/cm.aud" --all
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
10,1,3,1.0,model,similar:20,Mug
10,2,4,0.125,model,engagement,Mug
10,3,5,0.125,model,engagement,Mug
20,1,4,1.0,model,similar:30,Teapot
20,2,5,0.125,model,engagement,Teapot
30,1,1,1.0,model,similar:20,Kettle
30,2,2,1.0,model,similar:20,Kettle
30,3,5,0.125,model,engagement,Kettle
40,1,1,0.875,model,engagement,Sofa
40,2,2,0.875,model,engagement,Sofa
40,3,3,0.875,model,engagement,Sofa
OUT
	run -0 aud-query -q -m "$BATS_TEST_TMPDIR/cm.aud" -F jsonl -n 1 30 99
	assert_output - <<'OUT'
{"product_id":30,"product_name":"Kettle","recommendations":[{"customer_id":1,"score":1.0,"rank":1,"reason":{"kind":"similar","product_id":20,"product_name":"Teapot"}}],"count":1,"note":"the customers who have not interacted with this product: first those whose products are most like it, then the rest, by engagement score"}
{"product_id":99,"product_name":null,"recommendations":[{"customer_id":1,"score":0.875,"rank":1,"reason":{"kind":"engagement"}}],"count":1,"note":"new product: not in the model, so it is served the cold-start list, the top customers overall, by engagement score"}
OUT
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/cm.aud"
	assert_output --partial '"version":5,"kind":"audiences","fields":["product_id","product_name","customers","scores","reasons","buyers","buyer_weights","category","buyer_engagement","fallback"]'
	assert_output --partial '"ranking":{"customers":[1,2,3,4,5],"scores":[0.875,0.875,0.875,0.125,0.125]}'
	assert_output --partial '"cooccurrence":{"half_life_days":0.0,"popularity_exponent":0.5,"neighbours":200,"min_support":1,"blend":0.0,"new_blend":3.0}'
	# Each record keeps its product's buyers by weight (a purchase weighs 5)
	# and their engagement scores; no category here. Customers 4 and 5
	# come from the engagement order: places 3 and 4 of the ranking.
	run -0 bash -c "aud-cat '$BATS_TEST_TMPDIR/cm.aud' | head -n 1"
	assert_output '{"product_id":10,"product_name":"Mug","customers":[3],"scores":[1.0],"reasons":[20],"buyers":[1,2],"buyer_weights":[5.0,5.0],"category":null,"buyer_engagement":[0.875,0.875],"fallback":[3,4]}'
}

@test "without --model, the model is the co-occurrence one" {
	T=$BATS_TEST_TMPDIR
	aud-prepare -q -o "$T/c.aud" cooc.csv
	aud-features -o "$T/cf.aud" "$T/c.aud"
	aud-rank --features "$T/cf.aud" --min-support 1 --top-n 3 -o "$T/default.aud" "$T/c.aud"
	aud-rank --features "$T/cf.aud" --model cooccurrence --min-support 1 --top-n 3 \
		-o "$T/named.aud" "$T/c.aud"
	same_model "$T/default.aud" "$T/named.aud"
	run -0 bash -c "aud-query -m '$T/default.aud' -n 1 10 | tail -n 1"
	assert_output "10,1,3,1.0875,model,similar:20,Mug"
}

@test "--model cooccurrence weighs rows by the features' event weights" {
	aud-prepare -q -o "$BATS_TEST_TMPDIR/c.aud" cooc.csv
	aud-features --weight purchased=10 -o "$BATS_TEST_TMPDIR/cf.aud" "$BATS_TEST_TMPDIR/c.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/cf.aud" --model cooccurrence --min-support 1 \
		--half-life 0 -o "$BATS_TEST_TMPDIR/cm.aud" "$BATS_TEST_TMPDIR/c.aud"
	run -0 bash -c "aud-cat '$BATS_TEST_TMPDIR/cm.aud' | head -n 1 | jq -c .buyer_weights"
	assert_output '[10,10]'	# jq writes 10.0 as 10
}

@test "a model of the engagement score is the same, byte for byte, with --model or --score" {
	aud-rank --features "$F" --model engagement --top-n 2 -o "$BATS_TEST_TMPDIR/a.aud" "$I"
	aud-rank --features "$F" --score engagement --top-n 2 -o "$BATS_TEST_TMPDIR/b.aud" "$I"
	cmp <(aud-cat -H "$BATS_TEST_TMPDIR/a.aud" | sed 's/"created":"[^"]*"//') \
	    <(aud-cat -H "$BATS_TEST_TMPDIR/b.aud" | sed 's/"created":"[^"]*"//')
	cmp <(aud-cat "$BATS_TEST_TMPDIR/a.aud") <(aud-cat "$BATS_TEST_TMPDIR/b.aud")
}

@test "--tune keeps the defaults when nothing measures better, and says what it chose" {
	# planted.csv: every setting finds all the later customers (precision
	# 1 on the validation split), so the defaults, tried first, stay; the
	# grids hold 14 distinct settings once the defaults are counted once.
	run -0 bash -c "aud-prepare -q planted.csv | aud-rank --tune"
	assert_output - <<'OUT'
Tuned on a validation split of the first 600 rows (480 train, 120 validate), 14 settings tried, by precision@10 of the co-occurrence model: 1.00000 with
  --half-life 30 --popularity-exponent 0.7 --neighbours 200 --min-support 2 --blend 0.1
OUT
}

@test "--eval --tune chooses inside the training part; --model cooccurrence --tune builds with the choice" {
	# The training part is the first 480 rows, split 384/96 again: there
	# no decay measures best. The choice goes to standard error with JSON.
	aud-prepare -q -o "$BATS_TEST_TMPDIR/p.aud" planted.csv
	run -0 --separate-stderr aud-rank --eval --tune --k 5 "$BATS_TEST_TMPDIR/p.aud"
	assert_equal "${stderr_lines[1]}" "  --half-life 0 --popularity-exponent 0.7 --neighbours 200 --min-support 2 --blend 0.1"
	assert_regex "${stderr_lines[0]}" '^Tuned on a validation split of the first 480 rows \(384 train, 96 validate\)'
	aud-features -o "$BATS_TEST_TMPDIR/pf.aud" "$BATS_TEST_TMPDIR/p.aud"
	run -0 --separate-stderr aud-rank --features "$BATS_TEST_TMPDIR/pf.aud" --model cooccurrence \
		--tune --min-support 1000000 -o "$BATS_TEST_TMPDIR/pm.aud" "$BATS_TEST_TMPDIR/p.aud"
	assert_regex "$stderr" '^Tuned on a validation split of the first 600 rows'
	# It started from a support no pair has (no neighbours, precision 0)
	# and the model holds the support chosen instead.
	assert_regex "$stderr" ' --min-support 2 '
	run -0 bash -c "aud-cat -H '$BATS_TEST_TMPDIR/pm.aud' | jq -c '.model.cooccurrence.min_support'"
	assert_output 2
	run -2 --separate-stderr aud-rank --features "$BATS_TEST_TMPDIR/pf.aud" --model engagement \
		--tune "$BATS_TEST_TMPDIR/p.aud"
	assert_equal "${stderr_lines[0]}" "aud-rank: --tune chooses the cooccurrence model's settings"
}

@test "wrong stream kinds are refused in one line" {
	run -1 --separate-stderr aud-rank --features "$I" "$I"
	assert_equal "$stderr" "aud-rank: $I: a stream of interactions, expected features"
	run -1 --separate-stderr aud-rank --features "$F" "$F"
	assert_equal "$stderr" "aud-rank: $F: a stream of features, expected interactions"
}

@test "bad options are usage errors" {
	run -2 --separate-stderr aud-rank --features "$F" --top-n 0 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --top-n: expected 1 to 10000, got "0"'
	run -2 --separate-stderr aud-rank --features "$F" --score popularity "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --score: expected engagement, activity, p_alive or expected_purchases, got "popularity"'
	run -2 --separate-stderr aud-rank "$I"
	assert_equal "${stderr_lines[0]}" "aud-rank: --features is required (or --eval)"
	run -2 aud-rank --eval --k 0 "$I"
	run -2 aud-rank --eval --train-fraction 1 "$I"
	run -2 --separate-stderr aud-rank --eval --half-life -1 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --half-life: expected 0 (no decay) to 1000000 days, got "-1"'
	run -2 --separate-stderr aud-rank --eval --neighbours 0 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --neighbours: expected 1 to 10000, got "0"'
	run -2 --separate-stderr aud-rank --eval --popularity-exponent 3 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --popularity-exponent: expected 0 to 2, got "3"'
	run -2 --separate-stderr aud-rank --eval --blend x "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --blend: expected 0 to 1000, got "x"'
	run -2 --separate-stderr aud-rank --features "$F" --model als "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --model: expected engagement, activity or cooccurrence, got "als"'
	run -2 --separate-stderr aud-rank --eval --min-support 0 "$I"
	assert_equal "${stderr_lines[0]}" 'aud-rank: --min-support: expected 1 to 1000000, got "0"'
}

@test "an evaluation with nothing to split is an error" {
	head -n 2 rank.csv > "$BATS_TEST_TMPDIR/one.csv"
	run -1 --separate-stderr bash -c "aud-prepare -q '$BATS_TEST_TMPDIR/one.csv' | aud-rank --eval"
	assert_equal "$stderr" "aud-rank: stdin: too few interactions to split into training and test rows"
}

@test "a failed run leaves no model behind" {
	run -1 aud-rank --features "$I" -o "$M" "$I"
	[ ! -e "$M" ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a product every customer touched has an empty audience" {
	printf 'customer_id,product_id,event,event_date\n1,7,cart,2023-01-01\n2,7,cart,2023-01-02\n2,8,cart,2023-01-03\n' > "$BATS_TEST_TMPDIR/all.csv"
	# Customer 1: avg and frequency are constant (0.5 each), recency the
	# oldest: 0.2 * 0.5 + 0.15 * 0.5 = 0.175.
	aud-prepare -q -o "$BATS_TEST_TMPDIR/all.aud" "$BATS_TEST_TMPDIR/all.csv"
	aud-features -o "$BATS_TEST_TMPDIR/allf.aud" "$BATS_TEST_TMPDIR/all.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/allf.aud" -o "$M" "$BATS_TEST_TMPDIR/all.aud"
	run -0 aud-query -m "$M" 7 8
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason
8,1,1,0.175,model,engagement
OUT
	run -0 aud-query -m "$M" --format jsonl 7
	assert_output --partial '"recommendations":[],"count":0,'
}

@test "an empty input is an error, and the model is not replaced" {
	head -n 1 rank.csv > "$BATS_TEST_TMPDIR/h.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/h.aud" "$BATS_TEST_TMPDIR/h.csv"
	aud-rank --features "$F" -o "$M" "$I"
	cp "$M" "$BATS_TEST_TMPDIR/before.aud"
	run -1 --separate-stderr aud-rank --features "$F" -o "$M" "$BATS_TEST_TMPDIR/h.aud"
	assert_equal "$stderr" "aud-rank: $BATS_TEST_TMPDIR/h.aud: no interactions to rank"
	cmp "$M" "$BATS_TEST_TMPDIR/before.aud"
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "features of other interactions are refused: the fingerprints differ" {
	{ head -n 1 rank.csv; echo "9,12,cart,2022-12-31"; tail -n +2 rank.csv; } > "$BATS_TEST_TMPDIR/more.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/more.aud" "$BATS_TEST_TMPDIR/more.csv"
	run -1 --separate-stderr aud-rank --features "$F" -o "$M" "$BATS_TEST_TMPDIR/more.aud"
	assert_equal "$stderr" "aud-rank: $F: made from other interactions than $BATS_TEST_TMPDIR/more.aud (fingerprints $(fingerprint "$I") and $(fingerprint "$BATS_TEST_TMPDIR/more.aud")): run aud-features on $BATS_TEST_TMPDIR/more.aud"
	[ ! -e "$M" ]
	# The same rows prepared again, elsewhere, are the same interactions.
	cp rank.csv "$BATS_TEST_TMPDIR/again.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/again.aud" "$BATS_TEST_TMPDIR/again.csv"
	run -0 aud-rank --features "$F" -o "$M" "$BATS_TEST_TMPDIR/again.aud"
}

@test "the fingerprint: XXH3-64 of the records' bytes, in the trailer; features keep it" {
	run -0 fingerprint "$I"
	assert_output --regexp '^xxh3-64:[0-9a-f]{16}$'
	run -0 aud-cat -H "$F"
	assert_output --partial '"interactions_fingerprint":"'"$(fingerprint "$I")"'"'
	# Independently: msgpack-python finds the records, xxhsum hashes them.
	/usr/bin/python3 -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
	command -v xxhsum > /dev/null || skip "xxhsum (Debian xxhash) is not installed"
	/usr/bin/python3 - "$I" > "$BATS_TEST_TMPDIR/records" <<'PY'
import sys, msgpack
data = open(sys.argv[1], 'rb').read()
u = msgpack.Unpacker(raw=True, strict_map_key=False)
u.feed(data)
u.unpack()                          # the header
start = u.tell()
while isinstance(u.unpack(), list):  # records, up to the trailer map
    end = u.tell()
sys.stdout.buffer.write(data[start:end])
PY
	run -0 xxhsum -H3 < "$BATS_TEST_TMPDIR/records"
	assert_output "XXH3 (stdin) = $(fingerprint "$I" | cut -d: -f2)"
}

@test "--score expected_purchases ranks by the return model's column" {
	local dir="$SHARED_DATA/cdnow"
	[ -r "$dir/CDNOW_sample.txt" ] || skip "$dir is not here"
	awk '{ print $2 ",1," $3 }' "$dir/CDNOW_sample.txt" > "$BATS_TEST_TMPDIR/cd.csv"
	aud-prepare -q --no-header --customer-col 1 --product-col 2 --time-col 3 \
		--time-format '%Y%m%d' --event-value purchased -o "$BATS_TEST_TMPDIR/cd.aud" "$BATS_TEST_TMPDIR/cd.csv"
	aud-features --return-model mbgnbd --calibration-end 1997-09-30T00:00:00Z \
		-o "$BATS_TEST_TMPDIR/cdf.aud" "$BATS_TEST_TMPDIR/cd.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/cdf.aud" --score expected_purchases -o "$M" "$BATS_TEST_TMPDIR/cd.aud"
	# The cold-start list's head: the largest expected purchases, ties by id.
	local want
	want=$(aud-cat -F csv "$BATS_TEST_TMPDIR/cdf.aud" | awk -F, 'NR > 1 { print $18 "," $1 }' |
		sort -t, -k1,1gr -k2,2 | head -n 3 | awk -F, '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }')
	run -0 bash -c "aud-query -q -m '$M' -n 3 99 | awk -F, 'NR > 1 { printf \"%s%s\", (NR > 2 ? \" \" : \"\"), \$3 }'"
	assert_output "$want"
	run -0 bash -c "aud-query -q -m '$M' -n 1 99 | tail -n 1 | cut -d, -f6"
	assert_output "expected_purchases"
	run -1 --separate-stderr aud-rank --features "$F" --score p_alive -o "$M" "$I"
	assert_equal "$stderr" "aud-rank: $F: the features stream has no field \"p_alive\""
}

@test "who comes back: each score's top customers, the share seen again, checked by hand" {
	# comeback.csv: 8 training rows (5 customers; 1 bought four times),
	# then 1 buys again and a new customer 9 buys: 1 of 5 came back (0.2).
	# The top 1% to 20% of 5 customers is 1 customer (rounded up): the
	# most active, 1, who came back: rate 1, Wilson 0.2065... to 1, lift 5.
	run -0 bash -c "aud-prepare -q comeback.csv | aud-rank --eval | jq -c '.come_back | [.customers, .base_rate, .activity[\"20%\"]]'"
	assert_output '[5,0.2,{"customers":1,"returned":1,"rate":1,"rate_ci95":[0.20654931437723745,1],"lift":5,"lift_ci95":[1.0327465718861872,5]}]'
	# No product gained a new customer: the text says so after the
	# come-back table instead of a table of zeros.
	run -0 bash -c "aud-prepare -q comeback.csv | aud-rank --eval --text | tail -n 1"
	assert_output 'No product can be evaluated: none gained a new customer who was a training customer.'
}

@test "who comes back on CDNOW (no products): MBG/NBD's top tenth returns most" {
	local dir="$SHARED_DATA/cdnow"
	[ -r "$dir/CDNOW_sample.txt" ] || skip "$dir is not here"
	awk '{ print $2 ",1," $3 }' "$dir/CDNOW_sample.txt" |
		aud-prepare -q --no-header --customer-col 1 --product-col 2 --time-col 3 \
		--time-format '%Y%m%d' --event-value purchased -o "$BATS_TEST_TMPDIR/cd.aud"
	# 2,357 customers, 566 seen again after the split (1997-12-07); of the
	# top 236 by each score, engagement's 56 return, activity's 144,
	# MBG/NBD's 176 (74.6%, 95% Wilson 68.7% to 79.7%).
	run -0 bash -c "aud-rank --eval '$BATS_TEST_TMPDIR/cd.aud' | jq -c '.come_back | [.customers, (.base_rate * 2357 | round), (.engagement[\"10%\"] | [.customers, .returned]), .activity[\"10%\"].returned, (.mbgnbd[\"10%\"] | [.returned, (.rate_ci95 | map(. * 1000 | round))])]'"
	assert_output '[2357,566,[236,56],144,[176,[687,797]]]'
}
