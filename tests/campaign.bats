#!/usr/bin/env bats
# Campaign exports: aud-query --products, --exclude, --max-per-customer,
# --holdout/--salt and the provenance sidecar.
#
# The model: tests/fixtures/category.csv (see tests/category.bats), the
# co-occurrence model with --top-n 2, so it holds 6 customers a product
# (--depth 3 N). Its audiences, all 6 places:
#   10: 8 (1.2725), 7 (0.272), 5 (0.81), 4 (0.8), 6 (0.215)
#   11: 3 (1.269), 7 (0.272), 5 (0.81), 4 (0.8), 6 (0.215)
#   12: 2 (0.5785), 1 (0.5775), 8 (0.2725), 3 (0.269), 5 (0.81), 4 (0.8)
#   20: 2 (0.785), 1 (0.775), 8 (0.225), 7 (0.22), 3 (0.19)
#   21: 6 (1.2715), 2 (0.785), 1 (0.775), 8 (0.225), 7 (0.22), 3 (0.19)

setup() {
	load test_helper
	category_fixture --top-n 2
	cd "$BATS_TEST_TMPDIR"
}

@test "the model holds 3 N customers a product; -n reaches them all" {
	run -0 bash -c "aud-query -m '$M' --info | jq -c '[.top_n, .depth]'"
	assert_output '[2,6]'
	run -0 bash -c "aud-query -m '$M' 12 | wc -l"
	assert_output 3
	run -0 bash -c "aud-query -m '$M' -n 6 12 | tail -n 1"
	assert_output '12,6,4,0.7999999999999999,model,engagement,Soup Bowl'
	run -2 --separate-stderr aud-query -m "$M" -n 7 12
	assert_equal "$stderr" 'aud-query: -n: this model holds 6 customers per product, not 7'
}

@test "--exclude: a suppressed customer is never exported, the next one takes the place" {
	printf 'customer_id,why\n8,opted out\n"2",asked\n' > ex.csv
	run -0 aud-query -m "$M" --exclude ex.csv 10 12 20
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
10,1,7,0.272,model,category:Kitchen,Blue Mug
10,2,5,0.8099999999999999,model,engagement,Blue Mug
12,1,1,0.5775,model,category:Kitchen,Soup Bowl
12,2,3,0.269,model,category:Kitchen,Soup Bowl
20,1,1,0.7749999999999999,model,engagement,Spade
20,2,7,0.22,model,engagement,Spade
OUT
	# One id a line works too, and so does standard input.
	printf '8\n2\n' | aud-query -m "$M" --exclude - 10 12 20 > b.csv
	run -0 aud-query -m "$M" --exclude ex.csv 10 12 20
	assert_output "$(cat b.csv)"
}

@test "--max-per-customer 1: places best first over all products, refilled from the next" {
	# The product whose next candidate scores highest takes it (ties: the
	# product listed first): 10 takes 8, 21 takes 6, 11 takes 3, 20 takes 2
	# and 1 (tied with 21, listed first); 21's 2 and 1 and 12's 2, 1, 8
	# are taken, so 10 takes 7 (tied with 11's 7, listed first), 11 goes
	# on to 5, 12 past 3 and 5 to 4; then nothing is left for 12 and 21.
	run -0 --separate-stderr aud-query -m "$M" --max-per-customer 1 10 11 12 20 21
	assert_output - <<'OUT'
product_id,rank,customer_id,score,source,reason,product_name
10,1,8,1.2725,model,similar:11,Blue Mug
10,2,7,0.272,model,category:Kitchen,Blue Mug
11,1,3,1.269,model,similar:10,Tea Pot
11,2,5,0.8099999999999999,model,engagement,Tea Pot
12,1,4,0.7999999999999999,model,engagement,Soup Bowl
20,1,2,0.7849999999999999,model,engagement,Spade
20,2,1,0.7749999999999999,model,engagement,Spade
21,1,6,1.2715,model,similar:20,Rake
OUT
	assert_equal "$stderr" 'aud-query: 2 of 10 places could not be filled: no candidate left among the customers the model holds a product'
	# No customer is in more than one audience.
	run -0 bash -c "aud-query -q -m '$M' --max-per-customer 1 10 11 12 20 21 | tail -n +2 | cut -d, -f3 | sort | uniq -d"
	assert_output ""
	run -0 bash -c "aud-query -q -m '$M' --max-per-customer 2 -n 6 10 11 12 20 21 | tail -n +2 | cut -d, -f3 | sort | uniq -c | awk '\$1 > 2'"
	assert_output ""
}

