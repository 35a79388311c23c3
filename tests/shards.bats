#!/usr/bin/env bats
# Customer shards (aud-stream(5), "Shards"): aud-prepare --shards.

setup() {
	load test_helper
	cd "$FIXTURES"
	T=$BATS_TEST_TMPDIR
}

# shard_of ID N: the shard of a customer id as written, by xxh64sum(1), an
# implementation of XXH64 apart from aud's.
shard_of() {
	local h
	h=$(printf '%s' "$1" | xxh64sum | cut -c1-16)
	python3 -c "print(0x$h % $2)"
}

@test "aud-prepare --shards: a customer's rows in one shard, XXH64 of the id as written" {
	# orders.csv's customers: 17, C-9 and -5 (an integer, its digits with
	# the sign) go to shard 2 of 3; 007 (a string: the leading zero) and
	# 12345678901234567890 (too large for an integer) to 1; none to 0.
	for c in 17 C-9 -5; do assert_equal "$(shard_of "$c" 3)" 2; done
	for c in 007 12345678901234567890; do assert_equal "$(shard_of "$c" 3)" 1; done
	run -0 aud-prepare -q --shards 3 -o "$T/part-%d.aud" orders.csv
	assert_output ''
	run -0 bash -c "aud-cat -F csv '$T/part-0.aud'"
	assert_output 'customer_id,product_id,event,time,product_name'
	# Each shard holds the whole stream's records of its customers, in the
	# same order; a product's name travels with its first record in each
	# shard (102's in both).
	run -0 aud-cat -F csv "$T/part-1.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
007,101,wishlist,2022-10-02T08:00:00Z,"Say ""hi"""
12345678901234567890,102,rating,2022-10-02T08:00:00Z,"Two
lines"
OUT
	run -0 aud-cat -F csv "$T/part-2.aud"
	assert_output - <<'OUT'
customer_id,product_id,event,time,product_name
C-9,100,cart,2022-10-01T09:00:00Z,"Mug, blue"
17,100,cart,2022-10-01T10:00:00Z,
17,100,purchased,2022-10-01T10:05:00Z,
-5,102,rating,2022-10-02T08:00:00Z,"Two
lines"
OUT
	# The header says which shard; its written counts are the shard's.
	run -0 bash -c "aud-cat -H '$T/part-2.aud' | jq -c '.provenance | [.shard, .rows_written, .customers_written, .products_written, .first_time, .last_time, .rows_read, .dropped.duplicates]'"
	assert_output '[{"index":2,"count":3},4,3,2,"2022-10-01T09:00:00Z","2022-10-02T08:00:00Z",12,2]'
	no_temporaries "$T"
}

@test "aud-prepare --shards on 600 rows: the shards are the whole stream split by xxh64sum" {
	prepare_to all.aud planted.csv
	aud-prepare -q --shards 4 -o "$T/p%d.aud" planted.csv
	aud-cat -F csv "$T/all.aud" | tail -n +2 > "$T/all.csv"
	# Each customer's XXH64, once: its shard of 4 and of 256 below.
	cut -d, -f1 "$T/all.csv" | sort -u | while read -r c; do
		echo "$c,$(printf '%s' "$c" | xxh64sum | cut -c1-16)"
	done > "$T/hash.csv"
	shards_of() {
		python3 -c 'import sys
for line in sys.stdin:
    c, h = line.rstrip("\n").rsplit(",", 1)
    print("%s,%d" % (c, int(h, 16) % int(sys.argv[1])))' "$1" < "$T/hash.csv"
	}
	shards_of 4 > "$T/shard-of.csv"
	for s in 0 1 2 3; do
		awk -F, -v s="$s" 'NR == FNR { at[$1] = $2; next } at[$1] == s' \
			"$T/shard-of.csv" "$T/all.csv" > "$T/want-$s.csv"
		aud-cat -F csv "$T/p$s.aud" | tail -n +2 > "$T/got-$s.csv"
		cmp "$T/want-$s.csv" "$T/got-$s.csv"
		[ -s "$T/got-$s.csv" ]
	done
	# --shards 1: the whole stream's records.
	aud-prepare -q --shards 1 -o "$T/one-%d.aud" planted.csv
	cmp <(aud-cat "$T/all.aud") <(aud-cat "$T/one-0.aud")
	# --shards 256, the most: every customer in the shard xxh64sum says,
	# indices up to 255 included.
	aud-prepare -q --shards 256 -o "$T/w%d.aud" planted.csv
	shards_of 256 | sort > "$T/want-256.csv"
	for s in $(seq 0 255); do
		aud-cat -F csv "$T/w$s.aud" | tail -n +2 | cut -d, -f1 | sort -u | sed "s/\$/,$s/"
	done | sort > "$T/got-256.csv"
	cmp "$T/want-256.csv" "$T/got-256.csv"
	[ "$(cut -d, -f2 "$T/want-256.csv" | sort -n | tail -n 1)" -ge 128 ]
}

