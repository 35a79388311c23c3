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
# fixstr keys, empty fixarrays: drop the two entries and lower the count
# of the provenance, a map16 (0xde, then two bytes).
b = b.replace(b"\xb0bot_customer_ids\x90\xb2bot_product_labels\x90", b"")
i = b.index(b"\xaaprovenance\xde") + len(b"\xaaprovenance\xde")
n = int.from_bytes(b[i:i + 2], "big") - 2
b = b[:i] + n.to_bytes(2, "big") + b[i + 2:]
open("older.aud", "wb").write(b)
PY
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --append older.aud -o out.aud "$FIXTURES/append-new.csv"
	assert_equal "$stderr" "aud-prepare: older.aud: written by an older aud-prepare, without its bots: prepare it again"
}

@test "--append excludes --shards and --dry-run" {
	run -2 --separate-stderr aud-prepare --append "$BATS_TEST_TMPDIR/old.aud" --shards 2 -o 'x%d.aud' append-new.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --append excludes --shards"
	run -2 --separate-stderr aud-prepare --append "$BATS_TEST_TMPDIR/old.aud" --dry-run append-new.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --append excludes --dry-run"
}

@test "--merge cleans pieces prepared apart as if their exports were read at once" {
	prepare_to new.aud --bot-threshold 3 append-new.csv
	prepare_to both.aud --bot-threshold 3 "$BATS_TEST_TMPDIR/both.csv"
	run -0 aud-prepare -q --bot-threshold 3 --merge -o "$BATS_TEST_TMPDIR/m.aud" \
		"$BATS_TEST_TMPDIR/old.aud" "$BATS_TEST_TMPDIR/new.aud"
	cmp <(records "$BATS_TEST_TMPDIR/both.aud") <(records "$BATS_TEST_TMPDIR/m.aud")
	counts() { aud-cat -H "$1" | sed 's/.*"time_format"//'; }
	assert_equal "$(counts "$BATS_TEST_TMPDIR/m.aud")" "$(counts "$BATS_TEST_TMPDIR/both.aud")"
	run -0 aud-cat -H "$BATS_TEST_TMPDIR/m.aud"
	assert_output --partial '"source":"'"$BATS_TEST_TMPDIR"'/old.aud","created":"1970-01-01T00:00:00Z","merged_pieces":2,'
}

@test "--merge of each shard's pieces gives the shards of preparing everything at once" {
	cd "$BATS_TEST_TMPDIR"
	prepare_to 'old%d.aud' --bot-threshold 3 --shards 2 "$FIXTURES/append-old.csv"
	prepare_to 'new%d.aud' --bot-threshold 3 --shards 2 "$FIXTURES/append-new.csv"
	prepare_to 'both%d.aud' --bot-threshold 3 --shards 2 both.csv
	for s in 0 1; do
		prepare_to "m$s.aud" --bot-threshold 3 --merge "old$s.aud" "new$s.aud"
		cmp <(records "both$s.aud") <(records "m$s.aud")
		run -0 aud-cat -H "m$s.aud"
		assert_output --partial '"merged_pieces":2,"shard":{"index":'"$s"',"count":2}'
	done
	# A shard's header lists its own bots only: c3's shard, 0, and not 1.
	run -0 aud-cat -H both0.aud
	assert_output --partial '"bot_customer_ids":["c3"]'
	run -0 aud-cat -H both1.aud
	assert_output --partial '"bot_customer_ids":[],"bot_product_labels":[]'
}

