#!/usr/bin/env bats
# The pipeline over customer shards on real engines: GNU parallel
# (scripts/aud-parallel) and a one-node Slurm cluster started here
# (scripts/slurm/aud-slurm). Each model must be the one machine's.

setup_file() {
	load test_helper
	load slurm_cluster
	SLURM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/aud-slurm.XXXXXX")
	export SLURM_DIR
	# slurm_start exports SLURM_CONF; its reason for failing goes to a file.
	if slurm_start "$SLURM_DIR" > "$SLURM_DIR/why"; then
		SLURM_WHY=""
	else
		SLURM_WHY=$(cat "$SLURM_DIR/why")
	fi
	export SLURM_WHY
}

teardown_file() {
	load slurm_cluster
	slurm_stop "$SLURM_DIR"
	rm -rf "$SLURM_DIR"
}

setup() {
	load test_helper
	T=$BATS_TEST_TMPDIR
	prepare_to all.aud "$AUD_ROOT/data/sample.csv"
	aud-features -o "$T/f.aud" "$T/all.aud"
	aud-rank --features "$T/f.aud" -o "$T/m.aud" "$T/all.aud"
}

@test "aud-parallel: 1 and 4 shards in local jobs, and through parallel's --sshlogin" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	for n in 1 4; do
		run -0 "$AUD_ROOT/scripts/aud-parallel" -n "$n" -j 2 -o "$T/p$n.aud" "$AUD_ROOT/data/sample.csv"
		same_model "$T/m.aud" "$T/p$n.aud"
	done
	# ":" is this machine, reached the way other machines are.
	"$AUD_ROOT/scripts/aud-parallel" -n 3 -S 2/: -d "$T/work" -o "$T/s.aud" "$AUD_ROOT/data/sample.csv"
	same_model "$T/m.aud" "$T/s.aud"
	[ -s "$T/work/bounds.aud" ]
	# The activity model, options passed through.
	aud-rank --features "$T/f.aud" --model activity --top-n 5 -o "$T/a.aud" "$T/all.aud"
	"$AUD_ROOT/scripts/aud-parallel" -n 2 --model activity --top-n 5 -o "$T/pa.aud" "$AUD_ROOT/data/sample.csv"
	same_model "$T/a.aud" "$T/pa.aud"
	# A return model fitted to every shard's customers, ranked by.
	aud-features --return-model mbgnbd -o "$T/fr.aud" "$T/all.aud"
	aud-rank --features "$T/fr.aud" --score p_alive -o "$T/r.aud" "$T/all.aud"
	"$AUD_ROOT/scripts/aud-parallel" -n 3 --return-model mbgnbd --score p_alive \
		-o "$T/pr.aud" "$AUD_ROOT/data/sample.csv"
	same_model "$T/r.aud" "$T/pr.aud"
}

@test "aud-parallel: the co-occurrence model in 3 shards, settings passed through" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	aud-rank --features "$T/f.aud" --model cooccurrence --half-life 7 --neighbours 20 \
		--blend 0.3 -o "$T/c.aud" "$T/all.aud"
	run -0 "$AUD_ROOT/scripts/aud-parallel" -n 3 -j 2 -d "$T/work" --model cooccurrence \
		--half-life 7 --neighbours 20 --blend 0.3 -o "$T/pc.aud" "$AUD_ROOT/data/sample.csv"
	same_model "$T/c.aud" "$T/pc.aud"
	[ -s "$T/work/neighbours.aud" ] && [ -s "$T/work/tops.aud" ]
	# Products with categories, the prepare options after the CSV.
	prepare_to k.aud --category-col category "$FIXTURES/category.csv"
	aud-features -o "$T/kf.aud" "$T/k.aud"
	aud-rank --features "$T/kf.aud" --model cooccurrence --category-weight 2 -o "$T/kc.aud" "$T/k.aud"
	run -0 "$AUD_ROOT/scripts/aud-parallel" -n 3 -j 2 -d "$T/work2" --model cooccurrence \
		--category-weight 2 -o "$T/pk.aud" "$FIXTURES/category.csv" --category-col category
	same_model "$T/kc.aud" "$T/pk.aud"
}

@test "aud-parallel: two exports, each prepared into shards and merged, give one machine's model" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	local rows
	rows=$(($(wc -l < "$AUD_ROOT/data/sample.csv") / 2))
	head -n "$rows" "$AUD_ROOT/data/sample.csv" > "$T/day1.csv"
	{ head -n 1 "$AUD_ROOT/data/sample.csv"; tail -n +"$((rows + 1))" "$AUD_ROOT/data/sample.csv"; } > "$T/day2.csv"
	run -0 "$AUD_ROOT/scripts/aud-parallel" -n 3 -j 2 -d "$T/work" -o "$T/e.aud" -e "$T/day2.csv" "$T/day1.csv"
	same_model "$T/m.aud" "$T/e.aud"
	run -0 aud-cat -H "$T/work/i2.aud"
	assert_output --partial '"merged_pieces":2,"shard":{"index":2,"count":3}'
}