@test "aud-prepare --shards: bad uses are usage errors; a failed run writes no shard" {
	run -2 --separate-stderr aud-prepare --shards 2 orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --shards needs -o with one %d where the shard's number goes"
	run -2 --separate-stderr aud-prepare --shards 2 -o "$T/x.aud" orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --shards needs -o with one %d where the shard's number goes"
	run -2 --separate-stderr aud-prepare --shards 2 -o "$T/%d-%d.aud" orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: --shards needs -o with one %d where the shard's number goes"
	run -2 --separate-stderr aud-prepare -o "$T/%d.aud" orders.csv
	assert_equal "${stderr_lines[0]}" "aud-prepare: -o $T/%d.aud: a %d in the path needs --shards"
	run -2 --separate-stderr aud-prepare --shards 0 -o "$T/%d.aud" orders.csv
	assert_equal "${stderr_lines[0]}" 'aud-prepare: --shards: expected 1 to 256, got "0"'
	run -2 aud-prepare --shards 257 -o "$T/%d.aud" orders.csv
	# No row survives: nothing is written, no temporary is left.
	run -1 aud-prepare -q --shards 2 -o "$T/bad-%d.aud" --time-format epoch-s orders.csv
	[ ! -e "$T/bad-0.aud" ] && [ ! -e "$T/bad-1.aud" ]
	no_temporaries "$T"
}

# shard_features N: planted.csv in N shards ($T/pS.aud), each one's bounds
# ($T/bS.aud), their combination ($T/b.aud) and each one's features within
# it ($T/fS.aud).
shard_features() {
	local s
	aud-prepare -q --shards "$1" -o "$T/p%d.aud" planted.csv
	for s in $(seq 0 $(($1 - 1))); do
		aud-features --partial -o "$T/b$s.aud" "$T/p$s.aud"
	done
	aud-features --combine -o "$T/b.aud" $(seq -f "$T/b%g.aud" 0 $(($1 - 1)))
	for s in $(seq 0 $(($1 - 1))); do
		aud-features --bounds "$T/b.aud" -o "$T/f$s.aud" "$T/p$s.aud"
	done
}

@test "aud-features --partial, --combine, --bounds: each shard's features are the whole data's" {
	prepare_to all.aud planted.csv
	aud-features -o "$T/f.aud" "$T/all.aud"
	shard_features 3
	cmp <(aud-cat -F csv "$T/f.aud" | tail -n +2 | sort) \
	    <(for s in 0 1 2; do aud-cat -F csv "$T/f$s.aud" | tail -n +2; done | sort)
	# The combined bounds are those of the whole data: the customers with
	# a row (counted by awk), the latest time, each part's least and most.
	aud-features --partial -o "$T/ball.aud" "$T/all.aud"
	run -0 aud-cat "$T/b.aud"
	assert_output "$(aud-cat "$T/ball.aud")"
	run -0 bash -c "aud-cat '$T/b.aud' | jq .customers"
	assert_output "$(tail -n +2 planted.csv | cut -d, -f1 | sort -u | wc -l)"
	# Each shard's features header names the whole data's latest time.
	run -0 bash -c "aud-cat -H '$T/f1.aud' | jq -c .params.max_time"
	assert_output "$(aud-cat -H "$T/f.aud" | jq -c .params.max_time)"
	# Bounds of the whole data give its own features back.
	aud-features --bounds "$T/ball.aud" -o "$T/fall.aud" "$T/all.aud"
	cmp "$T/f.aud" "$T/fall.aud"
}

@test "feature bounds of the wrong shards or parameters are refused by name" {
	shard_features 3
	run -1 --separate-stderr aud-features --combine -o "$T/x.aud" "$T/b0.aud" "$T/b0.aud"
	assert_equal "$stderr" "aud-features: $T/b0.aud: shard 0 is given twice"
	aud-features --combine -o "$T/b01.aud" "$T/b0.aud" "$T/b1.aud"
	run -1 --separate-stderr aud-features --bounds "$T/b01.aud" -o "$T/x.aud" "$T/p2.aud"
	assert_equal "$stderr" "aud-features: $T/b01.aud: no bounds of shard 2: combine every shard's"
	# Another shard count; another run with the same count.
	aud-prepare -q --shards 2 -o "$T/q%d.aud" planted.csv
	aud-features --partial -o "$T/c0.aud" "$T/q0.aud"
	run -1 --separate-stderr aud-features --combine -o "$T/x.aud" "$T/b0.aud" "$T/c0.aud"
	assert_equal "$stderr" "aud-features: $T/c0.aud: bounds of 2 shards, the bounds before it of 3"
	run -1 --separate-stderr aud-features --bounds "$T/b.aud" -o "$T/x.aud" "$T/q0.aud"
	assert_equal "$stderr" "aud-features: $T/b.aud: bounds of 3 shards, the interactions are shard 0 of 2"
	head -n 300 planted.csv > "$T/half.csv"
	aud-prepare -q --shards 3 -o "$T/h%d.aud" "$T/half.csv"
	run -1 --separate-stderr aud-features --bounds "$T/b.aud" -o "$T/x.aud" "$T/h0.aud"
	[[ "$stderr" == "aud-features: $T/b.aud: bounds of other interactions (xxh3-64:"*") than these (xxh3-64:"*")" ]]
	# Other weights; the whole data.
	run -1 --separate-stderr aud-features --weight purchased=1 --bounds "$T/b.aud" -o "$T/x.aud" "$T/p0.aud"
	assert_equal "$stderr" "aud-features: $T/b.aud: bounds of other feature parameters (event weights: purchased=5; score weights: total=0.35 unique=0.25 avg=0.2 frequency=0.15 recency=0.05; recent days: 30) than these (event weights: purchased=1; score weights: total=0.35 unique=0.25 avg=0.2 frequency=0.15 recency=0.05; recent days: 30)"
	prepare_to all.aud planted.csv
	run -1 --separate-stderr aud-features --bounds "$T/b.aud" -o "$T/x.aud" "$T/all.aud"
	assert_equal "$stderr" "aud-features: $T/b.aud: bounds of 3 shards, the interactions are not a shard"
	run -1 --separate-stderr aud-features --combine -o "$T/x.aud" "$T/p0.aud"
	assert_equal "$stderr" "aud-features: $T/p0.aud: a stream of interactions, expected feature_bounds"
	run -2 aud-features --combine -o "$T/x.aud"
	run -2 --separate-stderr aud-features --partial --return-model bgnbd --allow-unconverged "$T/p0.aud"
	assert_equal "${stderr_lines[0]}" "aud-features: --allow-unconverged goes with --bounds, where the return model is fitted"
	run -2 aud-features --partial --text "$T/p0.aud"
	run -2 aud-features --partial --bounds "$T/b.aud" "$T/p0.aud"
	no_temporaries "$T"
	[ ! -e "$T/x.aud" ]
}

