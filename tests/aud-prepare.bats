#!/usr/bin/env bats
# aud-prepare: CSV in, a clean interactions stream out.

setup() {
	load test_helper
	cd "$FIXTURES"
}

@test "--help prints the usage to stdout and exits 0" {
	run -0 aud-prepare --help
	assert_line --partial "Usage: aud-prepare [options] [-o FILE] [CSV|-]"
	assert_line --partial "--bot-threshold N"
	assert_line "Common options:"
}

@test "--version prints the name and version" {
	run -0 aud-prepare --version
	assert_output --regexp '^aud-prepare [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option is a usage error with status 2" {
	run -2 --separate-stderr aud-prepare --frobnicate orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: unrecognized option '--frobnicate'"
	assert_equal "${stderr_lines[2]}" "Try 'aud-prepare --help' for more information."
}

@test "a bad --bot-threshold is a usage error naming the value" {
	run -2 --separate-stderr aud-prepare --bot-threshold 12abc orders.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --bot-threshold: expected a whole number from 0, got "12abc"'
	run -2 aud-prepare --bot-threshold -1 orders.csv
}

@test "a bad --time-format is a usage error" {
	run -2 --separate-stderr aud-prepare --time-format unix orders.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --time-format: expected iso, epoch-s, epoch-ms or a strptime layout, got "unix"'
}

@test "two inputs are a usage error" {
	run -2 --separate-stderr aud-prepare orders.csv orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: one input at most, got 2"
}

@test "a missing input file is a data error naming it" {
	run -1 --separate-stderr aud-prepare -q nosuch.csv
	assert_equal "$stderr" "aud-prepare: nosuch.csv: No such file or directory"
}

@test "cleaning drops missing fields, bad times and duplicates, and sorts by time" {
	prepare_to out.aud orders.csv
	run -0 records "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
{"customer_id":"C-9","product_id":100,"event":"cart","time":"2022-10-01T09:00:00Z","product_name":"Mug, blue"}
{"customer_id":17,"product_id":100,"event":"cart","time":"2022-10-01T10:00:00Z","product_name":null}
{"customer_id":17,"product_id":100,"event":"purchased","time":"2022-10-01T10:05:00Z","product_name":null}
{"customer_id":"007","product_id":101,"event":"wishlist","time":"2022-10-02T08:00:00Z","product_name":"Say \"hi\""}
{"customer_id":-5,"product_id":102,"event":"rating","time":"2022-10-02T08:00:00Z","product_name":"Two\nlines"}
{"customer_id":"12345678901234567890","product_id":102,"event":"rating","time":"2022-10-02T08:00:00Z","product_name":null}
OUT
}

@test "every cleaning count is reported on stderr" {
	run -0 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/out.aud" orders.csv
	assert_equal "$output" ""
	assert_equal "$stderr" "$(cat <<'ERR'
aud-prepare: orders.csv:9: bad timestamp "2022-13-01 10:00:00" (row dropped)
aud-prepare: orders.csv: rows read: 12
aud-prepare: dropped, missing a field: 3 (customer 1, product 1, event 1)
aud-prepare: dropped, bad time: 1
aud-prepare: dropped, exact duplicates: 2
aud-prepare: dropped, bot-like customers: 0 (0 rows; over 1000 interactions in a UTC day)
aud-prepare: written: 6 interactions, 5 customers, 3 products
ERR
)"
}

@test "-q silences the report but not the output" {
	run -0 --separate-stderr aud-prepare -q -o "$BATS_TEST_TMPDIR/out.aud" orders.csv
	assert_equal "$stderr" ""
	[ -s "$BATS_TEST_TMPDIR/out.aud" ]
}

