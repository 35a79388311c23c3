/*
 * aud-serve: audiences over HTTP/1.1 (see aud-serve(8)). inetd-first: one
 * connection on standard input and output, requests answered in turn while
 * the client keeps the connection alive; each connection maps the model
 * afresh, so a model replaced by rename is picked up by the next one.
 * Standalone (--listen): worker processes share one listening socket, each
 * an event loop over its connections, and map the model anew on SIGHUP.
 *
 * Under inetd standard error is the client's socket too: nothing is ever
 * written there; the access log goes to --log FILE or, standalone, stderr
 * (or standard output: --log -).
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "idlist.h"
#include "http.h"
#include "model.h"
#include "rng.h"
#include "banned.h"

#define IDLE_MS 10000		/* between requests on a kept-alive connection */
#define HEAD_MS 5000		/* to send a whole request head */
#define SWEEP_MS 250		/* standalone: how late a limit may be applied */

struct options {
	const char *model;
	const char *exclude;		/* the suppression list, or NULL */
	const char *listen;
	const char *log;
	int64_t workers;
	int quiet;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-serve -m MODEL [--exclude FILE] [--listen [ADDR:]PORT] [--workers N]\n"
    "                 [--log FILE] [-q]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-serve --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-serve answers HTTP requests for audiences from a model built by\n"
	    "aud-rank. Without --listen it serves one connection on standard input and\n"
	    "output, as inetd, tcpsvd or systemd socket activation start it.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-serve -m model.aud --listen 127.0.0.1:8000\n"
	    "  tcpsvd 0 8000 aud-serve -m /var/lib/aud/model.aud --log /var/log/aud.log\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  -m, --model MODEL    the model file (default: $AUD_MODEL; required)\n"
	    "  -x, --exclude FILE   customers never served (a suppression list), read\n"
	    "                       with the model\n"
	    "  -l, --listen ADDR    serve standalone on [ADDR:]PORT (default address: all)\n"
	    "  -w, --workers N      standalone: worker processes (default 2)\n"
	    "  -L, --log FILE       append the access log to FILE (- standalone: stdout)\n"
	    "  -q, --quiet          standalone: no access log on standard error\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 runtime error, 2 usage error.\n", synopsis);
	exit(0);
}

/*
 * The address of [ADDR:]PORT: ADDR is an IPv4 address, an IPv6 one in
 * brackets, or localhost; without it, every address (IPv6 and IPv4).
 * Numeric only, so that aud-serve links statically (getaddrinfo cannot):
 * under inetd it starts once a connection. Returns 0, -1 for a bad
 * address or -2 for a bad port.
 */
static int
parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	const char *colon = strrchr(spec, ':');
	char host[64];
	int64_t port;

	if (cli_parse_int(colon ? colon + 1 : spec, 1, 65535, &port) < 0)
		return -2;
	memset(sa, 0, sizeof(*sa));
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - spec) : 0, spec);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (host[0] == '\0' || host[0] == '[') {
		size_t hl = strlen(host);

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		if (host[0] == '\0')
			return 0;	/* in6addr_any: zeroed */
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	*len = sizeof(*in4);
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -1;
}

