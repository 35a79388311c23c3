/* Progress line on a terminal; see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
progress_start(struct progress *p, int fd, const char *prog, const char *what,
    uint64_t total, uint64_t min_bytes)
{
	memset(p, 0, sizeof(*p));
	p->fd = (isatty(fd) && (total == 0 || total >= min_bytes)) ? fd : -1;
	p->prog = prog;
	p->what = what;
	p->total = total;
	p->last_ms = now_ms();
}

void
progress_update(struct progress *p, uint64_t done)
{
	char line[128];
	int64_t t;
	int n;

	if (p->fd < 0 || (t = now_ms()) - p->last_ms < 200)
		return;
	p->last_ms = t;
	if (p->total > 0)
		n = snprintf(line, sizeof(line), "\r%s: %s %3d%% (%.1f MB)\033[K",
		    p->prog, p->what, (int)(done * 100 / p->total), done / 1e6);
	else
		n = snprintf(line, sizeof(line), "\r%s: %s %.1f MB\033[K",
		    p->prog, p->what, done / 1e6);
	if (n > 0 && write(p->fd, line, (size_t)n) > 0)
		p->drawn = 1;
}

void
progress_end(struct progress *p)
{
	if (p->fd >= 0 && p->drawn && write(p->fd, "\r\033[K", 4) < 0)
		p->fd = -1;
	p->drawn = 0;
}
