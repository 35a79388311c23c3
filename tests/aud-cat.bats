#!/usr/bin/env bats
# aud-cat: any stream as text; and how every reader treats a damaged stream.

setup() {
	load test_helper
	cd "$FIXTURES"
	prepare_to orders.aud orders.csv
	S="$BATS_TEST_TMPDIR/orders.aud"
}

# A stream written by hand: format version $1, kind "x", one int field "a".
handmade() {
	printf '\x85\xa6format\xaaaud-stream\xa7version'
	printf "\\x$(printf %02x "$1")"
	printf '\xa4kind\xa1x\xa6fields\x91\xa1a\xa5types\x91\xa3int'
	printf '\x91\x07\x81\xa7records\x01'
}

@test "--help and --version exit 0" {
	run -0 aud-cat --help
	assert_line --partial "Usage: aud-cat [-H | --fingerprint] [--format jsonl|csv|tsv] [--raw] [-o FILE] [STREAM|-]"
	run -0 aud-cat --version
	assert_output --regexp '^aud-cat [0-9.]+$'
}

@test "a bad --format is a usage error" {
	run -2 --separate-stderr aud-cat --format xml "$S"
	assert_equal "${stderr_lines[0]}" 'aud-cat: --format: expected jsonl, csv or tsv, got "xml"'
}

@test "TSV output: tabs between fields, a field holding a tab quoted" {
	printf 'customer_id,product_id,event,event_date,product_name\n1,2,cart,2023-01-01,"a\tb"\n' > "$BATS_TEST_TMPDIR/t.csv"
	aud-prepare -q -o "$BATS_TEST_TMPDIR/t.aud" "$BATS_TEST_TMPDIR/t.csv"
	run -0 aud-cat -F tsv "$BATS_TEST_TMPDIR/t.aud"
	assert_output "$(printf 'customer_id\tproduct_id\tevent\ttime\tproduct_name\n1\t2\tcart\t2023-01-01T00:00:00Z\t"a\tb"')"
}

@test "CSV output quotes what needs quoting and leaves nil empty" {
	run -0 aud-cat --format csv "$S"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
C-9,100,cart,2022-10-01T09:00:00Z,"Mug, blue"
17,100,cart,2022-10-01T10:00:00Z,
17,100,purchased,2022-10-01T10:05:00Z,
007,101,wishlist,2022-10-02T08:00:00Z,"Say ""hi"""
-5,102,rating,2022-10-02T08:00:00Z,"Two
lines"
12345678901234567890,102,rating,2022-10-02T08:00:00Z,
OUT
}

@test "--raw shows times in milliseconds and events as numbers" {
	run -0 aud-cat --raw "$S"
	assert_line --index 0 '{"customer_id":"C-9","product_id":100,"event":0,"time":1664614800000,"product_name":"Mug, blue"}'
}

@test "a stream of another kind is shown too" {
	handmade 1 > "$BATS_TEST_TMPDIR/x.aud"
	run -0 aud-cat "$BATS_TEST_TMPDIR/x.aud"
	assert_output '{"a":7}'
}

@test "a newer format version is refused" {
	handmade 6 > "$BATS_TEST_TMPDIR/v6.aud"
	run -1 --separate-stderr aud-cat "$BATS_TEST_TMPDIR/v6.aud"
	assert_equal "$stderr" "aud-cat: $BATS_TEST_TMPDIR/v6.aud: stream format version 6 is newer than this aud understands (5)"
}

@test "text is not a stream" {
	run -1 --separate-stderr aud-cat orders.csv
	assert_equal "$stderr" "aud-cat: orders.csv: not an aud stream (no header)"
}

@test "empty input is not a stream" {
	run -1 --separate-stderr aud-cat /dev/null
	assert_equal "$stderr" "aud-cat: /dev/null: empty input, not an aud stream"
}

@test "a stream cut at a record boundary is an error, not a short stream" {
	# The trailer is 47 bytes: {"records": 6, "fingerprint": "xxh3-64:..."}
	head -c -47 "$S" > "$BATS_TEST_TMPDIR/cut.aud"
	run -1 --separate-stderr aud-cat "$BATS_TEST_TMPDIR/cut.aud"
	assert_equal "$stderr" "aud-cat: $BATS_TEST_TMPDIR/cut.aud: byte $(( $(stat -c %s "$S") - 47 )): truncated: the stream ends without its trailer after 6 records"
	assert_equal "${#lines[@]}" 6
}

@test "a stream cut inside a record is an error naming the record's byte" {
	head -c -49 "$S" > "$BATS_TEST_TMPDIR/cut.aud"
	run -1 --separate-stderr aud-cat "$BATS_TEST_TMPDIR/cut.aud"
	assert_regex "$stderr" "^aud-cat: $BATS_TEST_TMPDIR/cut.aud: byte [0-9]+: truncated: input ends inside an object$"
}

