#!/usr/bin/env bats
# gen-lookalike: deterministic look-alike exports with the published profile.

setup() {
	load test_helper
}

@test "the same rows and seed give the same bytes; another seed does not" {
	gen-lookalike --rows 2000 --seed 7 -o "$BATS_TEST_TMPDIR/a.csv"
	gen-lookalike --rows 2000 --seed 7 > "$BATS_TEST_TMPDIR/b.csv"
	gen-lookalike --rows 2000 --seed 8 -o "$BATS_TEST_TMPDIR/c.csv"
	cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
	! cmp -s "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/c.csv"
}

@test "it writes exactly --rows rows in the marketplace schema" {
	gen-lookalike --rows 1234 -o "$BATS_TEST_TMPDIR/a.csv"
	run -0 head -n 1 "$BATS_TEST_TMPDIR/a.csv"
	assert_output "index,customer_id,product_id,event,event_date,product_name"
	run -0 aud-prepare -o "$BATS_TEST_TMPDIR/a.aud" "$BATS_TEST_TMPDIR/a.csv"
	assert_line --index 0 "aud-prepare: $BATS_TEST_TMPDIR/a.csv: rows read: 1234"
}

@test "the data has the published profile (counted with awk)" {
	gen-lookalike --rows 100000 --seed 1 -o "$BATS_TEST_TMPDIR/l.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/l.aud" "$BATS_TEST_TMPDIR/l.csv"
	aud-cat --format csv "$BATS_TEST_TMPDIR/l.aud" > "$BATS_TEST_TMPDIR/l.clean"
	# rows per customer, one-time share, products per row, event shares
	run -0 awk -F, 'NR > 1 { rows++; c[$1]++; p[$2]; e[$3]++ }
		END {
			for (k in c) { n++; if (c[k] == 1) one++ }
			for (k in p) np++
			printf "customers/row %.2f one-time %.1f products/row %.2f cart %.0f purchased %.0f\n",
				n / rows, 100 * one / n, np / rows, 100 * e["cart"] / rows, 100 * e["purchased"] / rows
		}' "$BATS_TEST_TMPDIR/l.clean"
	assert_output "customers/row 0.87 one-time 88.9 products/row 0.40 cart 61 purchased 33"
}

@test "a bad --rows is a usage error" {
	run -2 --separate-stderr gen-lookalike --rows 0
	assert_equal "${stderr_lines[0]}" 'gen-lookalike: --rows: expected 1 to 100000000, got "0"'
}