@test "the header carries kind, fields, event dictionary and provenance" {
	prepare_to out.aud orders.csv
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/out.aud"
	assert_output '{"format":"aud-stream","version":1,"kind":"interactions","fields":["customer_id","product_id","event","time","product_name"],"types":["id","id","enum","time","str?"],"dicts":{"event":["cart","purchased","rating","wishlist"]},"provenance":{"tool":"aud-prepare","tool_version":"0.1.0","source":"orders.csv","created":"1970-01-01T00:00:00Z","delimiter":",","filters":[],"event_map":{},"time_format":"iso","bot_threshold":1000,"rows_read":12,"rows_filtered":0,"dropped":{"missing_customer":1,"missing_product":1,"missing_event":1,"bad_time":1,"duplicates":2,"bot_rows":0},"bot_customers":0,"bot_customer_ids":[],"bot_product_labels":[],"rows_written":6,"customers_written":5,"products_written":3,"first_time":"2022-10-01T09:00:00Z","last_time":"2022-10-02T08:00:00Z"}}'
}

@test "only the first three bad times are shown, all are counted" {
	{
		echo "customer_id,product_id,event,event_date"
		for d in 2023-13-01 2023-02-30 "2023-01-01 24:00" "" 2023-01-01; do
			echo "1,2,cart,$d"
		done
	} > "$BATS_TEST_TMPDIR/bad.csv"
	run -0 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/bad.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/bad.csv:2: bad timestamp \"2023-13-01\" (row dropped)"
	assert_equal "${stderr_lines[2]}" "aud-prepare: $BATS_TEST_TMPDIR/bad.csv:4: bad timestamp \"2023-01-01 24:00\" (row dropped)"
	assert_equal "${stderr_lines[3]}" "aud-prepare: $BATS_TEST_TMPDIR/bad.csv: warning: 80.0% of rows dropped: 4 of 5 rows have a bad time for --time-format 'iso' (first, line 2: \"2023-13-01\")"
	assert_equal "${stderr_lines[6]}" "aud-prepare: dropped, bad time: 4"
}

@test "event names are trimmed and lower-cased into one dictionary entry" {
	printf 'customer_id,product_id,event,event_date\n1,2,"  CART\t",2023-01-01\n3,4,Cart,2023-01-02\n' > "$BATS_TEST_TMPDIR/ev.csv"
	prepare_to out.aud "$BATS_TEST_TMPDIR/ev.csv"
	run -0 aud-cat --raw "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
{"customer_id":1,"product_id":2,"event":0,"time":1672531200000,"product_name":null}
{"customer_id":3,"product_id":4,"event":0,"time":1672617600000,"product_name":null}
OUT
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/out.aud"
	assert_output --partial '"dicts":{"event":["cart"]}'
}

@test "a UTF-8 BOM, CRLF line ends and a quoted CRLF are read" {
	prepare_to out.aud bom-crlf.csv
	run -0 records "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
{"customer_id":1,"product_id":10,"event":"cart","time":"2022-10-01T00:00:00Z","product_name":"a\r\nb"}
{"customer_id":2,"product_id":10,"event":"purchased","time":"2022-10-01T00:00:01Z","product_name":null}
OUT
}

@test "other schemas map by column name, with epoch milliseconds" {
	prepare_to out.aud --customer-col visitorid --product-col itemid \
		--time-col timestamp --time-format epoch-ms events-ms.csv
	run -0 records "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
{"customer_id":257597,"product_id":355908,"event":"view","time":"2015-06-02T05:02:12.117Z","product_name":null}
{"customer_id":483574,"product_id":253185,"event":"transaction","time":"2015-06-02T05:12:35.914Z","product_name":null}
{"customer_id":111016,"product_id":318965,"event":"addtocart","time":"2015-06-02T05:13:19.827Z","product_name":null}
{"customer_id":992329,"product_id":248676,"event":"view","time":"2015-06-02T05:50:14.164Z","product_name":null}
OUT
}

@test "epoch seconds are read with --time-format epoch-s" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,1664582400\n1,3,cart,1664582400.5\n' > "$BATS_TEST_TMPDIR/s.csv"
	prepare_to out.aud --time-format epoch-s "$BATS_TEST_TMPDIR/s.csv"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
1,2,cart,2022-10-01T00:00:00Z,
1,3,cart,2022-10-01T00:00:00.500Z,
OUT
}

