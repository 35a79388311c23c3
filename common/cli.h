/*
 * What every aud tool's main() shares: strict number parsing for options, the
 * "Common options" help block, and the exit statuses that are interface.
 */
#ifndef AUD_CLI_H
#define AUD_CLI_H

#include <stddef.h>
#include <stdint.h>

enum {
	EXIT_DATA = 1,	/* bad data or a runtime failure */
	EXIT_USAGE = 2	/* bad option, bad number, missing argument */
};

/*
 * Parse a whole string as a decimal integer in [min, max]. "12abc", "",
 * " 12", overflow and values out of range are rejected. Returns 0 or -1.
 */
int cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parse a whole string as a finite double in [min, max]. Returns 0 or -1. */
int cli_parse_double(const char *s, double min, double max, double *out);

/*
 * The options every tool takes. Each tool lists CLI_COMMON_LONGOPTS in its
 * option table and CLI_COMMON_SHORTOPTS in its short options, and passes
 * every option it does not know itself to cli_common_option().
 */
struct common_options {
	const char *output;	/* -o FILE, or NULL for standard output */
	int force;		/* -f: binary output to a terminal */
	int quiet;		/* -q: no report or progress */
};

#define CLI_COMMON_SHORTOPTS "fho:qV"
#define CLI_COMMON_LONGOPTS \
	{ "force", no_argument, NULL, 'f' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "version", no_argument, NULL, 'V' }

typedef void cli_usage_fn(void);

/* A tool as its command line knows it: its name, --help and its usage lines. */
struct cli_tool {
	const char *name;
	cli_usage_fn *help;	/* prints the help and exits 0 */
	cli_usage_fn *usage;	/* prints the usage lines and exits EXIT_USAGE */
};

/*
 * Takes -f, -o or -q into co; -h shows the tool's help and -V its name and
 * version, both exiting 0; any other c is a usage error.
 */
void cli_common_option(int c, const char *arg, struct common_options *co,
    const struct cli_tool *tool);

/*
 * A bad command line ends every tool alike: "TOOL: MESSAGE" on stderr, then
 * the tool's usage(), which prints its usage lines and exits with
 * EXIT_USAGE. These three and cli_common_option() are the one place in
 * common/ that prints and exits (common/README).
 */
__attribute__((noreturn, format(printf, 2, 3)))
void cli_usage_error(cli_usage_fn *usage, const char *fmt, ...);

/* "OPTION: expected WANT, got "ARG"". */
__attribute__((noreturn))
void cli_bad_value(cli_usage_fn *usage, const char *option, const char *want,
    const char *arg);

/*
 * Adds the cut-off arg (a whole number from 1 to most) of a repeatable --k
 * to ks[0..*nk), at most max of them; a bad value, one too many or one
 * given twice (its figures would be reported twice) is a usage error.
 */
void cli_add_cutoff(cli_usage_fn *usage, const char *arg, int64_t most,
    int64_t *ks, size_t *nk, size_t max);

/* The one input operand after the options, "-" when there is none. */
const char *cli_one_input(int argc, char **argv, int first, cli_usage_fn *usage);

/* Opens path for reading; "-" is standard input. NULL with errno on failure. */
#include <stdio.h>
FILE *cli_open_input(const char *path);

/* The help text shared by all tools, printed after each tool's own options. */
extern const char cli_common_options_help[];

#endif
