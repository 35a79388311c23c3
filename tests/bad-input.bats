#!/usr/bin/env bats
# The bad-input catalogue: whatever aud is fed, it answers with a correct
# result or one clear error line and a documented status (1 data, 2 usage),
# and never leaves an output file or a temporary behind.

setup() {
	load test_helper
	cd "$BATS_TEST_TMPDIR"
	OUT=$BATS_TEST_TMPDIR/out
	H='customer_id,product_id,event,event_date'
	(cd "$FIXTURES" && aud-prepare -q -o "$BATS_TEST_TMPDIR/i.aud" rank.csv)
}

# rejects STATUS MESSAGE CMD...: CMD fails with STATUS; the first line of its
# standard error is MESSAGE, the only line for a data error (a usage error
# goes on with the synopsis); nothing on standard output; $OUT not written.
rejects() {
	local status=$1 message=$2
	shift 2
	run -"$status" --separate-stderr "$@"
	assert_equal "${stderr_lines[0]}" "$message"
	if [ "$status" -eq 1 ]; then
		assert_equal "${#stderr_lines[@]}" 1
	else
		assert_equal "${stderr_lines[-1]}" "Try '${1##*/} --help' for more information."
	fi
	assert_equal "$output" ""
	[ ! -e "$OUT" ] || { echo "$OUT was written"; return 1; }
	no_temporaries "$BATS_TEST_TMPDIR"
}

# csv LINES...: a CSV file with the standard header and these rows.
csv() {
	{ echo "$H"; printf '%s\n' "$@"; } > in.csv
}

# --- CSV into aud-prepare -----------------------------------------------

@test "an empty file" {
	: > in.csv
	rejects 1 "aud-prepare: in.csv: empty input, no header" aud-prepare -o "$OUT" in.csv
}

@test "a header only gives an empty stream, not an error" {
	csv
	run -0 aud-prepare -q -o "$OUT" in.csv
	run -0 aud-cat "$OUT"
	assert_output ""
}

@test "rows of which none survives: one line naming the cause" {
	csv 1,1,cart,yesterday 2,2,cart,today
	rejects 1 "aud-prepare: in.csv: no row survived: 2 of 2 rows have a bad time for --time-format 'iso' (first, line 2: \"yesterday\")" \
		aud-prepare -q -o "$OUT" in.csv
}

@test "an empty stream is refused by every tool that needs interactions" {
	csv
	aud-prepare -q -o empty.aud in.csv
	aud-features -o f.aud i.aud
	rejects 1 "aud-features: empty.aud: no interactions to compute features from" aud-features -o "$OUT" empty.aud
	rejects 1 "aud-rank: empty.aud: no interactions to rank" aud-rank --features f.aud -o "$OUT" empty.aud
	rejects 1 "aud-rank: empty.aud: no interactions to evaluate" aud-rank --eval -o "$OUT" empty.aud
	rejects 1 "aud-cf-check: empty.aud: no interactions to check" aud-cf-check -o "$OUT" empty.aud
	rejects 1 "aud-explore: empty.aud: no interactions to profile" aud-explore -o "$OUT" empty.aud
}

@test "a missing required column" {
	printf 'customer_id,product_id,event\n1,2,cart\n' > in.csv
	rejects 1 'aud-prepare: in.csv:1: no column "event_date" in the header: customer_id,product_id,event (see --time-col)' \
		aud-prepare -o "$OUT" in.csv
}

@test "a column number past the header's width" {
	csv 1,1,cart,2023-01-01
	rejects 1 "aud-prepare: in.csv: no column 99: the header has 4 columns" \
		aud-prepare -o "$OUT" --customer-col 99 in.csv
	rejects 1 "aud-prepare: in.csv: no column 99: the header has 4 columns" \
		aud-prepare -o "$OUT" --name-col 99 in.csv
}

@test "--no-header with default positions on a 4-column file" {
	printf '1,1,cart,2023-01-01\n' > in.csv
	rejects 1 "aud-prepare: in.csv: no column 5: the first row has 4 columns" \
		aud-prepare -o "$OUT" --no-header in.csv
}

@test "a byte order mark is skipped: the first column keeps its name" {
	printf '\xef\xbb\xbf%s\n7,2,cart,2023-01-01\n' "$H" > in.csv
	run -0 bash -c "aud-prepare -q in.csv | aud-cat --format csv | tail -n 1"
	assert_output "7,2,cart,2023-01-01T00:00:00Z,"
}

