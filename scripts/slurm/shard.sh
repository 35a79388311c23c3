#!/usr/bin/env bash
# A job array, one task a shard: its features within the bounds, then its
# audience part.
#SBATCH --job-name=aud-shard
set -euo pipefail
s=$SLURM_ARRAY_TASK_ID
rank=() features=()
eval "rank=($AUD_RANK_ARGS)"
eval "features=(${AUD_FEATURES_ARGS:-})"
aud-features "${features[@]}" --bounds "$AUD_WORKDIR/bounds.aud" \
	-o "$AUD_WORKDIR/f$s.aud" "$AUD_WORKDIR/i$s.aud"
aud-rank --features "$AUD_WORKDIR/f$s.aud" --partial "${rank[@]}" \
	-o "$AUD_WORKDIR/r$s.aud" "$AUD_WORKDIR/i$s.aud"
