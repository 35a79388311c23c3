#!/usr/bin/env bash
# The first step, one job: the CSV into $AUD_SHARDS customer shards.
#SBATCH --job-name=aud-prepare
set -euo pipefail
args=()
eval "args=($AUD_PREPARE_ARGS)"
aud-prepare -q --shards "$AUD_SHARDS" -o "$AUD_WORKDIR/i%d.aud" "${args[@]}"
