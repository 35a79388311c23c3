#!/usr/bin/env bash
# A job array, one task a shard: its features within the bounds, then its
# audience part, or for the co-occurrence model (AUD_COOC set) its sums.
#SBATCH --job-name=aud-shard
set -euo pipefail
s=$SLURM_ARRAY_TASK_ID
rank=() features=()
eval "rank=($AUD_RANK_ARGS)"
eval "features=(${AUD_FEATURES_ARGS:-})"
aud-features "${features[@]}" --bounds "$AUD_WORKDIR/bounds.aud" \
	-o "$AUD_WORKDIR/f$s.aud" "$AUD_WORKDIR/i$s.aud"
if [ -n "${AUD_COOC:-}" ]; then
	aud-rank --features "$AUD_WORKDIR/f$s.aud" --pairs "${rank[@]}" \
		-o "$AUD_WORKDIR/p$s.aud" "$AUD_WORKDIR/i$s.aud"
else
	aud-rank --features "$AUD_WORKDIR/f$s.aud" --partial "${rank[@]}" \
		-o "$AUD_WORKDIR/r$s.aud" "$AUD_WORKDIR/i$s.aud"
fi
