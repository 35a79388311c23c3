#!/usr/bin/env bats
# The container images of `make image`, tested by running them under podman:
# aud-serve serving a model of the sample through a port mapping, reloading
# and stopping on signals, refusing a missing model; aud running the whole
# pipeline. On this project's machines podman runs containers with runc and
# without default ulimits (see ../shared/docs/containers.md); where it cannot
# run one at all, the suite says why and skips.

setup_file() {
	load test_helper
	export CONTAINERS_CONF="$BATS_FILE_TMPDIR/containers.conf"
	printf '[containers]\ndefault_ulimits = []\n' > "$CONTAINERS_CONF"
	command -v podman > /dev/null || return 0
	# A build inside make check must not take the outer make's jobserver.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$AUD_ROOT" image > /dev/null
}

setup() {
	load test_helper
	command -v podman > /dev/null || skip "podman is not installed (scripts/bootstrap installs it)"
	local why
	why=$(podman --runtime runc run --rm aud-serve:latest --version 2>&1) ||
		skip "podman cannot run a container here: ${why##*$'\n'}"
	name=aud-test-$$-$BATS_TEST_NUMBER
	data=$BATS_TEST_TMPDIR/data
	mkdir -m 777 "$data"	# the images run as uid 65534
}

teardown() {
	podman rm -f -t 0 "$name" > /dev/null 2>&1 || true
}

run_image() {
	podman --runtime runc run "$@"
}

# model_of_sample TOP_N FILE: a model of data/sample.csv, built natively.
model_of_sample() {
	aud-prepare -q -o "$BATS_TEST_TMPDIR/i.aud" "$AUD_ROOT/data/sample.csv"
	aud-features -o "$BATS_TEST_TMPDIR/f.aud" "$BATS_TEST_TMPDIR/i.aud"
	aud-rank --features "$BATS_TEST_TMPDIR/f.aud" --top-n "$1" -o "$2" "$BATS_TEST_TMPDIR/i.aud"
}

# get PATH: the status line and body of GET PATH on 127.0.0.1:$port.
get() {
	exec 7<> "/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.1\r\nConnection: close\r\n\r\n' "$1" >&7
	tr -d '\r' <&7 | sed -n '1p; /^$/,$p' | sed '/^$/d'
	exec 7<&-
}

@test "images: labelled, a numeric non-root user, nothing but the programs; aud-serve under 5 MB" {
	local version revision size
	version=$(sed -n 's/^VERSION *:= *//p' "$AUD_ROOT/Makefile")
	revision=$(git -C "$AUD_ROOT" rev-parse HEAD)
	for image in aud-serve aud; do
		run -0 podman image inspect "$image:$version" --format \
			'{{index .Labels "org.opencontainers.image.version"}} {{index .Labels "org.opencontainers.image.revision"}} {{index .Labels "org.opencontainers.image.licenses"}} {{.Config.User}}'
		assert_output "$version $revision NOASSERTION 65534:65534"
	done
	size=$(podman image inspect aud-serve:latest --format '{{.Size}}')
	echo "aud-serve image: $size bytes" >&3
	[ "$size" -lt 5000000 ]
	podman create --name "$name" aud-serve:latest > /dev/null
	run -0 bash -c "podman export '$name' | tar t"
	assert_output "aud-serve"
	podman rm "$name" > /dev/null
	podman create --name "$name" aud:latest aud-cat --version > /dev/null
	run -0 bash -c "podman export '$name' | tar t | sort | tr '\n' ' '"
	assert_output "bin/ bin/aud-cat bin/aud-cf-check bin/aud-explore bin/aud-features bin/aud-lift bin/aud-prepare bin/aud-query bin/aud-rank bin/aud-serve "
	run ! run_image --rm --entrypoint /bin/sh aud-serve:latest -c true
}