@test "without a header, columns are the marketplace positions by default" {
	prepare_to out.aud --no-header noheader.csv
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
5,50,cart,2023-01-01T00:00:00Z,
6,60,purchased,2023-01-02T00:00:00Z,
OUT
}

@test "without a header, columns can be named by number" {
	prepare_to out.aud --no-header --name-col 1 --customer-col 3 --product-col 2 noheader.csv
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
50,5,cart,2023-01-01T00:00:00Z,x
60,6,purchased,2023-01-02T00:00:00Z,y
OUT
}

@test "without a header, a column name instead of a number is a usage error" {
	run -2 --separate-stderr aud-prepare --no-header --customer-col who noheader.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --customer-col: with --no-header columns are named by number, got "who"'
}

@test "--event-value gives every row an event, with a strptime layout" {
	prepare_to out.aud --time-col when --customer-col who --product-col what \
		--event-value ' Purchased' --time-format '%d/%m/%Y %H:%M' purchases.csv
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
A1,P1,purchased,2023-01-31T10:20:00Z,
A2,P1,purchased,2023-02-01T11:00:00Z,
OUT
}

@test "--event-value and --event-col together are a usage error" {
	run -2 --separate-stderr aud-prepare --event-value x --event-col event orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --event-value and --event-col exclude each other"
}

@test "a missing column is an error naming it and the option" {
	run -1 --separate-stderr aud-prepare -q --customer-col buyer orders.csv
	assert_equal "$stderr" 'aud-prepare: orders.csv:1: no column "buyer" in the header: index,customer_id,product_id,event,event_date,product_name (see --customer-col)'
	run -1 --separate-stderr aud-prepare -q events-ms.csv
	assert_equal "$stderr" 'aud-prepare: events-ms.csv:1: no column "customer_id" in the header: timestamp,visitorid,event,itemid,transactionid (see --customer-col)'
}

@test "a missing event column suggests --event-value" {
	run -1 --separate-stderr aud-prepare -q --time-col when --customer-col who --product-col what purchases.csv
	assert_equal "$stderr" 'aud-prepare: purchases.csv:1: no column "event" in the header: when,who,what (see --event-col or --event-value)'
}

@test "bot-like customers over the daily threshold are dropped whole" {
	{
		echo "customer_id,product_id,event,event_date"
		for h in 01 02 03 04; do echo "9,1,cart,2023-01-01 $h:00:00"; done
		echo "9,1,cart,2023-01-05 00:00:00"
		for h in 01 02 03; do echo "8,1,cart,2023-01-01 $h:00:00"; done
		echo "8,1,cart,2023-01-02 00:00:00"
	} > "$BATS_TEST_TMPDIR/bots.csv"
	run -0 --separate-stderr aud-prepare --bot-threshold 3 -o "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/bots.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/bots.csv: warning: 55.6% of rows dropped: 5 of 9 rows are of 1 bot-like customer (over 3 interactions in a UTC day; see --bot-threshold)"
	assert_equal "${stderr_lines[5]}" "aud-prepare: dropped, bot-like customers: 1 (5 rows; over 3 interactions in a UTC day)"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
8,1,cart,2023-01-01T01:00:00Z,
8,1,cart,2023-01-01T02:00:00Z,
8,1,cart,2023-01-01T03:00:00Z,
8,1,cart,2023-01-02T00:00:00Z,
OUT
}

@test "--bot-threshold 0 keeps everyone" {
	printf 'customer_id,product_id,event,event_date\n9,1,cart,2023-01-01 01:00\n9,2,cart,2023-01-01 02:00\n' > "$BATS_TEST_TMPDIR/b.csv"
	run -0 --separate-stderr aud-prepare --bot-threshold 0 -o "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/b.csv"
	[[ "$stderr" != *bot-like* ]]
	run -0 aud-cat "$BATS_TEST_TMPDIR/out.aud"
	assert_equal "${#lines[@]}" 2
}