@test "--products: a file of ids, a CSV's first column, or standard input" {
	printf '12\n10\n' > p.txt
	printf 'product_id,note\n"12",x\n10,y\n' > p.csv
	aud-query -m "$M" 12 10 > args.csv
	run -0 aud-query -m "$M" --products p.txt
	assert_output "$(cat args.csv)"
	run -0 aud-query -m "$M" --products p.csv
	assert_output "$(cat args.csv)"
	run -0 bash -c "aud-query -m '$M' --products - < p.txt"
	assert_output "$(cat args.csv)"
	printf 'product\n12\n10\n' > h.txt
	run -0 aud-query -m "$M" --products h.txt --header
	assert_output "$(cat args.csv)"
	printf '12\nabc\n' > bad.txt
	run -1 --separate-stderr aud-query -m "$M" --products bad.txt
	assert_equal "$stderr" "aud-query: bad.txt:2: malformed product id \"abc\": this model's product ids are integers"
	run -1 --separate-stderr aud-query -m "$M" --products nothing.txt
	assert_equal "$stderr" "aud-query: nothing.txt: No such file or directory"
	run -2 aud-query -m "$M" --products p.txt 10
	run -2 aud-query -m "$M" --products p.txt --all
}

@test "--holdout: groups by a keyed hash, the same whatever the order, checked with xxhsum" {
	run -0 --separate-stderr aud-query -m "$M" -n 6 --holdout 40 --salt spring 10 12 21
	assert_line --index 0 'product_id,rank,customer_id,score,source,reason,product_name,group'
	# Each row's group is xxhsum -H3 of "spring\0PRODUCT\0CUSTOMER" against
	# 0.4 * 2^64 (0x6666666666666666.66...), computed apart.
	echo "$output" | tail -n +2 | while IFS=, read -r p rank c score source reason name group; do
		h=$(printf '%s\0%s\0%s' spring "$p" "$c" | xxhsum -H3 | awk '{ print $NF }')
		want=target
		# 16 hex digits each: their order is the numbers'.
		[[ $h < 6666666666666667 ]] && want=control
		[ "$group" = "$want" ] || { echo "$p $c: $group, expected $want ($h)"; return 1; }
	done
	controls=$(echo "$output" | grep -c ',control$')
	[ "$controls" -gt 0 ] && [ "$controls" -lt 17 ]
	# Another order, another product beside: the same groups.
	run -0 bash -c "aud-query -q -m '$M' -n 6 --holdout 40 --salt spring 21 20 10 12 | grep -v '^20,' | sort"
	assert_output "$(aud-query -q -m "$M" -n 6 --holdout 40 --salt spring 10 12 21 | sort)"
	run -0 aud-query -m "$M" -n 1 -F jsonl --holdout 40 --salt spring 10
	assert_output --partial '"reason":{"kind":"similar","product_id":11,"product_name":"Tea Pot"},"group":"target"}'
	run -2 --separate-stderr aud-query -m "$M" --holdout 10 12
	assert_equal "${stderr_lines[0]}" 'aud-query: --holdout and --salt go together'
	run -2 aud-query -m "$M" --holdout 100 --salt s 12
	run -2 aud-query -m "$M" --holdout 10 --salt s -F msgpack -f 12
}

@test "-o writes the export and its provenance sidecar, atomically; --provenance names it" {
	# Without 8 (a candidate of 10, 12, 20 and 21), under a cap of 1, 10,
	# 11 and 21 run out of candidates after their first.
	printf '8\n' > ex.txt
	run -0 aud-query -q -m "$M" --exclude ex.txt --max-per-customer 1 --holdout 40 \
		--salt spring -o c.csv 10 11 12 20 21
	[ -s c.csv ] && [ -s c.csv.json ]
	run -0 jq -c '[.tool, .export, .model.path, .model.metadata.depth, .options, .counts]' c.csv.json
	assert_output '["aud-query","c.csv","'"$M"'",6,{"top":2,"format":"csv","products":null,"exclude":"ex.txt","max_per_customer":1,"holdout":40,"salt":"spring"},{"products":5,"places":10,"unfilled":3,"controls":'"$(grep -c ',control$' c.csv)"',"excluded_customers":1,"candidates_suppressed":4}]'
	run -0 jq -r '.time' c.csv.json
	assert_output --regexp '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
	run -0 bash -c "aud-query -m '$M' --exclude ex.txt --provenance p.json 10 > out.csv"
	run -0 jq -c '.export' p.json
	assert_output 'null'
	# No sidecar for a plain export, and no temporary file left.
	aud-query -m "$M" -o plain.csv 10
	[ ! -e plain.csv.json ]
	no_temporaries .
	run -2 aud-query -m "$M" --provenance p.json 10
}