@test "CRLF line ends are read like LF" {
	printf '%s\r\n7,2,cart,2023-01-01\r\n' "$H" > in.csv
	run -0 bash -c "aud-prepare -q in.csv | aud-cat --format csv | tail -n 1"
	assert_output "7,2,cart,2023-01-01T00:00:00Z,"
}

@test "a quoted field with a newline keeps the line numbers right" {
	printf 'customer_id,product_id,event,event_date,product_name\n1,2,cart,2023-01-01,"two\nlines"\n1,2,cart,2023-13-01,x\n' > in.csv
	rejects 1 'aud-prepare: in.csv:4: bad timestamp "2023-13-01"' aud-prepare --strict -o "$OUT" in.csv
}

@test "an unterminated quote" {
	csv '1,2,cart,"2023-01-01'
	rejects 1 "aud-prepare: in.csv:2: malformed CSV: unterminated quoted field" aud-prepare -o "$OUT" in.csv
}

@test "a NUL byte" {
	printf '%s\n1,2\0,cart,2023-01-01\n' "$H" > in.csv
	rejects 1 "aud-prepare: in.csv:2: NUL byte in a field" aud-prepare -o "$OUT" in.csv
}

@test "invalid UTF-8 in a name is kept, and shown as U+FFFD in JSON" {
	printf 'customer_id,product_id,event,event_date,product_name\n1,2,cart,2023-01-01,caf\xe9\n' > in.csv
	run -0 bash -c "aud-prepare -q in.csv | aud-cat | jq -r .product_name"
	assert_output "caf�"
}

@test "a 1 MiB field is kept whole" {
	{ echo "$H"; printf '1,'; head -c 1048576 /dev/zero | tr '\0' x; echo ',cart,2023-01-01'; } > in.csv
	run -0 bash -c "aud-prepare -q in.csv | aud-cat --format csv | tail -n 1 | cut -d, -f2 | wc -c"
	assert_output 1048577
}

@test "a 20-digit id is a string id, a negative one an integer" {
	csv '12345678901234567890,-5,cart,2023-01-01'
	run -0 bash -c "aud-prepare -q in.csv | aud-cat"
	assert_output '{"customer_id":"12345678901234567890","product_id":-5,"event":"cart","time":"2023-01-01T00:00:00Z","product_name":null}'
}

@test "a row without a customer, with --strict" {
	csv ',2,cart,2023-01-01'
	rejects 1 "aud-prepare: in.csv:2: no customer id" aud-prepare --strict -o "$OUT" in.csv
}

@test "a row without an event, with --strict" {
	csv '1,2,,2023-01-01'
	rejects 1 "aud-prepare: in.csv:2: no event" aud-prepare --strict -o "$OUT" in.csv
}

# A bad timestamp with --strict: one test each.
bad_time() {
	csv "1,2,cart,$1"
	rejects 1 "aud-prepare: in.csv:2: bad timestamp \"$1\"" aud-prepare --strict -o "$OUT" in.csv
}

@test "timestamp: month 13" { bad_time 2023-13-01; }
@test "timestamp: day 32" { bad_time 2023-01-32; }
@test "timestamp: 29 February of a common year" { bad_time 2023-02-29; }
@test "timestamp: hour 24" { bad_time 2023-01-01T24:00:00; }
@test "timestamp: minute 60" { bad_time 2023-01-01T12:60:00; }
@test "timestamp: an offset of 25 hours" { bad_time 2023-01-01T10:00:00+25:00; }
@test "timestamp: year 0" { bad_time 0000-01-01; }
@test "timestamp: empty" { bad_time ""; }
@test "timestamp: an offset without its minutes" { bad_time 2023-01-01T10:00:00+05:; }
@test "timestamp: words" { bad_time yesterday; }

@test "without --strict a bad timestamp drops the row, and says so" {
	csv '1,2,cart,2023-01-01' '1,3,cart,2023-13-45'
	run -0 --separate-stderr aud-prepare -o "$OUT" in.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: in.csv:3: bad timestamp "2023-13-45" (row dropped)'
	assert_regex "$stderr" "aud-prepare: dropped, bad time: 1"
	run -0 bash -c "aud-cat '$OUT' | wc -l"
	assert_output 1
}