@test "equal times keep input order" {
	printf 'customer_id,product_id,event,event_date\n3,1,cart,2023-01-02\n2,1,cart,2023-01-01\n1,1,cart,2023-01-02\n0,1,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/t.csv"
	prepare_to out.aud "$BATS_TEST_TMPDIR/t.csv"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
2,1,cart,2023-01-01T00:00:00Z,
0,1,cart,2023-01-01T00:00:00Z,
3,1,cart,2023-01-02T00:00:00Z,
1,1,cart,2023-01-02T00:00:00Z,
OUT
}

@test "duplicates in a long run of equal times are all found" {
	{
		echo "customer_id,product_id,event,event_date"
		for i in $(seq 1 40); do echo "$((i % 7)),$((i % 3)),cart,2023-01-01"; done
	} > "$BATS_TEST_TMPDIR/run.csv"
	prepare_to out.aud "$BATS_TEST_TMPDIR/run.csv"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/out.aud"
	# 21 distinct (i%7, i%3) pairs, in order of first appearance.
	assert_equal "${#lines[@]}" 22
	assert_equal "$(printf '%s\n' "${lines[@]:1}" | sort | uniq -d)" ""
	assert_equal "${lines[1]}" "1,1,cart,2023-01-01T00:00:00Z,"
	assert_equal "${lines[21]}" "0,0,cart,2023-01-01T00:00:00Z,"
}

@test "standard input is read when there is no file or it is -" {
	run -0 bash -c 'aud-prepare -q < orders.csv | aud-cat | wc -l'
	assert_output 6
	run -0 bash -c 'cat orders.csv | aud-prepare -q - | aud-cat -H'
	assert_output --partial '"source":"stdin"'
}

@test "an unterminated quote is an error with its line, and -o leaves no file" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n1,"2,cart,2023-01-01\n1,2,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/q.csv"
	run -1 --separate-stderr aud-prepare -q -o "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/q.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/q.csv:3: malformed CSV: unterminated quoted field"
	[ ! -e "$BATS_TEST_TMPDIR/out.aud" ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a stray quote is an error with its line" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n1,2"x,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/q.csv"
	run -1 --separate-stderr aud-prepare -q "$BATS_TEST_TMPDIR/q.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/q.csv:3: malformed CSV: stray quote"
}

@test "a NUL byte is an error with its line" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n1,2\0,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/n.csv"
	run -1 --separate-stderr aud-prepare -q "$BATS_TEST_TMPDIR/n.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/n.csv:3: NUL byte in a field"
}

@test "an empty file is an error; a header alone is an empty stream" {
	: > "$BATS_TEST_TMPDIR/empty.csv"
	run -1 --separate-stderr aud-prepare -q "$BATS_TEST_TMPDIR/empty.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/empty.csv: empty input, no header"
	head -n 1 orders.csv > "$BATS_TEST_TMPDIR/header.csv"
	prepare_to out.aud "$BATS_TEST_TMPDIR/header.csv"
	run -0 aud-cat "$BATS_TEST_TMPDIR/out.aud"
	assert_output ""
}

