/*
 * aud-serve: audiences over HTTP/1.1 (see aud-serve(8)). inetd-first: one
 * connection on standard input and output, requests answered in turn while
 * the client keeps the connection alive. Standalone (--listen) accepts
 * connections and forks a child per connection that runs the same code on
 * the connection dup'ed onto 0 and 1. Each connection opens the model
 * afresh, so a model replaced by rename is picked up by the next one.
 *
 * Under inetd standard error is the client's socket too: nothing is ever
 * written there; the access log goes to --log FILE or, standalone, stderr.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audfmt.h"
#include "cli.h"
#include "http.h"
#include "intern.h"
#include "json.h"
#include "model.h"
#include "rng.h"
#include "stream.h"
#include "banned.h"

#define IDLE_MS 10000		/* between requests on a kept-alive connection */
#define HEAD_MS 5000		/* to send a whole request head */
#define MAX_N 100

struct options {
	const char *model;
	const char *listen;
	const char *log;
	int64_t workers;
	int quiet;
};

/* One connection's state. */
struct conn {
	int in, out;
	struct model m;
	int model_ok;
	struct audfmt *fmt;
	FILE *log;
	char peer[64];
	struct rng rng;
};

static void
usage(void)
{
	fprintf(stderr, "Usage: aud-serve -m MODEL [--listen [ADDR:]PORT] [--workers N] [--log FILE] [-q]\n"
	    "Try 'aud-serve --help' for more information.\n");
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
	    "Usage: aud-serve -m MODEL [--listen [ADDR:]PORT] [--workers N] [--log FILE] [-q]\n"
	    "\n"
	    "Options:\n"
	    "  -m, --model MODEL    the model file (required)\n"
	    "  -l, --listen ADDR    serve standalone on [ADDR:]PORT (default address: all)\n"
	    "  -w, --workers N      standalone: connections served at once (default 16)\n"
	    "  -L, --log FILE       append the access log to FILE\n"
	    "  -q, --quiet          standalone: no access log on standard error\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 runtime error, 2 usage error.\n");
	exit(0);
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
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
	opt->workers = 16;
	while ((c = getopt_long(argc, argv, "hL:l:m:qVw:", longopts, NULL)) != -1) {
		switch (c) {
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
			if (cli_parse_int(optarg, 1, 4096, &opt->workers) < 0) {
				warnx("--workers: expected 1 to 4096, got \"%s\"", optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (opt->model == NULL || optind != argc) {
		warnx(opt->model == NULL ? "-m MODEL is required" : "no arguments expected");
		usage();
	}
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
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

/* A response being built: its body, then sent with the headers. */
struct response {
	int status;
	const char *type;		/* Content-Type */
	const char *extra;		/* more header lines, or "" */
	char *body;
	size_t len;
	FILE *f;
};

static void
begin(struct response *r, int status, const char *type)
{
	r->status = status;
	r->type = type;
	r->extra = "";
	r->body = NULL;
	r->len = 0;
	if ((r->f = open_memstream(&r->body, &r->len)) == NULL)
		err(EXIT_DATA, "out of memory");
}

static void
error_body(struct response *r, int status, const char *detail)
{
	begin(r, status, "application/json");
	fputs("{\"detail\":", r->f);
	json_write_string(r->f, detail, strlen(detail));
	fputs("}\n", r->f);
}

/* Sends r; returns -1 when the client has gone. */
static int
send_response(struct conn *c, struct response *r, int head_only, int keep_alive)
{
	char head[1024], date[64];
	time_t now = time(NULL);
	struct tm tm;
	int n, ret;

	if (fclose(r->f) != 0)
		err(EXIT_DATA, "out of memory");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Server: aud-serve/%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%sConnection: %s\r\n\r\n", r->status, reason(r->status), date,
	    AUD_VERSION, r->type, r->len, r->extra,
	    keep_alive ? "keep-alive" : "close");
	ret = write_all(c->out, head, (size_t)n) < 0 ||
	    (!head_only && write_all(c->out, r->body, r->len) < 0) ? -1 : 0;
	free(r->body);
	return ret;
}

static void
log_request(struct conn *c, const struct http_request *req, int status,
    size_t bytes)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	if (c->log == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	fprintf(c->log, "%s - - [%s] \"%s %s%s%s HTTP/1.%d\" %d %zu\n", c->peer,
	    when, req ? req->method : "-", req ? req->path : "-",
	    req && req->query[0] ? "?" : "", req ? req->query : "",
	    req ? req->minor : 1, status, bytes);
	fflush(c->log);
}

/* Reads ?n=K: 1 <= K <= 100, default 10; -1 when malformed. */
static int
param_n(const struct http_request *req, int64_t *n)
{
	char value[32];
	int found = http_query_param(req->query, "n", value, sizeof(value));

	*n = 10;
	if (found == 0)
		return 0;
	return found < 0 || cli_parse_int(value, 1, MAX_N, n) < 0 ? -1 : 0;
}

static uint64_t
products(const struct conn *c)
{
	return c->model_ok ? c->m.nrecords : 0;
}

static void
serve_index(struct response *r)
{
	begin(r, 200, "application/json");
	fprintf(r->f, "{\"service\":\"aud-serve\",\"version\":\"%s\",\"endpoints\":"
	    "[\"/\",\"/health\",\"/metrics\",\"/products/sample?n=K\","
	    "\"/recommend/{product_id}?n=K\",\"/recommend/{product_id}?format=csv\","
	    "\"/ui\"]}\n", AUD_VERSION);
}

static void
serve_health(const struct conn *c, struct response *r)
{
	begin(r, 200, "application/json");
	fprintf(r->f, "{\"status\":\"healthy\",\"model_loaded\":true,"
	    "\"available_products\":%llu,\"cached_recommendations\":%llu}\n",
	    (unsigned long long)products(c), (unsigned long long)products(c));
}

static void
serve_metrics(const struct conn *c, struct response *r)
{
	const msgpack_object *score = mp_map_get(c->m.meta, "score");

	begin(r, 200, "application/json");
	fputs("{\"model_type\":", r->f);
	json_write_object(r->f, score);
	fprintf(r->f, ",\"available_products\":%llu,\"cached_recommendations\":%llu,"
	    "\"model\":", (unsigned long long)products(c),
	    (unsigned long long)products(c));
	json_write_object(r->f, c->m.meta);
	fputs("}\n", r->f);
}

/* K products drawn uniformly without repeats (Floyd's algorithm). */
static void
serve_sample(struct conn *c, const struct http_request *req, struct response *r)
{
	uint64_t total = products(c), picked[MAX_N];
	int64_t n;
	size_t k = 0;
	char errbuf[256];

	if (param_n(req, &n) < 0) {
		error_body(r, 422, "n must be a whole number from 1 to 100");
		return;
	}
	if ((uint64_t)n > total)
		n = (int64_t)total;
	for (uint64_t j = total - (uint64_t)n; j < total; j++) {
		uint64_t t = rng_next(&c->rng) % (j + 1);
		size_t i;

		for (i = 0; i < k && picked[i] != t; i++)
			;
		picked[k] = i < k ? j : t;	/* t taken already: take j */
		k++;
	}
	begin(r, 200, "application/json");
	fputs("{\"sample_products\":[", r->f);
	for (size_t i = 0; i < k; i++) {
		struct audience a;

		if (model_entry(&c->m, picked[i], &a, errbuf, sizeof(errbuf)) == 1) {
			fputs(i ? "," : "", r->f);
			json_write_object(r->f, a.product_id);
		}
		audience_free(&a);
	}
	fprintf(r->f, "],\"total_available\":%llu}\n", (unsigned long long)total);
}

static void
serve_recommend(struct conn *c, const struct http_request *req, const char *text,
    struct response *r)
{
	struct audience a;
	struct id id;
	msgpack_object product;
	char format[16], errbuf[256];
	int64_t n;
	int csv = req->wants_csv, ret;

	if (param_n(req, &n) < 0) {
		error_body(r, 422, "n must be a whole number from 1 to 100");
		return;
	}
	if (http_query_param(req->query, "format", format, sizeof(format)) == 1)
		csv = strcmp(format, "csv") == 0;
	id_from_text(&id, text, strlen(text));
	if (*text == '\0' || (id.is_str && c->m.nint == c->m.nrecords &&
	    c->m.nrecords > 0)) {
		error_body(r, 422, "product_id must be an integer");
		return;
	}
	if ((ret = model_lookup(&c->m, &id, &a, errbuf, sizeof(errbuf))) < 0) {
		error_body(r, 503, errbuf);
		return;
	}
	if (id.is_str) {
		product.type = MSGPACK_OBJECT_STR;
		product.via.str.ptr = id.str;
		product.via.str.size = id.len;
	} else {
		product.type = id.num < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER :
		    MSGPACK_OBJECT_POSITIVE_INTEGER;
		product.via.i64 = id.num;
	}
	if (csv) {
		begin(r, 200, "text/csv; charset=utf-8");
		r->extra = "Content-Disposition: attachment; filename=\"audience.csv\"\r\n";
		audfmt_table_header(r->f, c->fmt);
		audfmt_table(r->f, c->fmt, &a, &product, (size_t)n);
	} else {
		begin(r, 200, "application/json");
		audfmt_json(r->f, c->fmt, &a, &product, (size_t)n);
	}
	audience_free(&a);
}


/* The demo page: one file, no external assets; it only calls the API. */
static const char aud_serve_ui[] =
"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<title>aud: who to target</title>\n<style>\n"
"body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:52em;color:#222}\n"
"table{border-collapse:collapse;margin-top:1em}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}\n"
"td.n{text-align:right;font-variant-numeric:tabular-nums}button{margin:.1em}#status{color:#666;font-size:90%}\n"
"</style></head><body>\n<h1>Which customers should I target?</h1>\n"
"<p id=\"status\">…</p>\n<p>Sample products: <span id=\"samples\"></span></p>\n"
"<form id=\"f\"><label>Product id <input id=\"pid\" required></label>\n"
"<label>Customers <input id=\"n\" type=\"number\" min=\"1\" max=\"100\" value=\"10\"></label>\n"
"<button>Show audience</button></form>\n<div id=\"out\"></div>\n<script>\n"
"const $=id=>document.getElementById(id);\n"
"const esc=s=>String(s).replace(/[&<>\"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','\"':'&quot;'}[c]));\n"
"async function get(u){const r=await fetch(u);const j=await r.json();if(!r.ok)throw new Error(j.detail||r.status);return j}\n"
"async function status(){try{const h=await get('/health'),m=await get('/metrics');\n"
" $('status').textContent=`${h.status}: ${h.available_products} products, ranked by ${m.model_type} score, `+\n"
" `top ${m.model.top_n} each, data ${m.model.first_time} to ${m.model.last_time}`}catch(e){$('status').textContent='unavailable: '+e.message}}\n"
"async function samples(){const s=await get('/products/sample?n=10');$('samples').innerHTML='';\n"
" for(const p of s.sample_products){const b=document.createElement('button');b.textContent=p;\n"
" b.onclick=()=>{$('pid').value=p;show()};$('samples').appendChild(b)}}\n"
"async function show(){const id=encodeURIComponent($('pid').value.trim()),n=$('n').value;\n"
" try{const r=await get(`/recommend/${id}?n=${n}`);\n"
" let h=`<h2>${esc(r.product_name||'product '+r.product_id)}</h2><p>${esc(r.note)} — `+\n"
"  `<a href=\"/recommend/${id}?n=${n}&format=csv\">download CSV</a></p><table><tr><th>rank</th><th>customer</th><th>score</th></tr>`;\n"
" for(const x of r.recommendations)h+=`<tr><td class=n>${x.rank}</td><td>${esc(x.customer_id)}</td><td class=n>${x.score.toFixed(6)}</td></tr>`;\n"
" $('out').innerHTML=h+'</table>'}catch(e){$('out').textContent='error: '+e.message}}\n"
"$('f').onsubmit=e=>{e.preventDefault();show()};status();samples();\n"
"const q=new URLSearchParams(location.search);\n"
"if(q.get('n'))$('n').value=q.get('n');if(q.get('product')){$('pid').value=q.get('product');show()}\n"
"</script></body></html>\n";

static void
route(struct conn *c, const struct http_request *req, struct response *r)
{
	const char *path = req->path;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		error_body(r, 405, "only GET and HEAD are served");
		r->extra = "Allow: GET, HEAD\r\n";
		return;
	}
	if (strcmp(path, "/") == 0)
		serve_index(r);
	else if (strcmp(path, "/ui") == 0) {
		begin(r, 200, "text/html; charset=utf-8");
		fputs(aud_serve_ui, r->f);
	} else if (!c->model_ok)
		error_body(r, 503, "the model cannot be read");
	else if (strcmp(path, "/health") == 0)
		serve_health(c, r);
	else if (strcmp(path, "/metrics") == 0)
		serve_metrics(c, r);
	else if (strcmp(path, "/products/sample") == 0)
		serve_sample(c, req, r);
	else if (strncmp(path, "/recommend/", 11) == 0 && strchr(path + 11, '/') == NULL)
		serve_recommend(c, req, path + 11, r);
	else
		error_body(r, 404, "Not Found");
}

/*
 * Reads into buf until a whole head is there; returns its parse status,
 * 408 on a slow client, or -1 when the connection is done (closed or idle).
 */
static int
read_head(struct conn *c, char *buf, size_t *len, struct http_request *req,
    size_t *used)
{
	int status;

	while ((status = http_parse(buf, *len, req, used)) == HTTP_NEED_MORE) {
		struct pollfd pfd = { .fd = c->in, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, *len ? HEAD_MS : IDLE_MS) <= 0)
			return *len ? 408 : -1;
		got = read(c->in, buf + *len, HTTP_MAX_HEAD - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		*len += (size_t)got;
	}
	return status;
}

static void
serve_connection(int in, int out, const struct options *opt, FILE *log)
{
	static char buf[HTTP_MAX_HEAD];
	struct conn c = { .in = in, .out = out, .log = log };
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	char errbuf[512];
	size_t len = 0;

	snprintf(c.peer, sizeof(c.peer), "-");
	if (getpeername(in, (struct sockaddr *)&sa, &salen) == 0)
		getnameinfo((struct sockaddr *)&sa, salen, c.peer, sizeof(c.peer),
		    NULL, 0, NI_NUMERICHOST);
	rng_seed(&c.rng, (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	c.model_ok = model_open(&c.m, opt->model, errbuf, sizeof(errbuf)) == 0;
	if (c.model_ok)
		c.fmt = audfmt_new(&c.m, ',');
	for (;;) {
		struct http_request req;
		struct response r;
		size_t used = 0;
		int status = read_head(&c, buf, &len, &req, &used), keep;

		if (status < 0)
			break;
		if (status != HTTP_OK) {
			error_body(&r, status, reason(status));
			fflush(r.f);
			log_request(&c, NULL, status, r.len);
			send_response(&c, &r, 0, 0);
			break;
		}
		route(&c, &req, &r);
		keep = req.keep_alive && r.status < 500;
		fflush(r.f);
		log_request(&c, &req, r.status, r.len);
		if (send_response(&c, &r, strcmp(req.method, "HEAD") == 0, keep) < 0 ||
		    !keep)
			break;
		memmove(buf, buf + used, len - used);
		len -= used;
	}
	if (c.model_ok) {
		audfmt_free(c.fmt);
		model_close(&c.m);
	}
}

/* Opens the listening socket of [ADDR:]PORT. */
static int
listen_on(const char *spec)
{
	char host[256] = "", *port;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE }, *res, *ai;
	int fd = -1, one = 1, gai;

	snprintf(host, sizeof(host), "%s", spec);
	if ((port = strrchr(host, ':')) != NULL)
		*port++ = '\0';
	else
		port = host;	/* PORT alone: every address */
	if ((gai = getaddrinfo(port == host ? NULL : host, port, &hints, &res)) != 0)
		errx(EXIT_USAGE, "--listen: \"%s\": %s", spec, gai_strerror(gai));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		err(EXIT_DATA, "--listen: %s", spec);
	return fd;
}

/* Accepts connections; a child per connection, at most workers at once. */
static void
serve_standalone(const struct options *opt, FILE *log)
{
	int lfd = listen_on(opt->listen);
	int64_t children = 0;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd;
		pid_t pid;

		while (children > 0 && waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (children >= opt->workers && waitpid(-1, NULL, 0) > 0)
			children--;
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
				continue;
			err(EXIT_DATA, "accept");
		}
		if ((pid = fork()) == 0) {
			close(lfd);
			serve_connection(fd, fd, opt, log);
			_exit(0);
		}
		close(fd);
		if (pid > 0)
			children++;
	}
}

int
main(int argc, char **argv)
{
	struct options opt;
	FILE *log = NULL;

	parse_options(argc, argv, &opt);
	if (opt.log != NULL && (log = fopen(opt.log, "a")) == NULL)
		err(EXIT_DATA, "%s", opt.log);
	if (opt.listen != NULL) {
		if (log == NULL && !opt.quiet)
			log = stderr;
		serve_standalone(&opt, log);
	}
	/* inetd: a broken connection is only the end of it. */
	signal(SIGPIPE, SIG_IGN);
	serve_connection(STDIN_FILENO, STDOUT_FILENO, &opt, log);
	return 0;
}