@test "--merge: a bot of one piece is a bot of all, and keeps the names only it had" {
	cd "$BATS_TEST_TMPDIR"
	# c3 is a bot in the first piece (old and new together); its row in the
	# second piece goes too, and p3, which only c3 touched, keeps its name.
	printf 'customer_id,product_id,event,event_date\nc3,p9,view,2023-02-01T00:00:00Z\nc5,p9,view,2023-02-01T00:00:00Z\nc5,p3,view,2023-02-02T00:00:00Z\n' > day3.csv
	prepare_to both.aud --bot-threshold 3 both.csv
	prepare_to day3.aud --bot-threshold 3 day3.csv
	prepare_to m.aud --bot-threshold 3 --merge both.aud day3.aud
	{ cat both.csv; tail -n +2 day3.csv | sed 's/$/,/'; } > all.csv
	prepare_to all.aud --bot-threshold 3 all.csv
	cmp <(records all.aud) <(records m.aud)
	run -0 records m.aud
	refute_output --partial '"c3"'
	assert_output --partial '{"customer_id":"c5","product_id":"p3","event":"view","time":"2023-02-02T00:00:00Z","product_name":"Bowl"}'
	counts() { aud-cat -H "$1" | sed 's/.*"time_format"//'; }
	assert_equal "$(counts m.aud)" "$(counts all.aud)"
}

@test "--merge refuses pieces that do not belong together, in one line" {
	cd "$BATS_TEST_TMPDIR"
	prepare_to new.aud --bot-threshold 3 "$FIXTURES/append-new.csv"
	prepare_to 's%d.aud' --bot-threshold 3 --shards 2 "$FIXTURES/append-new.csv"
	prepare_to 't%d.aud' --bot-threshold 3 --shards 3 "$FIXTURES/append-old.csv"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud old.aud old.aud
	assert_equal "$stderr" "aud-prepare: old.aud and old.aud: the same piece twice"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud s0.aud s1.aud
	assert_equal "$stderr" "aud-prepare: s1.aud: shard 1 of 2, s0.aud: shard 0 of 2: pieces of one shard only"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud s0.aud t0.aud
	assert_equal "$stderr" "aud-prepare: t0.aud: shard 0 of 3, s0.aud: shard 0 of 2: pieces of one shard only"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud old.aud s0.aud
	assert_equal "$stderr" "aud-prepare: s0.aud: shard 0 of 2, old.aud: all customers: pieces of one shard only"
	run -1 --separate-stderr aud-prepare -q --merge -o m.aud old.aud new.aud
	assert_equal "$stderr" "aud-prepare: old.aud: prepared with --bot-threshold 3: merge with the same"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud old.aud missing.aud
	assert_equal "$stderr" "aud-prepare: missing.aud: No such file or directory"
	aud-features -q -o f.aud old.aud
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --merge -o m.aud old.aud f.aud
	assert_equal "$stderr" "aud-prepare: f.aud: a stream of features, expected interactions"
	[ ! -e m.aud ]
	run -2 --separate-stderr aud-prepare --merge -o m.aud
	assert_equal "${stderr_lines[0]}" "aud-prepare: --merge needs the pieces to merge"
	run -2 --separate-stderr aud-prepare --merge --shards 2 -o 'm%d.aud' old.aud
	assert_equal "${stderr_lines[0]}" "aud-prepare: --merge excludes --shards"
	no_temporaries .
}

@test "--append of 60 seeded random exports gives the records of preparing each at once" {
	local seed th differ=0 compared=0
	cd "$BATS_TEST_TMPDIR"
	for seed in $(seq 60); do
		th=$(python3 "$AUD_ROOT/tests/append-random.py" "$seed" .)
		# Bots may leave no row of an export: nothing to append to.
		aud-prepare -q --bot-threshold "$th" -o old.aud old.csv 2>/dev/null || continue
		aud-prepare -q --bot-threshold "$th" -o both.aud both.csv 2>/dev/null || continue
		aud-prepare -q --bot-threshold "$th" --append old.aud -o app.aud new.csv
		compared=$((compared + 1))
		if ! cmp -s <(aud-cat -r both.aud) <(aud-cat -r app.aud) ||
		    [ "$(aud-cat --fingerprint both.aud)" != "$(aud-cat --fingerprint app.aud)" ]; then
			echo "seed $seed differs"
			differ=$((differ + 1))
		fi
	done
	assert_equal "$differ" 0
	[ "$compared" -ge 40 ] || { echo "only $compared compared"; return 1; }
}