@test "with a return model, the shards' features and p_alive model are the whole data's" {
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-prepare -q --shards 3 -o "$T/s%d.aud" "$AUD_ROOT/data/sample.csv"
	# The default calibration end is the whole data's last row, not a
	# shard's; an earlier one leaves rows out; purchases can be one event.
	for opts in "--return-model mbgnbd" "--return-model bgnbd --return-event \
	    purchased --calibration-end 2023-02-01T00:00:00Z --period-days 3"; do
		# shellcheck disable=SC2086
		aud-features $opts -o "$T/f.aud" "$T/all.aud"
		for s in 0 1 2; do
			# shellcheck disable=SC2086
			aud-features $opts --partial -o "$T/b$s.aud" "$T/s$s.aud"
		done
		aud-features --combine -o "$T/b.aud" "$T/b0.aud" "$T/b1.aud" "$T/b2.aud"
		for s in 0 1 2; do
			# shellcheck disable=SC2086
			aud-features $opts --bounds "$T/b.aud" -o "$T/f$s.aud" "$T/s$s.aud"
		done
		cmp <(aud-cat -F csv "$T/f.aud" | tail -n +2 | sort) \
		    <(for s in 0 1 2; do aud-cat -F csv "$T/f$s.aud" | tail -n +2; done | sort)
		for s in 0 1 2; do
			cmp <(aud-cat -H "$T/f.aud" | jq -c .provenance.return_model) \
			    <(aud-cat -H "$T/f$s.aud" | jq -c .provenance.return_model)
		done
		run -0 bash -c "aud-cat -H '$T/f0.aud' | jq -c '.fields[-2:]'"
		assert_output '["p_alive","expected_purchases"]'
	done
	# The bgnbd features of the loop's end: a model by p_alive from them.
	aud-rank --features "$T/f.aud" --score p_alive -o "$T/m.aud" "$T/all.aud"
	for s in 0 1 2; do
		aud-rank --features "$T/f$s.aud" --score p_alive --partial -o "$T/r$s.aud" "$T/s$s.aud"
	done
	aud-rank --merge -o "$T/m3.aud" "$T/r0.aud" "$T/r1.aud" "$T/r2.aud"
	same_model "$T/m.aud" "$T/m3.aud"
	run -0 bash -c "aud-cat -H '$T/m3.aud' | jq -r .model.score"
	assert_output p_alive
	# Bounds without the summaries, or with other settings, are refused.
	aud-features --partial -o "$T/plain0.aud" "$T/s0.aud"
	run -1 --separate-stderr aud-features --combine -o "$T/x.aud" "$T/b0.aud" "$T/plain0.aud"
	[[ "$stderr" == "aud-features: $T/plain0.aud: computed with other feature parameters ("*"recent days: 30) than the bounds before it ("*"; return model: bgnbd, periods of 3 days, calibration to 2023-02-01T00:00:00Z, horizon 52, purchases: purchased)" ]]
	run -1 --separate-stderr aud-features --return-model mbgnbd --bounds "$T/b.aud" -o "$T/x.aud" "$T/s0.aud"
	[[ "$stderr" == "aud-features: $T/b.aud: bounds of other feature parameters ("*"; return model: bgnbd, "*") than these ("*"; return model: mbgnbd, periods of 7 days, calibration to the last row, horizon 52, purchases: every event)" ]]
	# Summaries that are not the shards' (the first one's first day, day
	# 19266, moved back a day: the order holds, its customers are lost).
	for s in 0 1 2; do
		aud-features --return-model mbgnbd --partial -o "$T/b$s.aud" "$T/s$s.aud"
	done
	aud-features --combine -o "$T/b.aud" "$T/b0.aud" "$T/b1.aud" "$T/b2.aud"
	python3 - "$T/b.aud" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
at = b.index(b'\x94\xdc')	# the four arrays, the first days' first
assert b[at + 4:at + 7] == b'\xcd\x4b\x42'
b[at + 6] -= 1
open(sys.argv[1] + '.bad', 'wb').write(b)
PY
	run -1 --separate-stderr aud-features --return-model mbgnbd --bounds "$T/b.aud.bad" -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-features: $T/s0.aud: a customer's summary is not among the shards' (bounds of other interactions?)"
	[ ! -e "$T/x.aud" ]
	no_temporaries "$T"
}