@test "aud-parallel: a failed step is its message and exit 1, no model; bad use exit 2" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	run -1 --separate-stderr "$AUD_ROOT/scripts/aud-parallel" -n 2 -o "$T/x.aud" "$T/none.csv"
	assert_equal "$stderr" "aud-prepare: $T/none.csv: No such file or directory"
	[ ! -e "$T/x.aud" ]
	run -2 --separate-stderr "$AUD_ROOT/scripts/aud-parallel" -n 0 -o "$T/x.aud" "$AUD_ROOT/data/sample.csv"
	assert_equal "${stderr_lines[0]}" 'aud-parallel: --shards: expected 1 to 256, got "0"'
	run -2 "$AUD_ROOT/scripts/aud-parallel" "$AUD_ROOT/data/sample.csv"
	run -0 "$AUD_ROOT/scripts/aud-parallel" --help
	assert_line --index 0 --partial "Usage: aud-parallel"
}

@test "aud-parallel and aud-slurm: an option without its value is a usage error" {
	# Parsed before either looks for its engine, so no engine is needed.
	for tool in aud-parallel slurm/aud-slurm; do
		for opt in -n -o -e --model --top-n --return-model; do
			run -2 --separate-stderr "$AUD_ROOT/scripts/$tool" "$opt"
			assert_equal "${stderr_lines[0]}" "${tool#slurm/}: $opt needs a value"
			run -2 --separate-stderr "$AUD_ROOT/scripts/$tool" "$opt" "" x.csv
			assert_equal "${stderr_lines[0]}" "${tool#slurm/}: $opt needs a value"
		done
	done
}

@test "aud-parallel and aud-slurm: a shard count outside 1 to 256 is a usage error" {
	# 0004 would reach bash's arithmetic as octal; a number of 23 digits
	# once passed, test(1) failing to compare it.
	for tool in aud-parallel slurm/aud-slurm; do
		for n in 0 257 0004 99999999999999999999999 -3 4x; do
			run -2 --separate-stderr "$AUD_ROOT/scripts/$tool" -n "$n" \
			    -d "$T/w" -o "$T/m.aud" x.csv
			assert_equal "${stderr_lines[0]}" "${tool#slurm/}: --shards: expected 1 to 256, got \"$n\""
		done
	done
	[ ! -e "$T/w" ]
}

@test "aud-slurm: job arrays and dependent jobs on a one-node cluster give one machine's model" {
	[ -z "$SLURM_WHY" ] || skip "no Slurm cluster: $SLURM_WHY"
	run -0 "$AUD_ROOT/scripts/slurm/aud-slurm" -n 4 -d "$T/work" -o "$T/sl.aud" --wait "$AUD_ROOT/data/sample.csv"
	same_model "$T/m.aud" "$T/sl.aud"
	# Every shard's steps ran as array tasks, with their logs.
	[ -s "$T/work/r3.aud" ] && [ -e "$T/work/log/shard-3.out" ]
	# Two exports: a prepare task each, then a merge task a shard.
	local rows
	rows=$(($(wc -l < "$AUD_ROOT/data/sample.csv") / 2))
	head -n "$rows" "$AUD_ROOT/data/sample.csv" > "$T/day1.csv"
	{ head -n 1 "$AUD_ROOT/data/sample.csv"; tail -n +"$((rows + 1))" "$AUD_ROOT/data/sample.csv"; } > "$T/day2.csv"
	run -0 "$AUD_ROOT/scripts/slurm/aud-slurm" -n 3 -d "$T/work2" -o "$T/sl2.aud" --wait \
		-e "$T/day2.csv" "$T/day1.csv" || { cat "$T"/work2/log/* >&3; false; }
	same_model "$T/m.aud" "$T/sl2.aud"
	[ -e "$T/work2/log/prepare-1.out" ] && [ -e "$T/work2/log/pieces-2.out" ]
	# A return model fitted to every shard's customers, ranked by.
	aud-features --return-model bgnbd -o "$T/fr.aud" "$T/all.aud"
	aud-rank --features "$T/fr.aud" --score expected_purchases -o "$T/r.aud" "$T/all.aud"
	run -0 "$AUD_ROOT/scripts/slurm/aud-slurm" -n 2 -d "$T/work3" -o "$T/sl3.aud" --wait \
		--return-model bgnbd --score expected_purchases "$AUD_ROOT/data/sample.csv" ||
		{ cat "$T"/work3/log/* >&3; false; }
	same_model "$T/r.aud" "$T/sl3.aud"
	# The co-occurrence model of products with categories: its exchanges
	# as jobs and arrays, the prepare options after the CSV.
	prepare_to k.aud --category-col category "$FIXTURES/category.csv"
	aud-features -o "$T/kf.aud" "$T/k.aud"
	aud-rank --features "$T/kf.aud" --model cooccurrence --neighbours 50 --category-weight 2 \
		-o "$T/c.aud" "$T/k.aud"
	run -0 "$AUD_ROOT/scripts/slurm/aud-slurm" -n 3 -d "$T/work4" -o "$T/sl4.aud" --wait \
		--model cooccurrence --neighbours 50 --category-weight 2 "$FIXTURES/category.csv" \
		--category-col category || { cat "$T"/work4/log/* >&3; false; }
	same_model "$T/c.aud" "$T/sl4.aud"
	[ -e "$T/work4/log/tops-2.out" ] && [ -e "$T/work4/log/part-2.out" ] && [ -e "$T/work4/log/sum.out" ]
	# A failed first step cancels the rest: exit 1, no model.
	run -1 "$AUD_ROOT/scripts/slurm/aud-slurm" -n 2 -d "$T/bad" -o "$T/x.aud" --wait "$T/none.csv"
	[ ! -e "$T/x.aud" ]
	grep -q "No such file or directory" "$T/bad/log/prepare.out"
}
