#!/usr/bin/env bats
# Faults: processes killed while writing, readers that go away, hostile
# HTTP clients beside honest ones, a model replaced under a running server.

setup() {
	load test_helper
	cd "$FIXTURES"
	rank_fixture 3
	cd "$BATS_TEST_TMPDIR"
}

# started_writing PID FILE: waits until PID has its temporary file for FILE.
started_writing() {
	local i
	for i in $(seq 100); do
		compgen -G "$(dirname "$2")/.$(basename "$2").aud-$1-*.tmp" > /dev/null && return 0
		sleep 0.05
	done
	echo "no temporary file for $2"
	return 1
}

# interrupted SIGNAL TOOL ARGS...: runs TOOL -o out.aud ARGS with its input
# held open, sends SIGNAL once it writes, and checks that the previous
# out.aud is untouched and, after a normal run, no temporary file is left.
interrupted() {
	local sig=$1 pid
	shift
	echo previous > out.aud
	mkfifo slow
	"$@" -o out.aud slow 2>/dev/null &
	pid=$!
	exec 8> slow			# a writer that sends nothing yet
	started_writing "$pid" "$PWD/out.aud"
	kill -"$sig" "$pid"
	wait "$pid" || true
	exec 8>&-
	rm slow
	assert_equal "$(cat out.aud)" previous
}

@test "kill -9 of aud-prepare writing -o: the old file stays, the next run cleans up" {
	interrupted KILL aud-prepare -q
	compgen -G ".out.aud.aud-*.tmp" > /dev/null	# the killed run's file is there
	aud-prepare -q -o out.aud "$FIXTURES/rank.csv"
	no_temporaries "$PWD"
	run -0 aud-cat out.aud
	assert_line --index 0 --partial '"customer_id":3'
}

@test "kill -9 of aud-features and of aud-rank writing -o: the old file stays" {
	interrupted KILL aud-features
	interrupted KILL aud-rank --features "$F"
	aud-features -o out.aud "$I"
	no_temporaries "$PWD"
}

@test "SIGINT and SIGTERM remove the temporary file at once" {
	interrupted INT aud-prepare -q
	no_temporaries "$PWD"
	interrupted TERM aud-features
	no_temporaries "$PWD"
}

@test "a reader that goes away ends every writer quietly" {
	run -0 --separate-stderr bash -c "set -o pipefail; aud-prepare -q '$AUD_ROOT/data/sample.csv' | aud-cat | head -n 1 > /dev/null; echo \${PIPESTATUS[@]}"
	assert_equal "$stderr" ""
	run -0 --separate-stderr bash -c "aud-query -m '$M' --all --format tsv | head -c 10 > /dev/null"
	assert_equal "$stderr" ""
}

@test "hostile clients get their own answers while honest ones get theirs" {
	command -v wrk >/dev/null || skip "wrk is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	ulimit -n 4096 2>/dev/null || true
	local port=$(test_port) pid rss
	aud-serve -m "$M" -q --listen "127.0.0.1:$port" &
	pid=$!
	wait_listening "$port"
	python3 "$AUD_ROOT/tests/faults.py" "$port" 8 > attacks.txt &
	local attacker=$!
	sleep 1
	wrk -t1 -c20 -d5s "http://127.0.0.1:$port/recommend/10?n=2" > wrk.txt
	wait "$attacker"
	# The workers' memory, while the attacks are over but before they exit.
	rss=$(for w in $(pgrep -P "$pid"); do awk '/VmRSS/ { print $2 }' "/proc/$w/status"; done | sort -n | tail -n 1)
	run -0 bash -c "exec 7<>/dev/tcp/127.0.0.1/$port; printf 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n' >&7; head -n 1 <&7 | tr -d '\r'"
	kill "$pid"
	assert_output "HTTP/1.1 200 OK"
	run cat wrk.txt
	refute_output --partial "Socket errors"
	refute_output --partial "Non-2xx"
	assert_output --regexp "[0-9]+ requests in"
	run cat attacks.txt
	assert_line "slowloris: HTTP/1.1 408 Request Timeout"
	assert_line --regexp "^never_reads: sent [0-9]+ KiB, then blocked$"
	assert_line "idle: 1000 idle connections held"
	assert_line "huge_line: HTTP/1.1 414 URI Too Long"
	assert_line "bad_percent: HTTP/1.1 400 Bad Request"
	assert_line "garbage_after: HTTP/1.1 200 OK, then HTTP/1.1 400 Bad Request"
	# ASan's shadow memory and quarantine make a sanitizer build far bigger.
	local limit=65536
	if [ "$(basename "$AUD_BUILD")" = build-san ]; then limit=1048576; fi
	[ "$rss" -lt "$limit" ] || { echo "a worker holds $rss KiB"; return 1; }
}

@test "a model renamed into place: a running connection keeps the old, a new one gets the new" {
	aud-rank --features "$F" --top-n 1 -o m1.aud "$I"
	mkfifo requests
	aud-serve -m "$M" < requests > answers &
	local pid=$!
	exec 8> requests
	printf 'GET /metrics HTTP/1.1\r\n\r\n' >&8
	sleep 0.3
	mv m1.aud "$M"
	printf 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n' >&8
	exec 8>&-
	wait "$pid"
	run -0 grep -o '"top_n":[0-9]*' answers
	assert_output $'"top_n":3\n"top_n":3'
	run -0 bash -c "printf 'GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n' | aud-serve -m '$M' | grep -o '\"top_n\":[0-9]*'"
	assert_output '"top_n":1'
}