@test "a shard header that is not an index below a count is refused" {
	aud-prepare -q --shards 3 -o "$T/p%d.aud" planted.csv
	# The header's shard map, {"index":1,"count":3}, made impossible in
	# place: a count of 0, then an index of 7 of 3.
	perl -0pi -e 's/\xa5count\x03/\xa5count\x00/' "$T/p1.aud"
	run -1 --separate-stderr aud-features --partial -o "$T/x.aud" "$T/p1.aud"
	assert_equal "$stderr" "aud-features: $T/p1.aud: the interactions stream's shard is not an index below a count of 1 to 256"
	perl -0pi -e 's/\xa5count\x00/\xa5count\x03/; s/\xa5index\x01/\xa5index\x07/' "$T/p1.aud"
	run -0 bash -c "aud-cat -H '$T/p1.aud' | grep -o '\"shard\":{[^}]*}'"
	assert_output '"shard":{"index":7,"count":3}'
	aud-features --partial -o "$T/b0.aud" "$T/p0.aud"
	run -1 --separate-stderr aud-rank --partial --model engagement --features "$T/b0.aud" \
		-o "$T/x.aud" "$T/p1.aud"
	assert_equal "$stderr" "aud-rank: $T/p1.aud: the interactions stream's shard is not an index below a count of 1 to 256"
	[ ! -e "$T/x.aud" ]
}

@test "a shard with no customer has empty bounds and no features" {
	aud-prepare -q --shards 3 -o "$T/o%d.aud" orders.csv
	for s in 0 1 2; do aud-features --partial -o "$T/b$s.aud" "$T/o$s.aud"; done
	run -0 bash -c "aud-cat '$T/b0.aud' | jq -c .customers"
	assert_output 0
	aud-features --combine -o "$T/b.aud" "$T/b0.aud" "$T/b1.aud" "$T/b2.aud"
	aud-features --bounds "$T/b.aud" -o "$T/f0.aud" "$T/o0.aud"
	run -0 aud-cat "$T/f0.aud"
	assert_output ''
}

# sharded_model N OUT [AUD-RANK OPTIONS...]: data/sample.csv (or $CSV,
# prepared with the options in $PREPARE) through the whole pipeline in N
# customer shards, merged into the model OUT (engagement's, unless the
# options name another).
sharded_model() {
	local n=$1 out=$2 s
	shift 2
	# shellcheck disable=SC2086
	aud-prepare -q ${PREPARE:-} --shards "$n" -o "$T/s%d.aud" "${CSV:-$AUD_ROOT/data/sample.csv}"
	for s in $(seq 0 $((n - 1))); do
		aud-features --partial -o "$T/sb$s.aud" "$T/s$s.aud"
	done
	aud-features --combine -o "$T/sb.aud" $(seq -f "$T/sb%g.aud" 0 $((n - 1)))
	for s in $(seq 0 $((n - 1))); do
		aud-features --bounds "$T/sb.aud" -o "$T/sf$s.aud" "$T/s$s.aud"
		aud-rank --features "$T/sf$s.aud" --partial --model engagement \
			-o "$T/sr$s.aud" "$@" "$T/s$s.aud"
	done
	aud-rank --merge -o "$out" $(seq -f "$T/sr%g.aud" 0 $((n - 1)))
}

@test "aud-rank --partial, --merge: the model of 1, 3 and 7 shards is one machine's" {
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" --model engagement -o "$T/m.aud" "$T/all.aud"
	for n in 1 3 7; do
		sharded_model "$n" "$T/m$n.aud"
		same_model "$T/m.aud" "$T/m$n.aud"
	done
	# What differs: the sources.
	run -0 bash -c "aud-cat -H '$T/m3.aud' | jq -c '.model | [.features_source, .interactions_source, .interactions_fingerprint]'"
	assert_output '[null,null,null]'
	# The activity model, and another depth, the same way.
	aud-rank --features "$T/f.aud" --model activity --top-n 5 --depth 7 -o "$T/a.aud" "$T/all.aud"
	sharded_model 4 "$T/a4.aud" --model activity --top-n 5 --depth 7
	same_model "$T/a.aud" "$T/a4.aud"
	run -0 aud-query -m "$T/a4.aud" -n 2 1000000
	assert_output "$(aud-query -m "$T/a.aud" -n 2 1000000)"
}

