/* Atomic output files; the contract is in output.h. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard.h"
#include "xalloc.h"
#include "banned.h"

/* The temporary files to remove if the process dies: a tool has few
   outputs, aud-prepare one a shard. */
#define MAX_PENDING (SHARD_MAX + 4)
static char *volatile pending_tmp[MAX_PENDING];

static void
remove_pending(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_tmp[i] != NULL)
			unlink(pending_tmp[i]);
}

static void
forget_pending(const char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_tmp[i] == tmp)
			pending_tmp[i] = NULL;
}

static void
on_signal(int sig)
{
	remove_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
guard_pending(char *tmp)
{
	static int installed;
	int i;

	for (i = 0; i < MAX_PENDING && pending_tmp[i] != NULL; i++)
		;
	if (i == MAX_PENDING)
		return -1;
	pending_tmp[i] = tmp;
	if (installed)
		return 0;
	installed = 1;
	atexit(remove_pending);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	return 0;
}

/* Splits path into its directory and base name, as new strings. */
static void
split_path(const char *path, char **dir, char **base)
{
	char *a = xstrndup(path, strlen(path)), *b = xstrndup(path, strlen(path));
	/* POSIX dirname() and basename() may modify their argument: call once. */
	const char *d = dirname(a), *f = basename(b);

	*dir = xstrndup(d, strlen(d));
	*base = xstrndup(f, strlen(f));
	free(a);
	free(b);
}

/* Removes ".BASE.aud-PID-RANDOM.tmp" files in dir whose process no longer
   exists. */
static void
remove_stale(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t blen = strlen(base);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		char *end;
		long pid;

		if (n[0] != '.' || strncmp(n + 1, base, blen) != 0 ||
		    strncmp(n + 1 + blen, ".aud-", 5) != 0)
			continue;
		pid = strtol(n + 1 + blen + 5, &end, 10);
		if (pid <= 0 || *end != '-' ||
		    strspn(end + 1, "0123456789abcdef") != 16 ||
		    strcmp(end + 17, ".tmp") != 0)
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			size_t len = strlen(dir) + strlen(n) + 2;
			char *p = xmalloc(len);

			snprintf(p, len, "%s/%s", dir, n);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

/*
 * Creates the temporary file beside the output, as mkstemp(3) does but with
 * the mode the umask gives (the file becomes the output): a name no other
 * user can guess, created only if nothing (not even a dangling link) is
 * there, never through a link. Fills tmp and returns the descriptor, or -1
 * with errno set.
 */
static int
create_temporary(char *tmp, size_t len, const char *dir, const char *base)
{
	for (int tries = 0; tries < 100; tries++) {
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -1;
		snprintf(tmp, len, "%s/.%s.aud-%ld-%016llx.tmp", dir, base,
		    (long)getpid(), (unsigned long long)r);
		/* Readable too: a copy made by the kernel is read back to
		   be hashed (stream_copy_records). */
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * A path that exists and is not a regular file (/dev/null, a FIFO, a
 * terminal) is written in place: renaming over it would replace the device
 * with a file.
 */
static int
open_special(struct output *o, const char *path, int binary, int force,
    char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0 && binary && !force && isatty(fd)) {
		close(fd);
		snprintf(err, errlen, "%s: refusing to write a binary stream to a "
		    "terminal (use --force)", path);
		return -1;
	}
	if (fd < 0 || (o->fp = fdopen(fd, "wb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	o->path = path;
	return 0;
}

int
output_open(struct output *o, const char *path, int binary, int force,
    char *err, size_t errlen)
{
	char *dir, *base;
	struct stat st;
	size_t len;
	int fd;

	memset(o, 0, sizeof(*o));
	if (path == NULL || strcmp(path, "-") == 0) {
		if (binary && !force && isatty(STDOUT_FILENO)) {
			snprintf(err, errlen, "refusing to write a binary stream "
			    "to a terminal (use -o FILE, a pipe, or --force)");
			return -1;
		}
		/* A reader that goes away (| head) is then an EPIPE that
		   output_finish() reports as a quiet end, and the tool exits
		   0 as documented, rather than dying by SIGPIPE (141). */
		signal(SIGPIPE, SIG_IGN);
		o->fp = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_special(o, path, binary, force, err, errlen);
	split_path(path, &dir, &base);
	remove_stale(dir, base);
	len = strlen(dir) + strlen(base) + 64;
	o->tmp = xmalloc(len);
	fd = create_temporary(o->tmp, len, dir, base);
	free(dir);
	free(base);
	if (fd < 0 || (o->fp = fdopen(fd, "wb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	o->path = path;
	if (guard_pending(o->tmp) < 0) {
		snprintf(err, errlen, "%s: too many outputs at once", path);
		output_abort(o);
		return -1;
	}
	return 0;
}

int
output_commit(struct output *o, char *err, size_t errlen)
{
	const char *shown = o->path ? o->path : "stdout";
	int failed = fflush(o->fp) != 0 || ferror(o->fp);
	int saved = errno;

	if (o->tmp == NULL) {
		if (fclose(o->fp) != 0 && !failed) {
			failed = 1;
			saved = errno;
		}
	} else {
		if (fclose(o->fp) != 0 && !failed) {
			failed = 1;
			saved = errno;
		}
		if (!failed && rename(o->tmp, o->path) != 0) {
			failed = 1;
			saved = errno;
		}
	}
	o->fp = NULL;
	if (failed) {
		if (saved == 0)
			saved = EIO;
		snprintf(err, errlen, "%s: write error: %s", shown, strerror(saved));
		output_abort(o);
		errno = saved;
		return -1;
	}
	forget_pending(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	return 0;
}

int
output_finish(struct output *o, int written, char *err, size_t errlen)
{
	if (written < 0) {
		int error = errno;

		snprintf(err, errlen, "%s: write error: %s",
		    o->path ? o->path : "stdout", strerror(error));
		output_abort(o);
		return error == EPIPE ? 1 : -1;
	}
	if (output_commit(o, err, errlen) < 0)
		return errno == EPIPE ? 1 : -1;
	return 0;
}

void
output_abort(struct output *o)
{
	if (o->fp != NULL && o->fp != stdout)
		fclose(o->fp);
	o->fp = NULL;
	if (o->tmp != NULL) {
		forget_pending(o->tmp);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
}
