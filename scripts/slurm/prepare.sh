#!/usr/bin/env bash
# The first step: the CSV into $AUD_SHARDS customer shards, one job; with
# several exports ($AUD_EXPORTS), a job array, one task an export, each
# into its pieces e<task>-<shard>.aud.
#SBATCH --job-name=aud-prepare
set -euo pipefail
args=()
if [ -n "${AUD_EXPORTS:-}" ]; then
	exports=()
	eval "exports=($AUD_EXPORTS)"
	eval "args=($AUD_PREPARE_ARGS)"
	t=$SLURM_ARRAY_TASK_ID
	exec aud-prepare -q --shards "$AUD_SHARDS" -o "$AUD_WORKDIR/e$t-%d.aud" \
		"${args[@]}" "${exports[$t]}"
fi
eval "args=($AUD_PREPARE_ARGS)"
aud-prepare -q --shards "$AUD_SHARDS" -o "$AUD_WORKDIR/i%d.aud" "${args[@]}"