@test "a delimiter that cannot be one" {
	csv 1,1,cart,2023-01-01
	rejects 2 'aud-prepare: --delimiter: expected one character, tab or whitespace, got """' \
		aud-prepare --delimiter '"' -o "$OUT" in.csv
}

@test "a filter on a column that is not there" {
	csv 1,1,cart,2023-01-01
	rejects 2 'aud-prepare: --keep-if: no column "country" in the header; the columns are: customer_id,product_id,event,event_date' \
		aud-prepare --keep-if country=France -o "$OUT" in.csv
}

@test "every row filtered out" {
	csv 1,1,cart,2023-01-01
	rejects 1 "aud-prepare: in.csv: no row survived: 1 of 1 rows were filtered out by --keep-if and --drop-if" \
		aud-prepare -q --drop-if 'event=c*' -o "$OUT" in.csv
}

@test "features of other interactions" {
	csv 1,1,cart,2023-01-01 2,1,cart,2023-01-02
	aud-prepare -q -o other.aud in.csv
	aud-features -o f.aud i.aud
	rejects 1 "aud-rank: f.aud: made from other interactions than other.aud (fingerprints $(fingerprint i.aud) and $(fingerprint other.aud)): run aud-features on other.aud" \
		aud-rank --features f.aud -o "$OUT" other.aud
}

@test "a product the model does not have, under --no-fallback" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	rejects 1 'aud-query: argument 1: product "77" is not in the model (--no-fallback)' \
		aud-query -m m.aud --no-fallback -o "$OUT" 77
}

# --- record streams ------------------------------------------------------

@test "a stream of the wrong kind" {
	aud-features -o f.aud i.aud
	rejects 1 "aud-explore: f.aud: a stream of features, expected interactions" aud-explore -o "$OUT" f.aud
}

@test "CSV where a stream belongs" {
	csv '1,2,cart,2023-01-01'
	rejects 1 "aud-features: in.csv: not an aud stream (no header)" aud-features -o "$OUT" in.csv
}

@test "a stream truncated at every record boundary is an error, never a short result" {
	local size cut bad=0
	size=$(stat -c %s i.aud)
	for cut in $(aud-cat --offsets i.aud 2>/dev/null || seq 1 $((size - 1))); do
		head -c "$cut" i.aud > cut.aud
		if aud-features -o "$OUT" cut.aud 2>/dev/null || [ -e "$OUT" ]; then
			echo "cut at byte $cut was accepted"; bad=1
		fi
	done
	[ "$bad" -eq 0 ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a stream truncated inside a record names the byte" {
	local size
	size=$(stat -c %s i.aud)
	head -c $((size - 12)) i.aud > cut.aud
	run -1 --separate-stderr aud-rank --eval -o "$OUT" cut.aud
	assert_regex "$stderr" '^aud-rank: cut.aud: byte [0-9]+: truncated: input ends inside an object$'
	[ ! -e "$OUT" ]
}

@test "a record claiming 2^32 values is truncated input, and nothing is allocated for the claim" {
	# a minimal header, then an array head claiming 4294967295 values
	printf '\x85\xa6format\xaaaud-stream\xa7version\x01\xa4kind\xacinteractions\xa6fields\x91\xa1a\xa5types\x91\xa2id\xdd\xff\xff\xff\xff\x01\x02' > huge.aud
	# msgpack-c would have asked for 96 GiB; ASan reserves terabytes of
	# address space for its shadow, so there the bound cannot apply.
	[ "$(basename "$AUD_BUILD")" = build-san ] || ulimit -v 1000000
	rejects 1 "aud-cat: huge.aud: byte 66: truncated: input ends inside an object" aud-cat -o "$OUT" huge.aud
}

@test "CR-only line ends are counted as lines" {
	printf '%s\r1,2,cart,2023-01-01\r1,2,cart,bad\r' "$H" > in.csv
	rejects 1 'aud-prepare: in.csv:3: bad timestamp "bad"' aud-prepare --strict -o "$OUT" in.csv
}

@test "a header claiming a newer format version" {
	printf '\x83\xa6format\xaaaud-stream\xa7version\x63\xa4kind\xacinteractions' > new.aud
	run -1 --separate-stderr aud-explore -o "$OUT" new.aud
	assert_regex "$stderr" '^aud-explore: new.aud: .*version 99'
	assert_equal "${#stderr_lines[@]}" 1
	[ ! -e "$OUT" ]
}

@test "a directory where a file belongs" {
	mkdir d
	rejects 1 "aud-cat: d: Is a directory" aud-cat -o "$OUT" d
}

@test "a file that does not exist" {
	rejects 1 "aud-cf-check: nosuch.aud: No such file or directory" aud-cf-check -o "$OUT" nosuch.aud
}

@test "a model with a corrupted index" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	# The file ends with the last index entry's offset (8 bytes), the key
	# "trailer_at" (11 bytes) and its uint 64 (9 bytes): point that entry
	# past the end of the file.
	local size
	size=$(stat -c %s m.aud)
	printf '\xff\xff\xff\x00\x00\x00\x00\x00' | dd of=m.aud bs=1 seek=$((size - 28)) conv=notrunc 2>/dev/null
	run -1 --separate-stderr aud-query -m m.aud -o "$OUT" 10 11 12
	assert_regex "$stderr" '^aud-query: m.aud: (corrupt model|not a usable model)'
	assert_equal "${#stderr_lines[@]}" 1
	[ ! -e "$OUT" ]
}