@test "a failed run with -o leaves the previous file untouched" {
	prepare_to out.aud orders.csv
	cp "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/before.aud"
	run -1 aud-prepare -q -o "$BATS_TEST_TMPDIR/out.aud" --customer-col nosuch orders.csv
	cmp "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/before.aud"
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "a temporary file left by a killed run is removed by the next run" {
	touch "$BATS_TEST_TMPDIR/.out.aud.aud-999999999-0123456789abcdef.tmp"
	prepare_to out.aud orders.csv
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "-o never writes through a link planted at a temporary file's name" {
	cd "$BATS_TEST_TMPDIR"
	echo precious > victim
	# exec keeps the shell's pid: the name the temporary file once had
	run -0 bash -c 'for p in $$ $(($$ + 1)); do ln -s victim .out.aud.aud-$p.tmp; done
	    umask 027; exec aud-prepare -q -o out.aud "$0"' "$FIXTURES/orders.csv"
	assert_equal "$(cat victim)" precious
	[ -f out.aud ] && [ ! -L out.aud ]
	run -0 stat -c %a out.aud
	assert_output 640
}

@test "a full disk is an error" {
	run -1 --separate-stderr bash -c 'aud-prepare -q orders.csv > /dev/full'
	assert_equal "$stderr" "aud-prepare: stdout: write error: No space left on device"
}

@test "-o a FIFO or a device writes in place, never replacing it with a file" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	timeout 20 cat "$BATS_TEST_TMPDIR/fifo" > "$BATS_TEST_TMPDIR/got.aud" &
	aud-prepare -q -o "$BATS_TEST_TMPDIR/fifo" orders.csv
	wait $!
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
	prepare_to want.aud orders.csv
	cmp "$BATS_TEST_TMPDIR/got.aud" "$BATS_TEST_TMPDIR/want.aud"
	no_temporaries "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr aud-prepare -q -o /dev/full orders.csv
	assert_equal "$stderr" "aud-prepare: /dev/full: write error: No space left on device"
	[ -c /dev/full ]
}

@test "an unwritable -o path is an error before reading" {
	run -1 --separate-stderr aud-prepare -q -o /nonexistent/dir/out.aud orders.csv
	assert_equal "$stderr" "aud-prepare: /nonexistent/dir/out.aud: No such file or directory"
}

@test "a binary stream is not written to a terminal unless forced" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "aud-prepare -q orders.csv" /dev/null
	assert_equal "$status" 2
	assert_output --partial "aud-prepare: refusing to write a binary stream to a terminal (use -o FILE, a pipe, or --force)"
	run script -qec "aud-prepare -q --force orders.csv > /dev/null" /dev/null
	assert_equal "$status" 0
}

@test "the same input gives the same bytes" {
	prepare_to a.aud orders.csv
	prepare_to b.aud orders.csv
	cmp "$BATS_TEST_TMPDIR/a.aud" "$BATS_TEST_TMPDIR/b.aud"
}

@test "the real Online Retail export goes through with options alone" {
	local csv="$SHARED_DATA/online-retail/online_retail.csv"
	[ -r "$csv" ] || skip "$csv is not here"
	run -0 --separate-stderr aud-prepare --customer-col CustomerID --product-col StockCode \
		--time-col InvoiceDate --name-col Description --event-value purchased \
		-o "$BATS_TEST_TMPDIR/retail.aud" "$csv"
	# Figures from an independent count (python csv module) of the same file.
	assert_equal "${stderr_lines[1]}" "aud-prepare: dropped, missing a field: 135080 (customer 135080, product 0, event 0)"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $csv: rows read: 541909"
	assert_equal "${stderr_lines[2]}" "aud-prepare: dropped, bad time: 0"
	assert_equal "${stderr_lines[3]}" "aud-prepare: dropped, exact duplicates: 10240"
	assert_equal "${stderr_lines[5]}" "aud-prepare: written: 396589 interactions, 4372 customers, 3684 products"
}

@test "Online Retail without its cancellations: --drop-if counts what python's csv counts" {
	local csv="$SHARED_DATA/online-retail/online_retail.csv"
	[ -r "$csv" ] || skip "$csv is not here"
	run -0 --separate-stderr aud-prepare --customer-col CustomerID --product-col StockCode \
		--time-col InvoiceDate --event-value purchased --drop-if 'InvoiceNo=C*' \
		-o "$BATS_TEST_TMPDIR/retail.aud" "$csv"
	local want
	want=$(python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8', errors='replace')))
cancelled = [r for r in rows if r['InvoiceNo'].startswith('C')]
kept = [r for r in rows if not r['InvoiceNo'].startswith('C')]
print(len(cancelled), sum(1 for r in kept if r['CustomerID'].strip() == ''))
PY
)
	assert_equal "$want" "9288 134697"
	assert_equal "${stderr_lines[1]}" "aud-prepare: filtered out (--keep-if, --drop-if): 9288"
	assert_equal "${stderr_lines[2]}" "aud-prepare: dropped, missing a field: 134697 (customer 134697, product 0, event 0)"
}

