#!/usr/bin/env bats
# The manual: every tool has a page, every page is clean mdoc, and the
# EXAMPLES sections run as written.

setup() {
	load test_helper
	cd "$AUD_ROOT"
}

# examples PAGE: the shell lines of the EXAMPLES section's literal displays.
examples() {
	awk '/^\.Sh EXAMPLES/ { on = 1; next } /^\.Sh / { on = 0 }
	     on && /^\.Bd -literal/ { lit = 1; next } on && /^\.Ed/ { lit = 0; next }
	     on && lit' "$1" | sed 's/\\e/\\/g'
}

@test "every tool has a manual page" {
	local src tool
	for src in cmd/aud-*.c; do
		tool=$(basename "$src" .c)
		[ -f "man/$tool.1" ] || [ -f "man/$tool.8" ] || { echo "no page for $tool"; return 1; }
	done
}

@test "the manual pages are clean mdoc, with no quote macro nested in another" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run -0 scripts/lint-man man/*.1 man/*.5 man/*.8
	assert_output ""
}

@test "the lint catches a quote macro that swallows the next" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	printf '.Dd November 29, 2026\n.Dt X 1\n.Os\n.Sh NAME\n.Nm x\n.Nd y\n.Sh DESCRIPTION\nIds\n.Pq Ql 42 , Ql -7\nare integers.\n' > "$BATS_TEST_TMPDIR/x.1"
	run -1 scripts/lint-man "$BATS_TEST_TMPDIR/x.1"
	assert_output --partial "x.1: nested quotes, rendered line"
}

@test "every manual page has an EXIT STATUS section, but the format's" {
	local page
	for page in man/*.1 man/*.8; do
		grep -q '^\.Sh EXIT STATUS' "$page" || { echo "$page"; return 1; }
	done
}

@test "the EXAMPLES of every tool's page run as written, in pipeline order" {
	local dir=$BATS_TEST_TMPDIR/examples
	mkdir -p "$dir"
	cp "$FIXTURES/orders.csv" "$dir/orders.csv"
	cp "$FIXTURES/append-new.csv" "$dir/new-day.csv"
	cp "$FIXTURES/events-ms.csv" "$dir/events.csv"
	cp "$FIXTURES/retail-like.csv" "$dir/online_retail.csv"
	{
		echo 'set -e -o pipefail'
		for tool in aud-prepare aud-cat aud-explore aud-cf-check aud-features aud-rank aud-query aud-lift; do
			examples "man/$tool.1"
		done
	} > "$dir/run.sh"
	cd "$dir"
	run -0 bash run.sh
	[ -s interactions.aud ] && [ -s events.aud ] && [ -s retail.aud ] && [ -s clean.csv ]
	[ -s data_statistics.json ] && [ -s cf_metrics.json ]
	[ -s features.aud ] && [ -s products.aud ] && [ -s model.aud ] && [ -s audiences.csv ]
}

@test "the options in --help and the man page agree" {
	local tool opt
	for tool in aud-prepare aud-cat aud-explore aud-cf-check aud-features aud-rank aud-query aud-lift aud-serve; do
		for opt in $("$tool" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -q -- "Fl Fl ${opt#--}" man/"$tool".[18] ||
				{ echo "$tool: $opt is not in the man page"; return 1; }
		done
	done
}
