/*
 * What every aud tool's main() shares: strict number parsing for options, the
 * "Common options" help block, and the exit statuses that are interface.
 */
#ifndef AUD_CLI_H
#define AUD_CLI_H

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
 * option table and CLI_COMMON_SHORTOPTS in its short options, handles -h
 * and -V itself (they print), and passes the rest to cli_common_option().
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

/* Takes -f, -o or -q into co; returns 0 when c is none of them. */
int cli_common_option(int c, const char *arg, struct common_options *co);

/* Opens path for reading; "-" is standard input. NULL with errno on failure. */
#include <stdio.h>
FILE *cli_open_input(const char *path);

/* The help text shared by all tools, printed after each tool's own options. */
extern const char cli_common_options_help[];

#endif