@test "a model whose category index points nowhere, or does not fit together" {
	category_fixture --top-n 2
	# The first posting of "category_postings" (a bin: 0xc4, its length,
	# then 8 bytes a product) pointed past every record.
	python3 - "$M" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
at = b.index(b'category_postings') + len('category_postings')
assert b[at] == 0xc4
b[at + 2:at + 10] = (2**40).to_bytes(8, 'little')
open(p + '.bad', 'wb').write(b)
# And a category index whose length is not a multiple of 12 entries.
at = b.index(b'category_index') + len('category_index')
assert b[at] == 0xc4 and b[at + 1] >= 12
b[at + 1] -= 1
b[at + 2 + b[at + 1]:at + 3 + b[at + 1]] = b''
open(p + '.short', 'wb').write(b)
PY
	rejects 1 "aud-query: $M.bad: corrupt model: no record at byte 1099511627776" \
		aud-query -m "$M.bad" --category Garden -o "$OUT"
	run -1 --separate-stderr aud-query -m "$M.short" -o "$OUT" 10
	assert_regex "$stderr" "^aud-query: $M.short: (not a usable model|corrupt model)"
	assert_equal "${#stderr_lines[@]}" 1
	# Known products do not read the category index: they still answer.
	run -0 aud-query -m "$M.bad" -n 1 10
	assert_line '10,1,8,1.2725,model,similar:11,Blue Mug'
}

@test "a model cut short" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	head -c 200 m.aud > short.aud
	rejects 1 "aud-query: short.aud: not a usable model: no readable header" aud-query -m short.aud -o "$OUT" 10
}

# --- numbers on the command line -----------------------------------------

@test "-n of 0, negative, huge and non-numeric" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	local n
	for n in 0 -1 99999999999999999999 abc; do
		rejects 2 "aud-query: -n: expected a whole number from 1, got \"$n\"" aud-query -m m.aud -n "$n" -o "$OUT" 10
	done
}

@test "--top-n of 0, negative, huge and non-numeric" {
	aud-features -o f.aud i.aud
	local n
	for n in 0 -1 10001 x; do
		rejects 2 "aud-rank: --top-n: expected 1 to 10000, got \"$n\"" aud-rank --features f.aud --top-n "$n" -o "$OUT" i.aud
	done
}

@test "--k of 0, negative, huge and non-numeric" {
	local k
	for k in 0 -3 10001 1e2; do
		rejects 2 "aud-rank: --k: expected 1 to 10000, at most 8 times, got \"$k\"" aud-rank --eval --k "$k" -o "$OUT" i.aud
		rejects 2 "aud-cf-check: --k: expected 1 to 10000, at most 8 times, got \"$k\"" aud-cf-check --k "$k" -o "$OUT" i.aud
	done
}

@test "--factors and --iterations of 0" {
	rejects 2 'aud-cf-check: --factors: expected 1 to 1024, got "0"' aud-cf-check --factors 0 -o "$OUT" i.aud
	rejects 2 'aud-cf-check: --iterations: expected 1 to 1000, got "0"' aud-cf-check --iterations 0 -o "$OUT" i.aud
}

