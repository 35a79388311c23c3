#!/usr/bin/env bash
# The co-occurrence model's exchanges (aud-rank(1), "Shards"), one step
# given as the argument: "sum" (one job: every shard's sums into the
# neighbour table), "tops" (a job array: each shard's largest relevances),
# "max" (one job: the largest of all) and "part" (a job array: each
# shard's part of the model).
#SBATCH --job-name=aud-cooc
set -euo pipefail
w=$AUD_WORKDIR last=$((AUD_SHARDS - 1))
rank=()
eval "rank=($AUD_RANK_ARGS)"
case ${1:?} in
sum)	aud-rank --sum-pairs -o "$w/neighbours.aud" $(seq -f "$w/p%g.aud" 0 "$last") ;;
tops)	s=$SLURM_ARRAY_TASK_ID
	aud-rank --features "$w/f$s.aud" "${rank[@]}" --with-neighbours "$w/neighbours.aud" \
		--tops -o "$w/t$s.aud" "$w/i$s.aud" ;;
max)	aud-rank --max-tops -o "$w/tops.aud" $(seq -f "$w/t%g.aud" 0 "$last") ;;
part)	s=$SLURM_ARRAY_TASK_ID
	aud-rank --features "$w/f$s.aud" "${rank[@]}" --with-neighbours "$w/neighbours.aud" \
		--with-tops "$w/tops.aud" --partial -o "$w/r$s.aud" "$w/i$s.aud" ;;
*)	echo "cooc.sh: unknown step $1" >&2; exit 2 ;;
esac