@test "a large input on a terminal shows a progress line, erased before the report" {
	command -v script >/dev/null || skip "script(1) is not installed"
	gen-lookalike --rows 900000 --seed 2 -o "$BATS_TEST_TMPDIR/big.csv"	# ~73 MB, over the 64 MB threshold
	# The line is drawn 200 ms after the start at the earliest, and this
	# machine may read the whole file sooner: the rows come through a pipe
	# that waits half a second after the first 20 MB (a pipe's size is
	# unknown, so the line says how much was read, not a share).
	run script -qec "(head -c 20000000 '$BATS_TEST_TMPDIR/big.csv'; sleep 0.5
		tail -c +20000001 '$BATS_TEST_TMPDIR/big.csv') |
		aud-prepare -o '$BATS_TEST_TMPDIR/big.aud' -" /dev/null
	assert_equal "$status" 0
	assert_output --regexp $'\raud-prepare: reading +[0-9.]+ MB\e\\[K'
	assert_output --partial $'\r\e[K'
	assert_line --partial "aud-prepare: written: "
	# Not on a terminal, or with -q: no progress line.
	run -0 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/big.aud" "$BATS_TEST_TMPDIR/big.csv"
	refute [ "${stderr#*reading}" != "$stderr" ]
	run script -qec "aud-prepare -q -o '$BATS_TEST_TMPDIR/big.aud' '$BATS_TEST_TMPDIR/big.csv'" /dev/null
	assert_output ""
}

# The newcomer's silent failures: an empty result, a mostly-dropped input
# and implausible times are said, and the first is an error.

@test "no row survived: exit 1 naming the main cause, no output, even under -q" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01 10:00\n,3,cart,x\n1,4,cart,2023-01-02 10:00\n' > "$BATS_TEST_TMPDIR/t.csv"
	run -1 --separate-stderr aud-prepare -q --time-format epoch-s -o "$BATS_TEST_TMPDIR/out.aud" "$BATS_TEST_TMPDIR/t.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/t.csv: no row survived: 2 of 3 rows have a bad time for --time-format 'epoch-s' (first, line 2: \"2023-01-01 10:00\")"
	[ ! -e "$BATS_TEST_TMPDIR/out.aud" ]
	no_temporaries "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr aud-prepare -q --time-format epoch-s "$BATS_TEST_TMPDIR/t.csv"
	assert_equal "$output" ""
}

@test "no row survived: each cause is named with its first example" {
	printf 'customer_id,product_id,event,event_date\n,2,cart,2023-01-01\n,3,cart,2023-01-01\n1,,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/c.csv"
	run -1 --separate-stderr aud-prepare -q -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/c.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/c.csv: no row survived: 2 of 3 rows have no customer id (first, line 2)"
	printf 'customer_id,product_id,event,event_date\n1,2,,2023-01-01\n' > "$BATS_TEST_TMPDIR/e.csv"
	run -1 --separate-stderr aud-prepare -q -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/e.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/e.csv: no row survived: 1 of 1 rows have no event (first, line 2)"
	{
		echo "customer_id,product_id,event,event_date"
		for h in 01 02 03; do echo "9,1,cart,2023-01-01 $h:00:00"; done
	} > "$BATS_TEST_TMPDIR/bots.csv"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 2 -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/bots.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/bots.csv: no row survived: 3 of 3 rows are of 1 bot-like customer (over 2 interactions in a UTC day; see --bot-threshold)"
	[ ! -e "$BATS_TEST_TMPDIR/o.aud" ]
}

@test "more than half dropped is a warning; --max-drop-share makes it an error" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n,3,cart,2023-01-01\n,4,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/h.csv"
	run -0 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/h.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/h.csv: warning: 66.7% of rows dropped: 2 of 3 rows have no customer id (first, line 3)"
	run -0 --separate-stderr aud-prepare -q -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/h.csv"
	assert_equal "$stderr" ""
	rm "$BATS_TEST_TMPDIR/o.aud"
	run -1 --separate-stderr aud-prepare -q --max-drop-share 0.5 -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/h.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/h.csv: 66.7% of rows dropped, more than --max-drop-share 0.5: 2 of 3 rows have no customer id (first, line 3)"
	[ ! -e "$BATS_TEST_TMPDIR/o.aud" ]
	run -0 aud-prepare -q --max-drop-share 0.7 -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/h.csv"
	run -2 --separate-stderr aud-prepare --max-drop-share 1.5 "$BATS_TEST_TMPDIR/h.csv"
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --max-drop-share: expected a share from 0 to 1, got "1.5"'
}

