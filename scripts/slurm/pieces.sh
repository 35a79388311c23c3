#!/usr/bin/env bash
# With several exports, a job array, one task a shard: the shard's pieces
# of every export merged, in the exports' order, into the shard's stream.
#SBATCH --job-name=aud-pieces
set -euo pipefail
s=$SLURM_ARRAY_TASK_ID
args=() exports=() pieces=()
eval "exports=($AUD_EXPORTS)"
eval "args=($AUD_PREPARE_ARGS)"
for t in "${!exports[@]}"; do
	pieces+=("$AUD_WORKDIR/e$t-$s.aud")
done
aud-prepare -q --merge "${args[@]}" -o "$AUD_WORKDIR/i$s.aud" "${pieces[@]}"
