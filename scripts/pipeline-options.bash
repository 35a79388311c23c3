# What aud-parallel and aud-slurm share of their command lines, sourced by
# both: the options they pass through to aud-rank and aud-features, the
# shard count, and the usage errors. The sourcing script has the arrays rank
# and features and the variable model.

prog=${0##*/}

# die_usage MESSAGE: the usage error, exit 2.
die_usage() {
	echo "$prog: $*" >&2
	echo "Try '$prog --help' for more information." >&2
	exit 2
}

# need_value OPTION [VALUE...]: a usage error when OPTION has no value, or
# an empty one.
need_value() {
	[ -n "${2-}" ] || die_usage "$1 needs a value"
}

# pipeline_option OPTION VALUE: when OPTION is one passed through, adds it
# with VALUE to rank or features (--model and --score also set model) and
# returns 0; 1 when it is not one of them.
# shellcheck disable=SC2034 # model is the sourcing script's
pipeline_option() {
	case $1 in
	--model|--score) need_value "$@"; model=$2; rank+=("$1" "$2") ;;
	--top-n|--depth|--half-life|--popularity-exponent|--neighbours|\
	--min-support|--blend|--new-blend|--category-weight)
	    need_value "$@"; rank+=("$1" "$2") ;;
	--return-model) need_value "$@"; features+=("$1" "$2") ;;
	*) return 1 ;;
	esac
}

# check_shards N: a usage error unless N is a whole number from 1 to 256,
# written without leading zeros (bash would read 010 as octal).
check_shards() {
	case $1 in
	[1-9]|[1-9][0-9]|[1-9][0-9][0-9]) [ "$1" -le 256 ] && return 0 ;;
	esac
	die_usage "--shards: expected 1 to 256, got \"$1\""
}