@test "a record changed after it was written is caught by the fingerprint" {
	# A customer id's digit changed: still msgpack, still a valid record.
	python3 - "$S" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
at = b.rindex(b'12345678901234567890')         # the last record's customer
b[at + 19] = ord('1')                           # is now ...7891
open(p + '.bad', 'wb').write(b)
PY
	local trailer=$(( $(stat -c %s "$S") - 47 ))
	run -1 --separate-stderr aud-cat -o "$BATS_TEST_TMPDIR/out" "$S.bad"
	assert_equal "$stderr" "aud-cat: $S.bad: byte $trailer: the records do not match the trailer's fingerprint (the stream is corrupt)"
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
	run -1 --separate-stderr aud-features -o "$BATS_TEST_TMPDIR/out" "$S.bad"
	assert_equal "$stderr" "aud-features: $S.bad: byte $trailer: the records do not match the trailer's fingerprint (the stream is corrupt)"
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
	# The stream as written reads.
	run -0 aud-cat "$S"
}

@test "--fingerprint shows the trailer's; a stream without one is an error" {
	run -0 aud-cat --fingerprint "$S"
	assert_output --regexp '^xxh3-64:[0-9a-f]{16}$'
	aud-features -o "$BATS_TEST_TMPDIR/f.aud" "$S"
	run -1 --separate-stderr aud-cat --fingerprint "$BATS_TEST_TMPDIR/f.aud"
	assert_equal "$stderr" "aud-cat: $BATS_TEST_TMPDIR/f.aud: the stream has no fingerprint"
	run -2 aud-cat -H --fingerprint "$S"
}

@test "a stream cut anywhere is always an error" {
	local size i
	size=$(stat -c %s "$S")
	for i in $(seq 0 7 "$((size - 1))"); do
		head -c "$i" "$S" > "$BATS_TEST_TMPDIR/cut.aud"
		run aud-cat "$BATS_TEST_TMPDIR/cut.aud"
		[ "$status" -eq 1 ] || { echo "cut at $i: status $status"; return 1; }
	done
}

@test "a record of the wrong shape is an error" {
	# The handmade stream with its record [7] replaced by [7, 8].
	handmade 1 | sed 's/\x91\x07/\x92\x07\x08/' > "$BATS_TEST_TMPDIR/bad.aud"
	run -1 --separate-stderr aud-cat "$BATS_TEST_TMPDIR/bad.aud"
	assert_regex "$stderr" "byte [0-9]+: malformed record: not an array of 1 fields$"
}

@test "a time field that is not a number is an error" {
	printf '\x85\xa6format\xaaaud-stream\xa7version\x01\xa4kind\xa1x\xa6fields\x91\xa1t\xa5types\x91\xa4time\x91\xa3now\x81\xa7records\x01' > "$BATS_TEST_TMPDIR/t.aud"
	run -1 --separate-stderr aud-cat "$BATS_TEST_TMPDIR/t.aud"
	assert_equal "$stderr" "aud-cat: $BATS_TEST_TMPDIR/t.aud: byte 57: field \"t\" is not a valid time"
}

@test "a closed pipe ends quietly" {
	run -0 --separate-stderr bash -c "aud-cat '$S' | head -n 1"
	assert_equal "$stderr" ""
	assert_output --partial '"customer_id":"C-9"'
}

@test "a full disk is an error" {
	run -1 --separate-stderr bash -c "aud-cat '$S' > /dev/full"
	assert_equal "$stderr" "aud-cat: stdout: write error: No space left on device"
}

@test "-o writes the text atomically" {
	run -0 aud-cat -o "$BATS_TEST_TMPDIR/out.jsonl" "$S"
	assert_equal "$(wc -l < "$BATS_TEST_TMPDIR/out.jsonl")" 6
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "CSV output reads back as written: random awkward ids through prepare, cat --format csv, prepare" {
	local seed
	cd "$BATS_TEST_TMPDIR"
	for seed in 1 2 3; do
		python3 "$BATS_TEST_DIRNAME/roundtrip-ids.py" "$seed" 2000 > ids.csv
		aud-prepare -q -o a.aud ids.csv
		aud-cat --format csv -o a.csv a.aud
		aud-prepare -q --time-col time -o b.aud a.csv
		aud-cat -o a.jsonl a.aud
		aud-cat -o b.jsonl b.aud
		cmp a.jsonl b.jsonl
		# the generator's blank-edged ids are there to be kept
		grep -q '"customer_id":" ' a.jsonl
	done
}