@test "a damaged audience part is refused in one line, nothing written" {
	sharded_model 2 "$T/m2.aud"
	local size
	size=$(stat -c %s "$T/sr1.aud")
	head -c $((size - 3)) "$T/sr1.aud" > "$T/cut.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/cut.aud"
	assert_equal "$stderr" "aud-rank: $T/cut.aud: truncated, or bytes after its trailer"
	{ cat "$T/sr1.aud"; printf x; } > "$T/long.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/long.aud"
	assert_equal "$stderr" "aud-rank: $T/long.aud: truncated, or bytes after its trailer"
	# The header alone: no records, no trailer.
	head -c 200 "$T/sr1.aud" > "$T/head.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/head.aud"
	assert_equal "$stderr" "aud-rank: $T/head.aud: not an aud stream (no header)"
	: > "$T/empty.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/empty.aud"
	assert_equal "$stderr" "aud-rank: $T/empty.aud: empty input, not an aud stream"
	run -1 --separate-stderr bash -c "aud-rank --merge -o '$T/x.aud' '$T/sr0.aud' <(cat '$T/sr1.aud')"
	assert_regex "$stderr" "^aud-rank: /dev/fd/[0-9]+: not a regular file \\(a part is read twice\\)\$"
	# The first record (1000000, 31 customers, its audience stepping over
	# places 0 and 1): the places out of order, one past the ranking's end
	# (65535 alone), more places than customers.
	python3 - "$T/sr1.aud" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
at = b.index(b'\x1f\x92\x00\x01', b.index(b'provenance'))
for name, patch in (('order', b'\x1f\x92\x01\x00'), ('end', b'\x1f\x91\xcd\xff\xff'),
                    ('many', b'\x01\x92\x00\x01')):
    c = bytearray(b)
    c[at:at + 4] = patch
    open(p + '.' + name, 'wb').write(c)
# A part of the aud-rank before parts held skipped places.
open(p + '.old', 'wb').write(b.replace(b'\xa7skipped', b'\xa6places', 1))
# A second ranking, of customer 1 alone, at the header's end: which one
# a reader took would depend on the reader.
assert b[0] == 0x8a
end = b.index(b'\x94\xce\x00\x0f\x42\x40')
other = b'\xa7ranking\x81\xa9customers\x92\x91\x01\x91\xcb' + bytes(8)
open(p + '.twice', 'wb').write(b'\x8b' + b[1:end] + other + b[end:])
PY
	aud-cat "$T/sr1.aud" | head -n 1 | grep -qF '{"product_id":1000000,"product_name":"Blue Cotton Mug","customers":31,"skipped":[0,1]}'
	[ "$(aud-cat -H "$T/sr1.aud" | jq '.ranking.customers[0] | length')" -lt 65535 ]
	for bad in order end many; do
		run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/sr1.aud.$bad"
		assert_equal "$stderr" "aud-rank: $T/sr1.aud.$bad: a malformed product record"
	done
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/sr1.aud.old"
	assert_equal "$stderr" "aud-rank: $T/sr1.aud.old: a part of an older aud-rank (its records hold audiences): make the parts again"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/sr1.aud.twice"
	assert_equal "$stderr" "aud-rank: $T/sr1.aud.twice: not a usable audience part"
	[ ! -e "$T/x.aud" ]
	no_temporaries "$T"
}

@test "audience parts of the wrong shards are refused by name" {
	sharded_model 3 "$T/m3.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/sr2.aud"
	assert_equal "$stderr" "aud-rank: shard 1 of 3 is missing"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/sr1.aud" "$T/sr2.aud" "$T/sr1.aud"
	assert_equal "$stderr" "aud-rank: $T/sr1.aud: shard 1 is given twice"
	aud-rank --features "$T/sf1.aud" --partial --model engagement --top-n 3 \
		-o "$T/t1.aud" "$T/s1.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/t1.aud" "$T/sr2.aud"
	assert_equal "$stderr" "aud-rank: $T/t1.aud: a part of another model (score, top n, depth, seed or settings) or shard count than $T/sr0.aud"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/sr0.aud" "$T/s1.aud"
	assert_equal "$stderr" "aud-rank: $T/s1.aud: a stream of interactions, expected audience_parts"
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-features -o "$T/f.aud" "$T/all.aud"
	run -1 --separate-stderr aud-rank --features "$T/f.aud" --partial --model engagement \
		-o "$T/x.aud" "$T/all.aud"
	assert_equal "$stderr" "aud-rank: $T/all.aud: not a customer shard (aud-prepare --shards)"
	run -2 aud-rank --features "$T/sf0.aud" --partial --model cooccurrence "$T/s0.aud"
	run -2 aud-rank --features "$T/sf0.aud" --partial --quick "$T/s0.aud"
	run -2 aud-rank --merge
	run -2 aud-rank --merge --features "$T/sf0.aud" "$T/sr0.aud"
	[ ! -e "$T/x.aud" ]
	no_temporaries "$T"
}

