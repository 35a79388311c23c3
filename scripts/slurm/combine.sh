#!/usr/bin/env bash
# One job: every shard's bounds into one.
#SBATCH --job-name=aud-combine
set -euo pipefail
aud-features --combine -o "$AUD_WORKDIR/bounds.aud" \
	$(seq -f "$AUD_WORKDIR/b%g.aud" 0 $((AUD_SHARDS - 1)))