@test "times all before 1990 or from 2100 are a warning naming the likely unit" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,1664582400\n1,3,cart,1664582500\n' > "$BATS_TEST_TMPDIR/s.csv"
	run -0 --separate-stderr aud-prepare --time-format epoch-ms -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/s.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/s.csv: warning: every time falls before 1990 (1970-01-20T06:23:02.400Z to 1970-01-20T06:23:02.500Z): they look like epoch seconds: try --time-format epoch-s"
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2117-10-25T05:20:00Z\n' > "$BATS_TEST_TMPDIR/f.csv"
	run -0 --separate-stderr aud-prepare -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/f.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/f.csv: warning: every time falls in 2100 or later (2117-10-25T05:20:00Z to 2117-10-25T05:20:00Z): is --time-format right?"
	run -0 --separate-stderr aud-prepare -q --time-format epoch-ms -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/s.csv"
	assert_equal "$stderr" ""
}

# What a shell analyst reaches for: delimiters, row filters, event names,
# and a look before the run.

@test "--delimiter ';', tab and whitespace give the records of the comma-separated file" {
	local d=$BATS_TEST_TMPDIR
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n"3 x",4,Purchased,2023-01-02 10:00\n' > "$d/c.csv"
	printf 'customer_id;product_id;event;event_date\n1;2;cart;2023-01-01\n"3 x";4;Purchased;2023-01-02 10:00\n' > "$d/s.csv"
	printf 'customer_id\tproduct_id\tevent\tevent_date\n1\t2\tcart\t2023-01-01\n3 x\t4\tPurchased\t2023-01-02 10:00\n' > "$d/t.tsv"
	printf ' customer_id  product_id event  event_date\r\n 1   2 cart   2023-01-01\r\n\r\n  3x 4 Purchased 2023-01-02T10:00\r\n' > "$d/w.txt"
	aud-prepare -q -o "$d/c.aud" "$d/c.csv"
	aud-prepare -q --delimiter ';' -o "$d/s.aud" "$d/s.csv"
	aud-prepare -q --delimiter tab -o "$d/t.aud" "$d/t.tsv"
	aud-prepare -q --delimiter whitespace -o "$d/w.aud" "$d/w.txt"
	run -0 aud-cat "$d/c.aud"
	local want=$output
	run -0 aud-cat "$d/s.aud"
	assert_equal "$output" "$want"
	run -0 aud-cat "$d/t.aud"
	assert_equal "$output" "$want"
	run -0 aud-cat "$d/w.aud"
	assert_equal "$output" "${want//3 x/3x}"
	run -0 aud-cat -H "$d/t.aud"
	assert_output --partial '"delimiter":"tab"'
	run -2 --separate-stderr aud-prepare --delimiter ';;' "$d/c.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: --delimiter: expected one character, tab or whitespace, got \";;\""
}

@test "a header read as one column shows what was seen and the likely delimiter" {
	printf 'InvoiceNo;StockCode;CustomerID\n1;2;3\n' > "$BATS_TEST_TMPDIR/s.csv"
	run -1 --separate-stderr aud-prepare "$BATS_TEST_TMPDIR/s.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/s.csv:1: no column \"customer_id\" in the header: InvoiceNo;StockCode;CustomerID (see --customer-col); try --delimiter ';'"
}