@test "aud-rank --pairs, --sum-pairs: the shards' co-occurrence sums give one machine's neighbours" {
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" --model cooccurrence --pairs -o "$T/p.aud" "$T/all.aud"
	aud-rank --sum-pairs -o "$T/n.aud" "$T/p.aud"
	sharded_model 3 "$T/m3.aud"
	for s in 0 1 2; do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence --pairs -o "$T/p$s.aud" "$T/s$s.aud"
	done
	aud-rank --sum-pairs -o "$T/n3.aud" "$T/p2.aud" "$T/p0.aud" "$T/p1.aud"
	cmp <(aud-cat "$T/n.aud") <(aud-cat "$T/n3.aud")
	# 1000000's neighbours: its most similar 1000509, 8 in all.
	run -0 bash -c "aud-cat '$T/n3.aud' | head -n 1 | jq -c '[.product_id, .neighbours[0], (.neighbours | length)]'"
	assert_output '[1000000,1000509,8]'
	# The header: the settings, with the time ages count from (the last
	# row of all shards), and the totals.
	run -0 bash -c "aud-cat -H '$T/n3.aud' | jq -c '[.kind, .params.half_life_days, .params.decay_end, .params.neighbours, .params.min_support, .shards, .interactions, .products]'"
	assert_output '["cooc_neighbours",30,1680260563000,200,2,3,4985,1990]'
	# Sums of other settings, or not sums, are refused by name.
	aud-rank --features "$T/sf1.aud" --model cooccurrence --half-life 7 --pairs -o "$T/h1.aud" "$T/s1.aud"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p0.aud" "$T/h1.aud" "$T/p2.aud"
	assert_equal "$stderr" "aud-rank: $T/h1.aud: co-occurrence sums of other settings (params) than the part before it"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p0.aud" "$T/p2.aud"
	assert_equal "$stderr" "aud-rank: shard 1 of 3 is missing"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p0.aud" "$T/p1.aud" "$T/p1.aud"
	assert_equal "$stderr" "aud-rank: $T/p1.aud: shard 1 is given twice"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p0.aud" "$T/nothing.aud"
	assert_equal "$stderr" "aud-rank: $T/nothing.aud: No such file or directory"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/sr0.aud"
	assert_equal "$stderr" "aud-rank: $T/sr0.aud: a stream of audience_parts, expected cooc_pairs"
	# A header that says more products than the file's bytes could hold,
	# or fewer than its records.
	python3 - "$T/p.aud" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
m = re.search(rb'\xa8products(\xcd..|\xce....)', b, re.S)
open(sys.argv[1] + '.big', 'wb').write(b[:m.start(1)] + b'\xce\xff\xff\xff\x00' + b[m.end(1):])
open(sys.argv[1] + '.few', 'wb').write(b[:m.start(1)] + b'\x01' + b[m.end(1):])
PY
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p.aud.big"
	assert_equal "$stderr" "aud-rank: $T/p.aud.big: not a usable co-occurrence part"
	run -1 --separate-stderr aud-rank --sum-pairs -o "$T/x.aud" "$T/p.aud.few"
	assert_regex "$stderr" "^aud-rank: $T/p.aud.few: byte [0-9]+: not a co-occurrence part's record\$"
	run -2 aud-rank --features "$T/sf0.aud" --model engagement --pairs "$T/s0.aud"
	run -2 aud-rank --features "$T/sf0.aud" --model cooccurrence --pairs --partial "$T/s0.aud"
	run -2 aud-rank --sum-pairs
	run -2 aud-rank --sum-pairs --merge "$T/p0.aud"
	[ ! -e "$T/x.aud" ]
	no_temporaries "$T"
}

# sharded_cooc N OUT [AUD-RANK OPTIONS...]: data/sample.csv's (or $CSV's)
# co-occurrence model from N shards: their sums, the neighbour table, their
# tops, the largest, their parts.
sharded_cooc() {
	local n=$1 out=$2 s last=$(($1 - 1))
	shift 2
	sharded_model "$n" "$T/m$n.aud"
	for s in $(seq 0 $last); do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence "$@" --pairs \
			-o "$T/p$s.aud" "$T/s$s.aud"
	done
	aud-rank --sum-pairs -o "$T/n.aud" $(seq -f "$T/p%g.aud" 0 $last)
	for s in $(seq 0 $last); do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence "$@" \
			--with-neighbours "$T/n.aud" --tops -o "$T/t$s.aud" "$T/s$s.aud"
	done
	aud-rank --max-tops -o "$T/t.aud" $(seq -f "$T/t%g.aud" 0 $last)
	for s in $(seq 0 $last); do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence "$@" \
			--with-neighbours "$T/n.aud" --with-tops "$T/t.aud" --partial \
			-o "$T/cp$s.aud" "$T/s$s.aud"
	done
	aud-rank --merge -o "$out" $(seq -f "$T/cp%g.aud" 0 $last)
}

@test "the co-occurrence model of 1, 3 and 5 shards is one machine's" {
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" --model cooccurrence -o "$T/m.aud" "$T/all.aud"
	for n in 1 3 5; do
		sharded_cooc "$n" "$T/cm$n.aud"
		same_model "$T/m.aud" "$T/cm$n.aud"
	done
	run -0 aud-query -m "$T/cm3.aud" -n 3 1000000
	assert_output "$(aud-query -m "$T/m.aud" -n 3 1000000)"
	assert_line --index 1 '1000000,1,103612,1.0178335580980553,model,similar:1000509,Blue Cotton Mug'
	# 1000000's tops: the largest relevance of all shards.
	run -0 bash -c "aud-cat '$T/t.aud' | head -n 1"
	assert_output '{"product_id":1000000,"top":0.028669465333223343}'
	run -0 bash -c "aud-cat -H '$T/t.aud' | jq -c '[.kind, .shards]'"
	assert_output '["cooc_tops",5]'
}