@test "two inputs to any tool that reads one are a usage error" {
	aud-features -o f.aud i.aud
	rejects 2 "aud-cat: one input at most, got 2" aud-cat -o "$OUT" i.aud i.aud
	rejects 2 "aud-explore: one input at most, got 2" aud-explore -o "$OUT" i.aud i.aud
	rejects 2 "aud-features: one input at most, got 2" aud-features -o "$OUT" i.aud i.aud
	rejects 2 "aud-rank: one input at most, got 3" aud-rank --features f.aud -o "$OUT" i.aud i.aud i.aud
	rejects 2 "aud-cf-check: one input at most, got 2" aud-cf-check -o "$OUT" i.aud i.aud
}

@test "an option without its value, and an unknown option" {
	rejects 2 "aud-explore: option '--split-quantile' requires an argument" aud-explore -o "$OUT" i.aud --split-quantile
	rejects 2 "aud-features: unrecognized option '--nope'" aud-features --nope -o "$OUT" i.aud
}

# --- where the output goes -------------------------------------------------

@test "an unwritable -o path" {
	rejects 1 "aud-features: /nonexistent/dir/f.aud: No such file or directory" aud-features -o /nonexistent/dir/f.aud i.aud
}

@test "-o in a directory without write permission" {
	[ "$(id -u)" -ne 0 ] || skip "root may write anywhere"
	mkdir ro && chmod 555 ro
	rejects 1 "aud-features: ro/f.aud: Permission denied" aud-features -o ro/f.aud i.aud
}

@test "a full disk for standard output" {
	run -1 --separate-stderr bash -c 'aud-cat i.aud > /dev/full'
	assert_equal "$stderr" "aud-cat: stdout: write error: No space left on device"
}

@test "a full disk for -o" {
	run -1 --separate-stderr aud-explore -o /dev/full i.aud
	assert_equal "$stderr" "aud-explore: /dev/full: write error: No space left on device"
	[ -c /dev/full ]
}

@test "a binary stream is not written to a terminal" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "aud-query -m /dev/null --format msgpack 1 2>&1; aud-features i.aud" /dev/null
	assert_output --partial "aud-features: refusing to write a binary stream to a terminal (use -o FILE, a pipe, or --force)"
}

# --- HTTP ----------------------------------------------------------------

@test "HTTP: invalid percent-encoding, a NUL and garbage are 400, and the connection ends" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	local req
	for req in 'GET /recommend/%%zz HTTP/1.1\r\n\r\n' 'GET /health\0 HTTP/1.1\r\n\r\n' '\x16\x03\x01\x02\x00\x01\r\n\r\n'; do
		run -0 bash -c "printf '$req''GET /health HTTP/1.1\r\n\r\n' | aud-serve -m m.aud | tr -d '\r' | grep '^HTTP/'"
		assert_output "HTTP/1.1 400 Bad Request"
	done
}

@test "HTTP: a body is refused with 413" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	run -0 bash -c "printf 'POST /health HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd' | aud-serve -m m.aud | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 413 Content Too Large"
}

@test "HTTP: too many headers are 431" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	run -0 bash -c "{ printf 'GET /health HTTP/1.1\r\n'; for i in \$(seq 100); do printf 'X-%d: y\r\n' \$i; done; printf '\r\n'; } | aud-serve -m m.aud | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 431 Request Header Fields Too Large"
}

@test "HTTP: HTTP/2 and HTTP/0.9 are refused" {
	aud-features -o f.aud i.aud
	aud-rank --features f.aud -o m.aud i.aud
	run -0 bash -c "printf 'GET /health HTTP/2.0\r\n\r\n' | aud-serve -m m.aud | tr -d '\r' | head -n 1"
	assert_output "HTTP/1.1 505 HTTP Version Not Supported"
}

# --- a reader that goes away --------------------------------------------

@test "a reader that goes away early: every tool exits 0, and says nothing" {
	local c
	gen-lookalike --rows 30000 --seed 3 -o big.csv
	aud-prepare -q -o big.aud big.csv
	aud-features -o bigf.aud big.aud
	aud-rank --features bigf.aud -o bigm.aud big.aud
	for c in "aud-prepare -q big.csv" "aud-cat big.aud" "aud-cat -F csv big.aud" \
		"aud-features big.aud" "aud-rank --features bigf.aud big.aud" \
		"aud-query -m bigm.aud --all" "aud-query -m bigm.aud -F msgpack --all"; do
		run -0 --separate-stderr bash -c "$c | head -c 1 > /dev/null; exit \${PIPESTATUS[0]}"
		assert_equal "$c: $stderr" "$c: "
	done
}
