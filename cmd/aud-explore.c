/*
 * aud-explore: the profile of an interactions stream as JSON, or a short
 * report in words (see aud-explore(1)).
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explore.h"
#include "interactions.h"
#include "output.h"
#include "banned.h"

struct options {
	double quantile;
	int text;
	struct common_options common;
	const char *input;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-explore [--text] [--split-quantile Q] [-o FILE] [INTERACTIONS|-]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-explore --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-explore profiles an interactions stream: its size, span and sparsity,\n"
	    "how many customers come back after a temporal split, how active customers\n"
	    "are, how many products are new late on, the events, and the daily activity.\n"
	    "JSON by default; --text states the key findings in words.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-explore -o data_statistics.json interactions.aud\n"
	    "  aud-prepare orders.csv | aud-explore --text\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  --split-quantile Q   where early ends and late begins: the Q quantile of\n"
	    "                       the event times, 0.01 to 0.99 (default 0.8)\n"
	    "  --text               a short report in words instead of JSON\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-explore", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_SPLIT_QUANTILE = 256, O_TEXT };
	static const struct option longopts[] = {
		{ "split-quantile", required_argument, NULL, O_SPLIT_QUANTILE },
		{ "text", no_argument, NULL, O_TEXT },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->quantile = 0.8;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_SPLIT_QUANTILE:
			if (cli_parse_double(optarg, 0.01, 0.99, &opt->quantile) < 0)
				cli_bad_value(usage, "--split-quantile",
				    "0.01 to 0.99", optarg);
			break;
		case O_TEXT:
			opt->text = 1;
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct interactions ia;
	struct profile pr;
	struct output out;
	char errbuf[512];
	FILE *in;

	parse_options(argc, argv, &opt);
	if ((in = cli_open_input(opt.input)) == NULL)
		err(EXIT_DATA, "%s", opt.input);
	if (output_open(&out, opt.common.output, 0, opt.common.force, errbuf,
	    sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (interactions_load(&ia, in, opt.input, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (in != stdin)
		fclose(in);
	if (profile_compute(&pr, &ia, opt.quantile) < 0)
		errx(EXIT_DATA, "%s: no interactions to profile",
		    strcmp(opt.input, "-") ? opt.input : "stdin");
	if (opt.text)
		profile_write_text(out.fp, &pr, &ia);
	else
		profile_write_json(out.fp, &pr, &ia);
	if (output_finish(&out, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	profile_free(&pr);
	interactions_free(&ia);
	return 0;
}