@test "--keep-if and --drop-if filter rows before cleaning, counted apart" {
	printf 'customer_id,product_id,event,event_date,country,invoice\n1,2,cart,2023-01-01,France,1\n2,2,cart,2023-01-01,France,C2\n3,2,cart,2023-01-01,Spain,3\n,2,cart,2023-01-01,France,4\n' > "$BATS_TEST_TMPDIR/f.csv"
	run -0 --separate-stderr aud-prepare --keep-if country=France --drop-if 'invoice=C*' -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/f.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: $BATS_TEST_TMPDIR/f.csv: rows read: 4"
	assert_equal "${stderr_lines[1]}" "aud-prepare: filtered out (--keep-if, --drop-if): 2"
	assert_equal "${stderr_lines[2]}" "aud-prepare: dropped, missing a field: 1 (customer 1, product 0, event 0)"
	run -0 aud-cat --format csv "$BATS_TEST_TMPDIR/o.aud"
	assert_output $'customer_id,product_id,event,time,product_name\n1,2,cart,2023-01-01T00:00:00Z,'
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/o.aud"
	assert_output --partial '"filters":["keep-if country=France","drop-if invoice=C*"]'
	assert_output --partial '"rows_read":4,"rows_filtered":2,'
	run -1 --separate-stderr aud-prepare -q --keep-if country=Peru -o "$BATS_TEST_TMPDIR/o2.aud" "$BATS_TEST_TMPDIR/f.csv"
	assert_equal "$stderr" "aud-prepare: $BATS_TEST_TMPDIR/f.csv: no row survived: 4 of 4 rows were filtered out by --keep-if and --drop-if"
}

@test "a filter on a column the header lacks is a usage error naming the columns" {
	printf 'customer_id,product_id,event,event_date\n1,2,cart,2023-01-01\n' > "$BATS_TEST_TMPDIR/f.csv"
	run -2 --separate-stderr aud-prepare --drop-if Countr=x -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/f.csv"
	assert_equal "${stderr_lines[0]}" "aud-prepare: --drop-if: no column \"Countr\" in the header; the columns are: customer_id,product_id,event,event_date"
	assert_equal "${stderr_lines[-1]}" "Try 'aud-prepare --help' for more information."
	[ ! -e "$BATS_TEST_TMPDIR/o.aud" ]
	run -2 --separate-stderr aud-prepare --keep-if novalue "$BATS_TEST_TMPDIR/f.csv"
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --keep-if: expected COLUMN=GLOB, got "novalue"'
}

@test "--event-map names the export's events as aud's, case and blanks aside" {
	printf 'customer_id,product_id,event,event_date\n1,2, Transaction ,2023-01-01\n1,3,view,2023-01-02\n1,4,addtocart,2023-01-03\n' > "$BATS_TEST_TMPDIR/e.csv"
	aud-prepare -q --event-map transaction=purchased,view=search_keyword --event-map addtocart=cart -o "$BATS_TEST_TMPDIR/o.aud" "$BATS_TEST_TMPDIR/e.csv"
	run -0 bash -c "aud-cat --format csv '$BATS_TEST_TMPDIR/o.aud' | cut -d, -f3"
	assert_output $'event\npurchased\nsearch_keyword\ncart'
	run -2 --separate-stderr aud-prepare --event-map view= "$BATS_TEST_TMPDIR/e.csv"
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --event-map: expected FROM=TO[,FROM=TO...], got "view="'
}

@test "--dry-run shows the header, the mapping and what the first rows become" {
	run -0 --separate-stderr aud-prepare --dry-run --drop-if 'event=wish*' orders.csv
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
header (6 columns): index,customer_id,product_id,event,event_date,product_name
mapping:
  customer_id  <- column 2, "customer_id"
  product_id   <- column 3, "product_id"
  event        <- column 4, "event"
  time         <- column 5, "event_date"
  product_name <- column 6, "product_name"
  time format: iso
  drop-if event=wish*
rows, as they would be read:
  line 2: customer 17, product 100, cart at 2022-10-01T10:00:00Z, named "Mug, blue"
  line 3: customer 17, product 100, purchased at 2022-10-01T10:05:00Z
  line 4: customer "C-9", product 100, cart at 2022-10-01T09:00:00Z, named "Other name"
  line 5: customer 17, product 100, cart at 2022-10-01T10:00:00Z, named "Mug, blue"
  line 6: dropped: no customer id
OUT
}
