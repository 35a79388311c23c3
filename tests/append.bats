#!/usr/bin/env bats
# aud-prepare --append: a new export folded into a stream, as if prepared at once.

setup() {
	load test_helper
	cd "$FIXTURES"
	prepare_to old.aud --bot-threshold 3 append-old.csv
	# What preparing both exports at once gives, to compare with.
	{ cat append-old.csv; tail -n +2 append-new.csv; } >"$BATS_TEST_TMPDIR/both.csv"
}

@test "--append merges by time, drops duplicates across files and bots of both" {
	# c2's cart repeats an old row (dropped); c3 has 1 old and 3 new rows on
	# 2023-01-02, over 3: a bot, its old row and its product's name go; p2
	# keeps the old file's name and carries it on its first record, an old
	# one; at 10:00 the old row comes before the new one.
	run -0 aud-prepare -q --bot-threshold 3 --append "$BATS_TEST_TMPDIR/old.aud" \
		-o "$BATS_TEST_TMPDIR/new.aud" append-new.csv
	run -0 records "$BATS_TEST_TMPDIR/new.aud"
	assert_output - <<'JSON'
{"customer_id":"c1","product_id":"p1","event":"view","time":"2023-01-01T10:00:00Z","product_name":"Mug"}
{"customer_id":"c1","product_id":"p4","event":"view","time":"2023-01-01T10:00:00Z","product_name":"Spoon"}
{"customer_id":"c1","product_id":"p2","event":"view","time":"2023-01-01T11:00:00Z","product_name":"Plate"}
{"customer_id":"c4","product_id":"p2","event":"purchased","time":"2023-01-01T12:00:00Z","product_name":null}
{"customer_id":"c2","product_id":"p2","event":"cart","time":"2023-01-02T09:00:00Z","product_name":null}
JSON
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/new.aud"
	assert_output --partial '"dicts":{"event":["cart","purchased","view"]}'
	assert_output --partial '"appended_to":"'"$BATS_TEST_TMPDIR"'/old.aud"'
	assert_output --partial '"rows_read":10,"rows_filtered":0,"dropped":{"missing_customer":0,"missing_product":0,"missing_event":0,"bad_time":0,"duplicates":1,"bot_rows":4},"bot_customers":1,"bot_customer_ids":["c3"],"bot_product_labels":[["p3","Bowl",null]],"rows_written":5,"customers_written":3,"products_written":3,"first_time":"2023-01-01T10:00:00Z","last_time":"2023-01-02T09:00:00Z"}'
}

@test "--append gives the records and counts of preparing everything at once" {
	prepare_to both.aud --bot-threshold 3 "$BATS_TEST_TMPDIR/both.csv"
	prepare_to new.aud --bot-threshold 3 --append "$BATS_TEST_TMPDIR/old.aud" append-new.csv
	cmp <(records "$BATS_TEST_TMPDIR/both.aud") <(records "$BATS_TEST_TMPDIR/new.aud")
	counts() { aud-cat -H "$1" | sed 's/.*"time_format"//'; }
	assert_equal "$(counts "$BATS_TEST_TMPDIR/new.aud")" "$(counts "$BATS_TEST_TMPDIR/both.aud")"
}

@test "a new bot's later rows go too, and a stream can be appended to in place" {
	cd "$BATS_TEST_TMPDIR"
	printf 'customer_id,product_id,event,event_date\nc3,p9,view,2023-02-01T00:00:00Z\nc5,p9,view,2023-02-01T00:00:00Z\n' >day3.csv
	cp old.aud s.aud
	prepare_to s.aud --bot-threshold 3 --append s.aud "$FIXTURES/append-new.csv"
	prepare_to s.aud --bot-threshold 3 --append s.aud day3.csv
	run -0 records s.aud
	assert_line --index 5 '{"customer_id":"c5","product_id":"p9","event":"view","time":"2023-02-01T00:00:00Z","product_name":null}'
	refute_output --partial '"c3"'
	no_temporaries .
}

@test "--append reports the stream's counts after the CSV's" {
	run -0 --separate-stderr aud-prepare --bot-threshold 3 --append "$BATS_TEST_TMPDIR/old.aud" \
		-o "$BATS_TEST_TMPDIR/new.aud" append-new.csv
	assert_equal "${stderr_lines[-1]}" "aud-prepare: with $BATS_TEST_TMPDIR/old.aud: 5 interactions, 3 customers, 3 products (of all rows: 1 exact duplicates, 1 bot-like customers)"
}

@test "--append refuses what it cannot merge, in one line, leaving no output" {
	cd "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr aud-prepare -q --append missing.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: missing.aud: No such file or directory"
	run -1 --separate-stderr aud-prepare -q --append old.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: old.aud: prepared with --bot-threshold 3: append with the same"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --category-col product_name \
		--append old.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: old.aud: has no categories, the new rows have them (--category-col)"
	prepare_to 's%d.aud' --bot-threshold 3 --shards 2 "$FIXTURES/append-old.csv"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --append s0.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: s0.aud: is one shard: append to the stream of all customers"
	aud-features -q -o f.aud old.aud
	run -1 --separate-stderr aud-prepare -q --append f.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: f.aud: a stream of features, expected interactions"
	export FIXTURES
	run -1 --separate-stderr bash -c 'cat old.aud | aud-prepare -q --bot-threshold 3 \
		--append /dev/stdin -o out.aud "$FIXTURES/append-new.csv"'
	assert_equal "$stderr" "aud-prepare: /dev/stdin: not a regular file (it is read more than once)"
	[ ! -e out.aud ]
	no_temporaries .
}

@test "a stream without the bot list, from an older aud-prepare, is refused" {
	cd "$BATS_TEST_TMPDIR"
	# The bot list taken out of the header, as older streams were written.
	aud-cat -H old.aud | grep -q '"bot_customer_ids":\[\],"bot_product_labels":\[\],'
	python3 - <<'PY'
import re
b = open("old.aud", "rb").read()
# fixmap/fixarray/fixstr keys: drop the two entries and lower the map count.
b = b.replace(b"\xb0bot_customer_ids\x90\xb2bot_product_labels\x90", b"")
i = b.index(b"\xaaprovenance") + len(b"\xaaprovenance")
b = b[:i] + bytes([b[i] - 2]) + b[i + 1:]
open("older.aud", "wb").write(b)
PY
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --append older.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: older.aud: written by an older aud-prepare, without its bots: prepare it again to append to it"
}

@test "--append excludes --shards and --dry-run" {
	run -2 --separate-stderr aud-prepare --append "$BATS_TEST_TMPDIR/old.aud" --shards 2 -o 'x%d.aud' append-new.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --append excludes --shards"
	run -2 --separate-stderr aud-prepare --append "$BATS_TEST_TMPDIR/old.aud" --dry-run append-new.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --append excludes --dry-run"
}