/* Refuses a --listen that is not [ADDR:]PORT, a usage error. */
static void
check_listen(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;
	const char *colon = strrchr(spec, ':');
	int parsed = parse_listen(spec, &sa, &len);

	if (parsed == -2)
		cli_usage_error(usage, "--listen: bad port \"%s\": expected 1 "
		    "to 65535", colon ? colon + 1 : spec);
	if (parsed < 0)
		cli_usage_error(usage, "--listen: expected [ADDR:]PORT with ADDR "
		    "an IPv4 address, [IPv6] or localhost, got \"%s\"", spec);
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "model", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->workers = 2;
	while ((c = getopt_long(argc, argv, "hL:l:m:qVw:x:", longopts, NULL)) != -1) {
		switch (c) {
		case 'x':
			opt->exclude = optarg;
			break;
		case 'h':
			help();
			break;
		case 'L':
			opt->log = optarg;
			break;
		case 'l':
			opt->listen = optarg;
			break;
		case 'm':
			opt->model = optarg;
			break;
		case 'q':
			opt->quiet = 1;
			break;
		case 'V':
			printf("aud-serve %s\n", AUD_VERSION);
			exit(0);
		case 'w':
			if (cli_parse_int(optarg, 1, 4096, &opt->workers) < 0)
				cli_bad_value(usage, "--workers", "1 to 4096",
				    optarg);
			break;
		default:
			usage();
		}
	}
	if (opt->listen != NULL)
		check_listen(opt->listen);
	if (opt->model == NULL)
		opt->model = getenv("AUD_MODEL");
	if (opt->model == NULL || optind != argc)
		cli_usage_error(usage, opt->model == NULL ?
		    "-m MODEL (or AUD_MODEL) is required" : "no arguments expected");
	if (opt->listen == NULL && opt->log != NULL && strcmp(opt->log, "-") == 0)
		cli_usage_error(usage, "--log -: standard output is the "
		    "connection under inetd");
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
peer_name(int fd, char *peer, size_t len)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);

	snprintf(peer, len, "-");
	if (getpeername(fd, (struct sockaddr *)&sa, &salen) == 0)
		getnameinfo((struct sockaddr *)&sa, salen, peer, len, NULL, 0,
		    NI_NUMERICHOST);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Maps the model and reads the suppression list; when one cannot be read,
 * says why on report (under inetd standard error is the client's socket:
 * the log, if any) and serves on with the one it had, or with 503 when it
 * had none.
 */
static void
open_model(struct api_conn *c, const struct options *opt, FILE *report)
{
	char why[512];

	if (api_open_model(c, opt->model, why, sizeof(why)) < 0 && report != NULL) {
		fprintf(report, "aud-serve: %s%s\n", why,
		    c->model_ok ? "; still serving the model read before" : "");
		fflush(report);
	}
	if (opt->exclude != NULL && api_open_exclude(c, opt->exclude, why,
	    sizeof(why)) < 0 && report != NULL) {
		fprintf(report, "aud-serve: %s%s\n", why, c->exclude_unread ?
		    "" : "; still suppressing the list read before");
		fflush(report);
	}
}

/*
 * inetd: one connection on in and out, requests answered in turn (pipelined
 * ones too) until the client closes, stops keeping it alive, or is slow.
 */
