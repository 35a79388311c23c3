#!/usr/bin/env bats
# make analysis: statistics, the collaborative-filtering check and charts.

setup() {
	load test_helper
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	R=$BATS_TEST_TMPDIR/results
	san=
	if [ "$(basename "$AUD_BUILD")" = build-san ]; then san=1; fi
}

# analysis: make analysis of the explore fixture into $R.
analysis() {
	make -C "$AUD_ROOT" -s --no-print-directory analysis SAN="$san" \
		DATA="$FIXTURES/explore.csv" RESULTS="$R"
}

@test "make analysis writes the statistics, the check and three PNG charts" {
	run -0 analysis
	assert_output "analysis: $R: data_statistics.json cf_metrics.json daily_activity.png interactions_per_user.png retention_split.png"
	run -0 jq -c '.total_interactions, .user_retention.retention_rate_pct' "$R/data_statistics.json"
	assert_output $'12\n40'
	run -0 jq -r '.conclusion | type' "$R/cf_metrics.json"
	assert_output string
	for chart in daily_activity interactions_per_user retention_split; do
		run -0 od -An -c -N4 "$R/$chart.png"
		assert_output --partial 'P   N   G'
	done
	[ ! -e "$R/daily.tsv" ]
}

@test "make analysis does nothing when nothing changed, and redoes a changed input" {
	analysis
	run -0 analysis
	assert_output ""
	run -0 make -C "$AUD_ROOT" -s --no-print-directory analysis SAN="$san" \
		DATA="$FIXTURES/explore.csv" PREPARE_FLAGS="--event-value cart" RESULTS="$R"
	assert_output --partial "analysis: $R:"
	run -0 jq -c '.event_distribution.counts' "$R/data_statistics.json"
	assert_output '{"cart":12}'
}

@test "another DATA's results go under analysis/results/NAME, never over the sample's" {
	run -0 make -C "$AUD_ROOT" -n --no-print-directory analysis SAN="$san" DATA="$FIXTURES/explore.csv"
	assert_output --partial "analysis/results/explore/data_statistics.json"
	refute_output --partial "analysis/results/data_statistics.json"
	run -0 make -C "$AUD_ROOT" -n --no-print-directory analysis SAN="$san"
	assert_output --partial " analysis/results/data_statistics.json"
}