@test "--append to a stream with no record gives the new rows' records" {
	cd "$BATS_TEST_TMPDIR"
	printf 'customer_id,product_id,event,event_date,product_name\n' > none.csv
	aud-prepare -q --bot-threshold 3 -o none.aud none.csv
	aud-prepare -q --bot-threshold 3 --append none.aud -o app.aud "$FIXTURES/append-new.csv"
	aud-prepare -q --bot-threshold 3 -o alone.aud "$FIXTURES/append-new.csv"
	cmp <(aud-cat -r alone.aud) <(aud-cat -r app.aud)
}

# Exports whose first record has a name of 1.2 MB: old.csv; new.csv with
# the rows given; both.csv; and both prepared, old.aud and both.aud.
long_name_exports() {
	local name
	name=$(head -c 1200000 /dev/zero | tr '\0' N)
	printf 'customer_id,product_id,event,event_date,product_name\nc1,p1,view,2023-01-01T00:00:00Z,%s\nc2,p2,view,2023-01-01T01:00:00Z,Plate\n' "$name" > old.csv
	printf 'customer_id,product_id,event,event_date,product_name\n%s' "$1" > new.csv
	{ cat old.csv; tail -n +2 new.csv; } > both.csv
	aud-prepare -q -o old.aud old.csv
	aud-prepare -q -o both.aud both.csv
}

@test "--append: an old record with a name over 1 MiB, which a new row's product decodes" {
	# p1's new row goes before its first old record, which gives it the
	# name: that record is decoded, from a buffer grown to hold it.
	cd "$BATS_TEST_TMPDIR"
	long_name_exports 'c3,p1,view,2022-12-31T00:00:00Z,
'
	aud-prepare -q --append old.aud -o app.aud new.csv
	cmp <(aud-cat -r both.aud) <(aud-cat -r app.aud)
}

