#!/usr/bin/env bash
# A job array, one task a shard: the shard's feature bounds.
#SBATCH --job-name=aud-partial
set -euo pipefail
s=$SLURM_ARRAY_TASK_ID
features=()
eval "features=(${AUD_FEATURES_ARGS:-})"
aud-features --partial "${features[@]}" -o "$AUD_WORKDIR/b$s.aud" \
	"$AUD_WORKDIR/i$s.aud"