@test "co-occurrence shards: tops, tables and parts of other runs are refused by name" {
	sharded_cooc 3 "$T/cm3.aud"
	run -1 --separate-stderr aud-rank --max-tops -o "$T/x.aud" "$T/t0.aud" "$T/t2.aud"
	assert_equal "$stderr" "aud-rank: shard 1 of 3 is missing"
	run -1 --separate-stderr aud-rank --max-tops -o "$T/x.aud" "$T/t0.aud" "$T/t1.aud" "$T/t1.aud"
	assert_equal "$stderr" "aud-rank: $T/t1.aud: shard 1 is given twice"
	# A table of other settings than the pass's.
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence --half-life 7 \
		--with-neighbours "$T/n.aud" --tops -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/n.aud: a neighbour table of other settings (params) than these"
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence \
		--with-neighbours "$T/t.aud" --tops -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/t.aud: a stream of cooc_tops, expected cooc_neighbours"
	# Tops of other settings than the pass's (and its table's).
	for s in 0 1 2; do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence --half-life 7 --pairs \
			-o "$T/h$s.aud" "$T/s$s.aud"
	done
	aud-rank --sum-pairs -o "$T/n7.aud" "$T/h0.aud" "$T/h1.aud" "$T/h2.aud"
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence --half-life 7 \
		--with-neighbours "$T/n7.aud" --with-tops "$T/t.aud" --partial -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/t.aud: tops of other settings (params) than these"
	# A table naming a product twice: its first record (1000000) again.
	python3 - "$T/n.aud" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
first = b.index(b'\x96\xce\x00\x0f\x42\x40')
second = b.index(b'\x96\xce\x00\x0f\x42\x43')
at = b.rindex(b'\xa7records') + 8 + (second - first)
out = bytearray(b[:second] + b[first:second] + b[second:])
assert out[at] < 0x7f	# the count, a positive fixint
out[at] += 1
open(sys.argv[1] + '.twice', 'wb').write(out)
PY
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence \
		--with-neighbours "$T/n.aud.twice" --tops -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/n.aud.twice: a product twice in the neighbour table"
	# A shard's tops where all shards' are wanted.
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence \
		--with-neighbours "$T/n.aud" --with-tops "$T/t0.aud" --partial -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/t0.aud: not the tops of all shards (aud-rank --max-tops)"
	# A part's relevant customers out of order: its first two scores swapped.
	aud-cat "$T/cp0.aud" | head -n 1 | jq -r '.scores[0], .scores[1]' >"$T/two"
	python3 - "$T/cp0.aud" "$T/two" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
x, y = (struct.pack('>Bd', 0xcb, float(v)) for v in open(sys.argv[2]).read().split())
at = b.index(x + y)
open(sys.argv[1] + '.swapped', 'wb').write(b[:at] + y + x + b[at + 18:])
PY
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/cp1.aud" "$T/cp0.aud.swapped" "$T/cp2.aud"
	assert_equal "$stderr" "aud-rank: $T/cp0.aud.swapped: a part's relevant customers out of order"
	[ ! -e "$T/x.aud" ]
	# A co-occurrence part beside an engagement one.
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/cp0.aud" "$T/sr1.aud" "$T/cp2.aud"
	assert_equal "$stderr" "aud-rank: $T/sr1.aud: a part of another model (score, top n, depth, seed or settings) or shard count than $T/cp0.aud"
	run -2 aud-rank --features "$T/sf0.aud" --model cooccurrence --partial "$T/s0.aud"
	run -2 aud-rank --features "$T/sf0.aud" --model cooccurrence --with-neighbours "$T/n.aud" --partial "$T/s0.aud"
	run -2 aud-rank --features "$T/sf0.aud" --model engagement --with-neighbours "$T/n.aud" \
		--tops "$T/s0.aud"
	run -2 aud-rank --max-tops --merge "$T/t0.aud"
	no_temporaries "$T"
}

