#!/usr/bin/env bash
# One job: every shard's part into the model.
#SBATCH --job-name=aud-merge
set -euo pipefail
aud-rank --merge -o "$AUD_MODEL" \
	$(seq -f "$AUD_WORKDIR/r%g.aud" 0 $((AUD_SHARDS - 1)))