@test "aud-serve image: /health, /recommend and /ui through the port mapping; SIGHUP swaps the model; podman stop" {
	local i
	model_of_sample 3 "$data/model.aud"
	model_of_sample 1 "$BATS_TEST_TMPDIR/m1.aud"
	# podman picks a free host port: a random one may be taken.
	run_image -d --name "$name" -p 127.0.0.1::8000 -v "$data:/data" aud-serve:latest > /dev/null
	port=$(podman port "$name" 8000/tcp | sed 's/.*://')
	for i in $(seq 100); do get /health > /dev/null 2>&1 && break; sleep 0.1; done
	run -0 get /health
	assert_output - <<'OUT'
HTTP/1.1 200 OK
{"status":"healthy","model_loaded":true,"available_products":1990,"cached_recommendations":1990}
OUT
	run -0 get '/recommend/1000000?n=2'
	assert_line --index 0 "HTTP/1.1 200 OK"
	assert_line --index 1 --partial '{"product_id":1000000,'
	assert_line --index 1 --partial '"count":2,'
	run -0 get /ui
	assert_line --index 0 "HTTP/1.1 200 OK"
	assert_line "<title>aud: who to target</title>"
	run -0 get /metrics
	assert_output --partial '"top_n":3'

	cp "$BATS_TEST_TMPDIR/m1.aud" "$data/.m1.aud"
	mv "$data/.m1.aud" "$data/model.aud"
	podman kill -s HUP "$name" > /dev/null
	sleep 0.5
	run -0 get /metrics
	assert_output --partial '"top_n":1'

	podman stop -t 5 "$name" > /dev/null
	run -0 podman inspect "$name" --format '{{.State.Status}} {{.State.ExitCode}}'
	assert_output "exited 0"
	run -0 podman logs "$name"
	assert_line --index 0 "aud-serve: listening on 0.0.0.0:8000 (2 workers, model /data/model.aud)"
	assert_line --regexp '^[0-9.]+ - - \[[^]]*\] "GET /health HTTP/1.1" 200 [0-9]+$'
}

@test "aud-serve image: a missing or corrupt model is exit 1 and one line, once" {
	run -1 --separate-stderr run_image --rm -v "$data:/data" aud-serve:latest
	assert_equal "$stderr" "aud-serve: /data/model.aud: No such file or directory"
	printf 'not a model' > "$data/model.aud"
	run -1 --separate-stderr run_image --rm -v "$data:/data" aud-serve:latest
	assert_equal "$stderr" "aud-serve: /data/model.aud: not a usable model: too short"
	# Another model by argument or by AUD_MODEL.
	model_of_sample 3 "$data/other.aud"
	run -1 --separate-stderr run_image --rm -v "$data:/data" aud-serve:latest -m /data/nope.aud
	assert_equal "$stderr" "aud-serve: /data/nope.aud: No such file or directory"
	run -1 --separate-stderr run_image --rm -v "$data:/data" -e AUD_MODEL=/data/nope2.aud aud-serve:latest
	assert_equal "$stderr" "aud-serve: /data/nope2.aud: No such file or directory"
}

@test "aud image: the whole pipeline on the sample gives the native tools' bytes" {
	local native=$BATS_TEST_TMPDIR/native f
	cp "$AUD_ROOT/data/sample.csv" "$data/"
	aud() {
		run_image --rm -v "$data:/data" -w /data -e SOURCE_DATE_EPOCH=0 aud:latest "$@"
	}
	aud aud-prepare -q -o i.aud sample.csv
	aud aud-features -o f.aud i.aud
	aud aud-rank --features f.aud -o m.aud i.aud
	run -0 aud aud-query -m m.aud 1000000 -n 3 --format csv
	assert_equal "${#lines[@]}" 4
	mkdir "$native"
	cp "$AUD_ROOT/data/sample.csv" "$native/"
	(cd "$native" && aud-prepare -q -o i.aud sample.csv && aud-features -o f.aud i.aud &&
		aud-rank --features f.aud -o m.aud i.aud)
	for f in i.aud f.aud m.aud; do
		cmp "$data/$f" "$native/$f"
	done
}
