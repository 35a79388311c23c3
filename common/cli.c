/* Option helpers shared by the tools in cmd/. */
#include "cli.h"

#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

int
cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (*s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (*s == '\0' || *s == ' ' || *s == '\t')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
cli_common_option(int c, const char *arg, struct common_options *co,
    const struct cli_tool *tool)
{
	switch (c) {
	case 'f':
		co->force = 1;
		break;
	case 'o':
		co->output = arg;
		break;
	case 'q':
		co->quiet = 1;
		break;
	case 'h':
		tool->help();
		break;
	case 'V':
		printf("%s %s\n", tool->name, AUD_VERSION);
		exit(0);
	default:
		tool->usage();
	}
}

FILE *
cli_open_input(const char *path)
{
	struct stat st;
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	/* A directory opens for reading, then fails every read: say so now. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		errno = EISDIR;
		return NULL;
	}
	return f;
}

void
cli_usage_error(cli_usage_fn *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	usage();
	exit(EXIT_USAGE);	/* usage() exits; this says so to the compiler */
}

void
cli_bad_value(cli_usage_fn *usage, const char *option, const char *want,
    const char *arg)
{
	cli_usage_error(usage, "%s: expected %s, got \"%s\"", option, want, arg);
}

void
cli_add_cutoff(cli_usage_fn *usage, const char *arg, int64_t most,
    int64_t *ks, size_t *nk, size_t max)
{
	char want[64];
	int64_t k;

	snprintf(want, sizeof(want), "1 to %lld, at most %zu times",
	    (long long)most, max);
	if (*nk == max || cli_parse_int(arg, 1, most, &k) < 0)
		cli_bad_value(usage, "--k", want, arg);
	for (size_t i = 0; i < *nk; i++)
		if (ks[i] == k)
			cli_usage_error(usage, "--k: %lld given twice", (long long)k);
	ks[(*nk)++] = k;
}

const char *
cli_one_input(int argc, char **argv, int first, cli_usage_fn *usage)
{
	if (argc - first > 1)
		cli_usage_error(usage, "one input at most, got %d", argc - first);
	return argc > first ? argv[first] : "-";
}

const char cli_common_options_help[] =
    "Common options:\n"
    "  -o, --output FILE   write to FILE (atomically: a temporary file renamed on\n"
    "                      success) instead of standard output\n"
    "  -f, --force         write a binary stream even when stdout is a terminal\n"
    "  -q, --quiet         no report or progress on standard error\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Input is the FILE argument, or standard input when it is absent or \"-\".\n"
    "Exit status: 0 success, 1 data or runtime error, 2 usage error.\n";