static void
serve_connection(int in, int out, const struct options *opt, FILE *log)
{
	static char buf[HTTP_MAX_HEAD];
	struct api_conn c = { .log = log };
	char peer[64];
	size_t len = 0;
	int64_t head_start = 0;		/* ms: the first byte of the head in buf */

	/* The peer's address is for the log only; no log, no system call. */
	if (log != NULL)
		peer_name(in, peer, sizeof(peer));
	else
		snprintf(peer, sizeof(peer), "-");
	c.peer = peer;
	rng_seed(&c.rng, (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	open_model(&c, opt, log);
	for (;;) {
		char *reply = NULL;
		size_t replylen = 0;
		int keep = 1;
		long used = api_answer(&c, buf, len, &reply, &replylen, &keep);

		if (used == 0) {
			struct pollfd pfd = { .fd = in, .events = POLLIN };
			/* A head has HEAD_MS from its first byte, however it
			   is paced: the wait is what is left of it, and 1 ms
			   more, since now_ms() truncates and a limit cut
			   short by a fraction of a ms reads as 4 s. */
			int64_t wait = len ?
			    head_start + HEAD_MS + 1 - now_ms() : IDLE_MS;
			ssize_t got;

			free(reply);
			if (wait <= 0 || poll(&pfd, 1, (int)wait) <= 0) {
				if (len == 0)
					break;
				api_error(&c, 408, &reply, &replylen);
				write_all(out, reply, replylen);
				free(reply);
				break;
			}
			got = read(in, buf + len, HTTP_MAX_HEAD - len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			if (len == 0)
				head_start = now_ms();
			len += (size_t)got;
			continue;
		}
		if (write_all(out, reply, replylen) < 0 || used < 0 || !keep) {
			free(reply);
			break;
		}
		free(reply);
		memmove(buf, buf + used, len - (size_t)used);
		len -= (size_t)used;
		head_start = now_ms();	/* a pipelined head starts now */
	}
	api_close_model(&c);
	api_close_exclude(&c);
}

/* Opens the listening socket of [ADDR:]PORT. */
static int
listen_on(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, zero = 0;

	parse_listen(spec, &sa, &len);	/* checked by parse_options */
	if ((fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		err(EXIT_DATA, "--listen: %s", spec);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6)	/* [::] takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 1024) < 0)
		err(EXIT_DATA, "--listen: %s", spec);
	return fd;
}

/* A connection of a standalone worker. */
struct client {
	int fd;
	char in[HTTP_MAX_HEAD];
	size_t inlen;
	char *out;			/* responses not yet written */
	size_t outlen, outoff;
	int closing;			/* close once out is written */
	int polling_out;		/* registered for EPOLLOUT, not EPOLLIN */
	int64_t since;			/* ms: last request answered, or accept */
	int64_t head_start;		/* ms: the first byte of the head in in[] */
	char peer[64];
};

static volatile sig_atomic_t reload;

static void
on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void
drop(int ep, struct client **clients, struct client *cl)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	clients[cl->fd] = NULL;
	free(cl->out);
	free(cl);
}

/* Writes what it can of cl's output; 0, or -1 when cl is gone. */
static int
flush_client(int ep, struct client **clients, struct client *cl)
{
	struct epoll_event ev = { .data.fd = cl->fd };

	while (cl->outoff < cl->outlen) {
		ssize_t w = write(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!cl->polling_out) {
				ev.events = EPOLLOUT;
				epoll_ctl(ep, EPOLL_CTL_MOD, cl->fd, &ev);
				cl->polling_out = 1;
			}
			return 0;
		}
		if (w <= 0) {
			drop(ep, clients, cl);
			return -1;
		}
		cl->outoff += (size_t)w;
	}
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	if (cl->closing) {
		drop(ep, clients, cl);
		return -1;
	}
	if (cl->polling_out) {	/* a syscall only when the interest changes */
		ev.events = EPOLLIN;
		epoll_ctl(ep, EPOLL_CTL_MOD, cl->fd, &ev);
		cl->polling_out = 0;
	}
	return 0;
}

/*
 * Reads what cl sent and answers every complete request in it. A client is
 * not read from while its answers wait to be written, so one that never
 * reads cannot make the server hold more than one buffer of answers.
 */
static void
serve_client(int ep, struct client **clients, struct client *cl, struct api_conn *c)
{
	/* One read: epoll is level-triggered, so more data calls again. */
	if (cl->inlen < HTTP_MAX_HEAD) {
		ssize_t got = read(cl->fd, cl->in + cl->inlen, HTTP_MAX_HEAD - cl->inlen);

		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (got <= 0) {
			drop(ep, clients, cl);
			return;
		}
		if (cl->inlen == 0)
			cl->head_start = now_ms();
		cl->inlen += (size_t)got;
	}
	c->peer = cl->peer;
	while (!cl->closing) {
		int keep;
		long used = api_answer(c, cl->in, cl->inlen, &cl->out, &cl->outlen, &keep);

		if (used == 0)
			break;
		if (used < 0 || !keep) {
			cl->closing = 1;
			break;
		}
		memmove(cl->in, cl->in + used, cl->inlen - (size_t)used);
		cl->inlen -= (size_t)used;
		cl->since = cl->head_start = now_ms();
	}
	if (cl->outlen > 0)
		flush_client(ep, clients, cl);
}

/* Closes idle connections and answers 408 to slow ones. */
static void
sweep(int ep, struct client **clients, int maxfd, struct api_conn *c)
{
	int64_t now = now_ms();

	for (int fd = 0; fd <= maxfd; fd++) {
		struct client *cl = clients[fd];

		if (cl == NULL || cl->outlen > 0)
			continue;
		if (cl->inlen == 0 && now - cl->since > IDLE_MS)
			drop(ep, clients, cl);
		else if (cl->inlen > 0 && now - cl->head_start > HEAD_MS) {
			c->peer = cl->peer;
			api_error(c, 408, &cl->out, &cl->outlen);
			cl->closing = 1;
			flush_client(ep, clients, cl);
		}
	}
}

#define MAX_FDS 65536

/* A standalone worker: every connection it accepts, in one event loop. */
static void
worker(int lfd, const struct options *opt, FILE *log)
{
	struct api_conn c = { .log = log };
	struct client **clients = calloc(MAX_FDS, sizeof(*clients));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd };
	struct epoll_event events[256];
	int ep = epoll_create1(EPOLL_CLOEXEC), maxfd = lfd;
	int64_t last_sweep = now_ms();

	if (clients == NULL || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		err(EXIT_DATA, "worker");
	rng_seed(&c.rng, (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	open_model(&c, opt, stderr);
	for (;;) {
		int n = epoll_wait(ep, events, 256, SWEEP_MS);

		if (reload) {
			reload = 0;
			open_model(&c, opt, stderr);
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
				    SOCK_CLOEXEC)) >= 0) {
					struct client *cl;
					int one = 1;

					if (cfd >= MAX_FDS || (cl = calloc(1, sizeof(*cl))) == NULL) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					cl->fd = cfd;
					cl->since = now_ms();
					if (log != NULL)
						peer_name(cfd, cl->peer, sizeof(cl->peer));
					clients[cfd] = cl;
					if (cfd > maxfd)
						maxfd = cfd;
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			if (clients[fd] == NULL)
				continue;
			if (events[i].events & EPOLLOUT)
				flush_client(ep, clients, clients[fd]);
			else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				serve_client(ep, clients, clients[fd], &c);
		}
		if (now_ms() - last_sweep >= SWEEP_MS) {
			sweep(ep, clients, maxfd, &c);
			last_sweep = now_ms();
		}
	}
}

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Standalone: one listening socket, opt->workers worker processes sharing
 * it, each an event loop over its connections. The parent restarts a
 * worker that dies, passes SIGHUP on (the workers map the model anew) and
 * stops them all on SIGTERM or SIGINT.
 */
static void
serve_standalone(const struct options *opt, FILE *log)
{
	int lfd = listen_on(opt->listen), flags;
	pid_t *pids = calloc((size_t)opt->workers, sizeof(*pids));
	struct sigaction sa = { .sa_handler = on_hup };

	if (pids == NULL)
		err(EXIT_DATA, "out of memory");
	if (!opt->quiet)
		fprintf(stderr, "aud-serve: listening on %s (%lld worker%s, model %s)\n",
		    opt->listen, (long long)opt->workers, opt->workers == 1 ? "" : "s",
		    opt->model);
	flags = fcntl(lfd, F_GETFL);
	fcntl(lfd, F_SETFL, flags | O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		for (int64_t w = 0; w < opt->workers && !stopping; w++)
			if (pids[w] <= 0 && (pids[w] = fork()) == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				worker(lfd, opt, log);
				_exit(0);
			}
		{
			pid_t dead = wait(NULL);

			if (reload) {
				reload = 0;
				for (int64_t w = 0; w < opt->workers; w++)
					if (pids[w] > 0)
						kill(pids[w], SIGHUP);
			}
			for (int64_t w = 0; w < opt->workers; w++)
				if (pids[w] == dead)
					pids[w] = 0;
		}
	}
	for (int64_t w = 0; w < opt->workers; w++)
		if (pids[w] > 0)
			kill(pids[w], SIGTERM);
	while (wait(NULL) > 0)
		;
	exit(0);
}

int
main(int argc, char **argv)
{
	struct options opt;
	FILE *log = NULL;

	parse_options(argc, argv, &opt);
	if (opt.log != NULL && strcmp(opt.log, "-") == 0)
		log = stdout;
	else if (opt.log != NULL && (log = fopen(opt.log, "a")) == NULL)
		err(EXIT_DATA, "%s", opt.log);
	if (opt.listen != NULL) {
		struct model m;
		char why[512];

		/* A service that cannot answer should not seem to start. */
		if (model_open(&m, opt.model, why, sizeof(why)) < 0)
			errx(EXIT_DATA, "%s", why);
		model_close(&m);
		if (opt.exclude != NULL) {
			struct intern *set = idlist_load_set(opt.exclude, why,
			    sizeof(why));

			if (set == NULL)
				errx(EXIT_DATA, "%s", why);
			intern_free(set);
		}
		if (log == NULL && !opt.quiet)
			log = stderr;
		serve_standalone(&opt, log);
	}
	/* inetd: a broken connection is only the end of it. */
	signal(SIGPIPE, SIG_IGN);
	serve_connection(STDIN_FILENO, STDOUT_FILENO, &opt, log);
	return 0;
}