@test "--append: a name that reads as records where the old stream is split" {
	# The first read takes the old stream in two halves at once, split
	# where records seem to start near the middle. Here the middle lies in
	# a name whose bytes are 250 records in time order: the first half,
	# read from the start, does not end there, and the stream is read
	# whole instead. (The trailer's fingerprint goes: it no longer fits.
	# Those records' times are before 1970 so that none of their bytes is
	# a NUL, which a name may not hold; their event is 1, view.)
	cd "$BATS_TEST_TMPDIR"
	python3 - <<'PY' > old.csv
print('customer_id,product_id,event,event_date,product_name')
for i in range(200):
	name = 'Q' * 3500 if i == 100 else ('Name %d' % (i % 11) if i < 100 else '')
	print('c%d,p%d,%s,2023-01-%02dT%02d:00:00Z,%s' %
	    (i % 7 if i != 100 else 99, i % 11 if i != 100 else 99,
	    'cart' if i == 0 else 'view', 1 + i // 24, i % 24, name))
PY
	aud-prepare -q -o plain.aud old.csv
	python3 - <<'PY'
import struct
s = open('plain.aud', 'rb').read()
t = struct.unpack('>q', bytes.fromhex('fffffe7a7fea1101'))[0]
fake = b''.join(bytes([0x95, 1, 2, 1, 0xd3]) + struct.pack('>q', t + k) +
    b'\xc0' for k in range(250))
assert 0 not in fake
s = s.replace(b'Q' * 3500, fake)
at = s.rindex(b'\xa7records') - 1
s = s[:at] + b'\x81' + s[at + 1:s.index(b'\xabfingerprint', at)]
open('old.aud', 'wb').write(s)
PY
	printf 'customer_id,product_id,event,event_date,product_name\nc1,p3,view,2023-02-01T00:00:00Z,\nc8,p500,view,2023-02-01T01:00:00Z,Other\n' > new.csv
	aud-prepare -q --append old.aud -o app.aud new.csv
	aud-prepare -q -o new.aud new.csv
	run -0 aud-cat old.aud
	assert_equal "${#lines[@]}" 200
	cmp <(aud-cat app.aud) <(aud-cat old.aud; aud-cat new.aud)
}

@test "--append refuses an old stream whose records do not match its fingerprint" {
	cd "$BATS_TEST_TMPDIR"
	cp old.aud flip.aud
	python3 -c "
s = bytearray(open('flip.aud', 'rb').read())
s[s.index(b'Plate') + 4] = ord('a')
open('flip.aud', 'wb').write(s)"
	run -1 --separate-stderr aud-prepare -q --bot-threshold 3 --append flip.aud \
		-o app.aud "$FIXTURES/append-new.csv"
	assert_regex "$stderr" "^aud-prepare: flip.aud: (byte [0-9]+: )?the records do not match the trailer's fingerprint \(the stream is corrupt"
	[ ! -e app.aud ]
	no_temporaries .
}

@test "--append: a record out of time order in either half of the old stream" {
	# Read in halves at once, the stream is refused at the first record out
	# of order, whichever half holds it, as when it is read whole.
	cd "$BATS_TEST_TMPDIR"
	python3 -c "
for i in range(200):
	print('c%d,p%d,view,2023-01-%02dT%02d:00:00Z,' % (i % 7, i % 11, 1 + i // 24, i % 24))
" | { echo customer_id,product_id,event,event_date,product_name; cat; } > old.csv
	aud-prepare -q -o plain.aud old.csv
	printf 'customer_id,product_id,event,event_date,product_name\nc1,p3,view,2023-02-01T00:00:00Z,\n' > new.csv
	local i at
	for i in 30 150; do
		# Record i's time becomes that of the first record.
		at=$(python3 -c "
import struct
s = bytearray(open('plain.aud', 'rb').read())
t0 = 1672531200000
old = b'\xcf' + struct.pack('>Q', t0 + $i * 3600000)
at = s.index(old)
s[at:at + 9] = b'\xcf' + struct.pack('>Q', t0)
open('bad.aud', 'wb').write(s)
print(s.rindex(b'\x95', 0, at))")
		run -1 --separate-stderr aud-prepare -q --append bad.aud -o app.aud new.csv
		assert_equal "$stderr" "aud-prepare: bad.aud: byte $at: out of time order"
	done
}

@test "--append: old records copied by the kernel, or through a write-only or piped output" {
	# A run of old records of 1 MiB or more goes from file to file in the
	# kernel (copy_file_range) and is read back to be hashed; an output
	# that cannot be read back (a shell's redirection, a pipe) is written
	# through the writer instead. All give the records and fingerprint of
	# preparing both exports at once.
	cd "$BATS_TEST_TMPDIR"
	long_name_exports 'c3,p1,view,2023-01-02T00:00:00Z,
c4,p2,view,2023-01-01T00:30:00Z,
'
	aud-prepare -q --append old.aud -o app.aud new.csv
	aud-prepare -q --append old.aud new.csv > redirected.aud
	aud-prepare -q --append old.aud new.csv | cat > piped.aud
	local f
	for f in app redirected piped; do
		cmp <(aud-cat -r both.aud) <(aud-cat -r $f.aud)
		assert_equal "$(aud-cat --fingerprint $f.aud)" "$(aud-cat --fingerprint both.aud)"
	done
}

@test "--append refuses an old stream whose name holds a NUL byte" {
	# Names are kept as C strings: a NUL byte would cut one short, and the
	# new stream would differ silently. aud-prepare never writes one.
	cd "$BATS_TEST_TMPDIR"
	printf 'customer_id,product_id,event,event_date,product_name\nc1,p1,view,2023-01-01T00:00:00Z,Blue Mug\nc2,p2,view,2023-01-01T01:00:00Z,Plate\n' > old.csv
	printf 'customer_id,product_id,event,event_date,product_name\nc3,p1,view,2023-01-02T00:00:00Z,\n' > new.csv
	aud-prepare -q -o plain.aud old.csv
	local at
	at=$(python3 -c "
s = open('plain.aud', 'rb').read()
at = s.index(b'Blue Mug')
s = s[:at + 4] + b'\0' + s[at + 5:]
t = s.rindex(b'\xa7records') - 1
s = s[:t] + b'\x81' + s[t + 1:s.index(b'\xabfingerprint', t)]
open('old.aud', 'wb').write(s)
print(s.rindex(b'\x95', 0, at))")
	run -1 --separate-stderr aud-prepare -q --append old.aud -o app.aud new.csv
	assert_equal "$stderr" "aud-prepare: old.aud: byte $at: not an interactions record"
	[ ! -e app.aud ]
}