@test "products with categories: the co-occurrence model of shards is one machine's" {
	# category.csv in 3 shards: customers 1, 2, 6, 7 and 8 in shard 0, 4
	# and 5 in 1, 3 in 2. The Kitchen's customers (1, 2, 3, 8) are in two
	# shards: each one's affinity is divided by the largest of all.
	CSV=category.csv PREPARE='--category-col category'
	prepare_to all.aud --category-col category category.csv
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" --model cooccurrence -o "$T/m.aud" "$T/all.aud"
	sharded_cooc 3 "$T/cm3.aud"
	same_model "$T/m.aud" "$T/cm3.aud"
	# A part that names another category for a product (Blue Mug, 10, has
	# customers in shards 0 and 2) is refused by name.
	sed 's/Kitchen/Kitchem/g' "$T/cp2.aud" >"$T/cp2.other"
	run -1 --separate-stderr aud-rank --merge -o "$T/x.aud" "$T/cp0.aud" "$T/cp1.aud" "$T/cp2.other"
	assert_equal "$stderr" "aud-rank: $T/cp2.other: a product in another category than a part before it says"
	# Soup Bowl (12), bought by 7 alone, has no neighbours: its audience is
	# the Kitchen's customers, then the engagement order.
	run -0 aud-query -m "$T/cm3.aud" -n 5 12
	assert_output "$(aud-query -m "$T/m.aud" -n 5 12)"
	assert_output - <<'EOF'
product_id,rank,customer_id,score,source,reason,product_name
12,1,2,0.5785,model,category:Kitchen,Soup Bowl
12,2,1,0.5549208210595753,model,category:Kitchen,Soup Bowl
12,3,8,0.3267305905957114,model,category:Kitchen,Soup Bowl
12,4,3,0.2777989817819559,model,category:Kitchen,Soup Bowl
12,5,5,0.8099999999999999,model,engagement,Soup Bowl
EOF
	# A new product by its category: the category index is all shards'.
	run -0 aud-query -m "$T/cm3.aud" --name Trowel --category Garden -n 3
	assert_output "$(aud-query -m "$T/m.aud" --name Trowel --category Garden -n 3)"
	assert_line --index 1 ',1,5,3.4299999999999997,model,category:Garden,Trowel'
	# The table names each product's category; the first of a category
	# carries its most attached customers of all shards (the most recent
	# buyers first: weights decay).
	run -0 bash -c "aud-cat '$T/n.aud' | jq -c '[.product_id, .category, .category_customers]'"
	assert_output - <<'EOF'
[10,"Kitchen",[2,1,8,7,3]]
[11,"Kitchen",[]]
[12,"Kitchen",[]]
[20,"Garden",[5,4,6]]
[21,"Garden",[]]
EOF
	# data/sample.csv with a category of most products, weighted more.
	awk -F, -v OFS=, 'NR == 1 { print $0, "category"; next }
		{ print $0, ($3 % 11 ? "c" $3 % 7 : "") }' "$AUD_ROOT/data/sample.csv" >"$T/cat.csv"
	CSV=$T/cat.csv
	prepare_to cat.aud --category-col category "$T/cat.csv"
	aud-features -o "$T/cf.aud" "$T/cat.aud"
	aud-rank --features "$T/cf.aud" --model cooccurrence --category-weight 2 \
		-o "$T/c.aud" "$T/cat.aud"
	for n in 1 4; do
		sharded_cooc "$n" "$T/cc$n.aud" --category-weight 2
		same_model "$T/c.aud" "$T/cc$n.aud"
	done
	run -0 aud-query -m "$T/cc4.aud" --name x --category c3 -n 10
	assert_output "$(aud-query -m "$T/c.aud" --name x --category c3 -n 10)"
	# A table of products with categories for shards without.
	aud-prepare -q --shards 1 -o "$T/plain%d.aud" "$AUD_ROOT/data/sample.csv"
	aud-features --partial -o "$T/pb0.aud" "$T/plain0.aud"
	aud-features --combine -o "$T/pb.aud" "$T/pb0.aud"
	aud-features --bounds "$T/pb.aud" -o "$T/pf0.aud" "$T/plain0.aud"
	run -1 --separate-stderr aud-rank --features "$T/pf0.aud" --model cooccurrence \
		--with-neighbours "$T/n.aud" --tops -o "$T/x.aud" "$T/plain0.aud"
	assert_equal "$stderr" "aud-rank: $T/n.aud: a neighbour table of products with categories, for interactions without"
	# And back: the same rows' table without categories for a shard with.
	aud-rank --features "$T/pf0.aud" --model cooccurrence --pairs -o "$T/pp0.aud" "$T/plain0.aud"
	aud-rank --sum-pairs -o "$T/pn.aud" "$T/pp0.aud"
	run -1 --separate-stderr aud-rank --features "$T/sf0.aud" --model cooccurrence \
		--with-neighbours "$T/pn.aud" --tops -o "$T/x.aud" "$T/s0.aud"
	assert_equal "$stderr" "aud-rank: $T/pn.aud: a neighbour table of products without categories, for interactions with"
	[ ! -e "$T/x.aud" ]
	no_temporaries "$T"
}

@test "the co-occurrence model of orders.csv in 3 shards, one of them empty, is one machine's" {
	# Shard 0 of 3 holds no customer (see the first test); ids of both
	# kinds, ties among buyers by id (-5 before the string id).
	prepare_to all.aud orders.csv
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" --model cooccurrence -o "$T/m.aud" "$T/all.aud"
	aud-prepare -q --shards 3 -o "$T/s%d.aud" orders.csv
	for s in 0 1 2; do aud-features --partial -o "$T/b$s.aud" "$T/s$s.aud"; done
	aud-features --combine -o "$T/b.aud" "$T/b0.aud" "$T/b1.aud" "$T/b2.aud"
	for s in 0 1 2; do
		aud-features --bounds "$T/b.aud" -o "$T/sf$s.aud" "$T/s$s.aud"
		aud-rank --features "$T/sf$s.aud" --model cooccurrence --pairs -o "$T/p$s.aud" "$T/s$s.aud"
	done
	# The empty shard's features are of the time of all (the decay's end).
	run -0 bash -c "aud-cat -H '$T/sf0.aud' | jq .params.max_time"
	assert_output 1664697600000
	aud-rank --sum-pairs -o "$T/n.aud" "$T/p0.aud" "$T/p1.aud" "$T/p2.aud"
	for s in 0 1 2; do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence --with-neighbours "$T/n.aud" \
			--tops -o "$T/t$s.aud" "$T/s$s.aud"
	done
	aud-rank --max-tops -o "$T/t.aud" "$T/t0.aud" "$T/t1.aud" "$T/t2.aud"
	for s in 0 1 2; do
		aud-rank --features "$T/sf$s.aud" --model cooccurrence --with-neighbours "$T/n.aud" \
			--with-tops "$T/t.aud" --partial -o "$T/c$s.aud" "$T/s$s.aud"
	done
	aud-rank --merge -o "$T/c.aud" "$T/c0.aud" "$T/c1.aud" "$T/c2.aud"
	same_model "$T/m.aud" "$T/c.aud"
	run -0 bash -c "aud-cat '$T/c.aud' | sed -n 3p | jq -c .buyers"
	assert_output '[-5,"12345678901234567890"]'
}
