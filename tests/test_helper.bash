# Shared set-up for the bats tests: built binaries first on PATH, a C locale,
# reproducible stream headers, and bats-support/bats-assert.
# shellcheck shell=bash

AUD_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
AUD_BUILD="${AUD_BUILD:-build}"
case "$AUD_BUILD" in /*) ;; *) AUD_BUILD="$AUD_ROOT/$AUD_BUILD" ;; esac
PATH="$AUD_BUILD:$PATH"
FIXTURES="$AUD_ROOT/tests/fixtures"
SHARED_DATA="${AUD_SHARED_DATA:-$AUD_ROOT/../shared/data}"
export LC_ALL=C SOURCE_DATE_EPOCH=0

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# prepare_to NAME ARGS...: runs aud-prepare quietly into $BATS_TEST_TMPDIR/NAME.
prepare_to() {
	local name=$1
	shift
	aud-prepare -q -o "$BATS_TEST_TMPDIR/$name" "$@"
}

# records FILE: the records of a stream as JSON lines (for run/assert_output).
records() {
	aud-cat "$1"
}

# no_temporaries DIR: fails when an aud temporary file is left in DIR.
no_temporaries() {
	local left
	left=$(find "$1" -maxdepth 1 -name '.*.aud-*.tmp')
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# rank_fixture [TOP_N]: the small hand-checked data set fixtures/rank.csv as
# interactions ($I), features ($F) and, given TOP_N, an engagement model
# ($M; its orders are the ones checked by hand) in $BATS_TEST_TMPDIR. The
# tests of aud-features, aud-rank, aud-query and aud-serve all start from it.
rank_fixture() {
	I=$BATS_TEST_TMPDIR/rank.aud
	F=$BATS_TEST_TMPDIR/f.aud
	M=$BATS_TEST_TMPDIR/m.aud
	(cd "$FIXTURES" && aud-prepare -q -o "$I" rank.csv)
	aud-features -o "$F" "$I"
	if [ -n "${1:-}" ]; then
		aud-rank --features "$F" --model engagement --top-n "$1" \
			-o "$M" "$I"
	fi
}

# category_fixture [AUD-RANK OPTIONS...]: fixtures/category.csv (products
# with names and categories) as interactions ($I) and, given options, its
# features ($F) and co-occurrence model ($M, rows unweighted by age).
category_fixture() {
	I=$BATS_TEST_TMPDIR/i.aud
	F=$BATS_TEST_TMPDIR/f.aud
	M=$BATS_TEST_TMPDIR/m.aud
	aud-prepare -q --category-col category -o "$I" "$FIXTURES/category.csv"
	if [ $# -gt 0 ]; then
		aud-features -o "$F" "$I"
		aud-rank -q --features "$F" --model cooccurrence --half-life 0 \
			-o "$M" "$@" "$I"
	fi
}

# chromium_ui MODEL: aud-serve on MODEL on a random loopback port ($port,
# its pid in $pid, waited for) and $chromium, or a skip when there is none;
# ui_page QUERY then prints the DOM of /ui?QUERY after its scripts ran.
chromium_ui() {
	chromium=$(command -v chromium || command -v chromium-browser) || skip "chromium is not installed"
	port=$(test_port)
	aud-serve -m "$1" -q --listen "127.0.0.1:$port" &
	pid=$!
	wait_listening "$port"
}

ui_page() {
	timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$BATS_TEST_TMPDIR/chromium" --virtual-time-budget=10000 \
		--dump-dom "http://127.0.0.1:$port/ui?$1" 2>/dev/null
}

# fingerprint STREAM: the content fingerprint in a stream's trailer.
fingerprint() {
	aud-cat --fingerprint "$1"
}

# same_model A B: the same records, and the same header but for the fields
# that name sources, times or the shard layout (aud-rank(1), Shards): a
# model merged from customer shards against one machine's.
same_model() {
	cmp <(aud-cat "$1") <(aud-cat "$2")
	cmp <(aud-cat -H "$1" | jq -S 'del(.provenance) | del(.model.features_source, .model.interactions_source, .model.interactions_fingerprint)') \
	    <(aud-cat -H "$2" | jq -S 'del(.provenance) | del(.model.features_source, .model.interactions_source, .model.interactions_fingerprint)')
}

# connect_fd7 PORT: opens fd 7 to 127.0.0.1:PORT as soon as a server listens
# there, waiting up to 30 s: on a loaded machine one has taken over 5 s to
# start. wait_listening PORT: the same, the connection closed again.
# The braces hold the 2>/dev/null: after an exec's own redirections bash
# reports a refused connect on the stderr it had (a test's output, under
# run), and an exec's 2>/dev/null would stay for the rest of the test.
connect_fd7() {
	local i
	for i in $(seq 300); do
		{ exec 7<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_listening() {
	local i
	for i in $(seq 300); do
		(exec 7<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# test_port: a loopback port for a test's server, below the kernel's range
# of ephemeral ports (32768-60999 on Debian): one in that range may be held
# by a client connection of an earlier test, or in TIME_WAIT, and a server
# that does not set SO_REUSEADDR (tcpsvd) then cannot listen there (the
# tcpsvd test failed so in full runs, never alone).
test_port() {
	local low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || low=32768
	[ "${low:-0}" -gt 20000 ] || low=32768
	echo $((20000 + RANDOM % (low - 20000)))
}
