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

#include "audfmt.h"
#include "cli.h"
#include "http.h"
#include "intern.h"
#include "json.h"
#include "model.h"
#include "rng.h"
#include "stream.h"
#include "timeparse.h"
#include "banned.h"

#define IDLE_MS 10000		/* between requests on a kept-alive connection */
#define HEAD_MS 5000		/* to send a whole request head */
#define SWEEP_MS 250		/* standalone: how late a limit may be applied */
#define MAX_N 100

struct options {
	const char *model;
	const char *listen;
	const char *log;
	int64_t workers;
	int quiet;
};

/* What a process serves from: the model, mapped once per connection
   (inetd) or per worker (standalone, again on SIGHUP). */
struct conn {
	struct model m;
	int model_ok;
	struct audfmt *fmt;
	FILE *log;
	const char *peer;
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
	    "  -w, --workers N      standalone: worker processes (default 2)\n"
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
	opt->workers = 2;
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
			if (cli_parse_int(optarg, 1, 4096, &opt->workers) < 0)
				cli_bad_value(usage, "--workers", "1 to 4096",
				    optarg);
			break;
		default:
			usage();
		}
	}
	if (opt->model == NULL || optind != argc)
		cli_usage_error(usage,
		    opt->model == NULL ? "-m MODEL is required" : "no arguments expected");
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

static const char *const month_name[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/*
 * The time now in UTC, written by hand from time_format_iso(): strftime
 * and even gmtime_r load the time zone database on first use, seven system
 * calls that are a tenth of a connection's cost under inetd.
 */
static void
format_date(char *buf, size_t len, int for_log)
{
	static const char *const day_name[7] = {
		"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"	/* from 1970-01-01 */
	};
	int64_t ms = (int64_t)time(NULL) * 1000;
	char iso[TIME_ISO_LEN];		/* YYYY-MM-DDTHH:MM:SSZ */
	const char *month;

	time_format_iso(ms, iso);
	month = month_name[(iso[5] - '0') * 10 + iso[6] - '0' - 1];
	if (for_log)	/* Common Log Format */
		snprintf(buf, len, "%.2s/%s/%.4s:%.8s +0000", iso + 8, month, iso,
		    iso + 11);
	else		/* RFC 9110 IMF-fixdate */
		snprintf(buf, len, "%s, %.2s %s %.4s %.8s GMT",
		    day_name[(time_day(ms) % 7 + 7) % 7], iso + 8, month, iso, iso + 11);
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

/*
 * Appends r, head and body, to the output buffer *out (of *len bytes,
 * growing it) and frees r.
 */
static void
render(struct response *r, int head_only, int keep_alive, char **out,
    size_t *len)
{
	static char date[64];
	static time_t dated;
	char head[1024];
	time_t now = time(NULL);
	size_t n, body;

	if (fclose(r->f) != 0)
		err(EXIT_DATA, "out of memory");
	if (now != dated) {	/* the Date line changes once a second */
		format_date(date, sizeof(date), 0);
		dated = now;
	}
	n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Server: aud-serve/%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%sConnection: %s\r\n\r\n", r->status, reason(r->status), date,
	    AUD_VERSION, r->type, r->len, r->extra,
	    keep_alive ? "keep-alive" : "close");
	body = head_only ? 0 : r->len;
	if ((*out = realloc(*out, *len + n + body)) == NULL)
		err(EXIT_DATA, "out of memory");
	memcpy(*out + *len, head, n);
	if (body > 0)
		memcpy(*out + *len + n, r->body, body);
	*len += n + body;
	free(r->body);
}

static void log_request(struct conn *c, const struct http_request *req,
    int status, size_t bytes);

/* An error response that ends the connection, appended to *out. */
static void
error_body_to(struct conn *c, int status, char **out, size_t *len)
{
	struct response r;

	error_body(&r, status, reason(status));
	fflush(r.f);
	log_request(c, NULL, status, r.len);
	render(&r, 0, 0, out, len);
}

static void
log_request(struct conn *c, const struct http_request *req, int status,
    size_t bytes)
{
	char when[64];

	if (c->log == NULL)
		return;
	format_date(when, sizeof(when), 1);
	fprintf(c->log, "%s - - [%s] \"", c->peer, when);
	if (req != NULL) {	/* the target as received, escaped: one line */
		fprintf(c->log, "%s ", req->method);
		http_write_escaped(c->log, req->path);
		if (req->query[0] != '\0') {
			putc('?', c->log);
			http_write_escaped(c->log, req->query);
		}
		fprintf(c->log, " HTTP/1.%d", req->minor);
	} else
		fputs("- - HTTP/1.1", c->log);
	fprintf(c->log, "\" %d %zu\n", status, bytes);
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

/*
 * Answers req by its path, split before it is decoded: in /recommend/ID the
 * ID is decoded alone, so an encoded '/' (%2F) is part of it. A raw
 * /recommend/A/B is not a route (404). http_parse checked the encoding.
 */
static void
route(struct conn *c, const struct http_request *req, struct response *r)
{
	static char path[HTTP_MAX_HEAD];
	const char *raw = req->path, *id = NULL;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		error_body(r, 405, "only GET and HEAD are served");
		r->extra = "Allow: GET, HEAD\r\n";
		return;
	}
	if (strncmp(raw, "/recommend/", 11) == 0 && strchr(raw + 11, '/') == NULL) {
		http_percent_decode(raw + 11, strlen(raw + 11), 0, path, sizeof(path));
		id = path;
	} else
		http_percent_decode(raw, strlen(raw), 0, path, sizeof(path));
	if (id == NULL && strcmp(path, "/") == 0)
		serve_index(r);
	else if (id == NULL && strcmp(path, "/ui") == 0) {
		begin(r, 200, "text/html; charset=utf-8");
		fputs(aud_serve_ui, r->f);
	} else if (!c->model_ok)
		error_body(r, 503, "the model cannot be read");
	else if (id != NULL)
		serve_recommend(c, req, id, r);
	else if (strcmp(path, "/health") == 0)
		serve_health(c, r);
	else if (strcmp(path, "/metrics") == 0)
		serve_metrics(c, r);
	else if (strcmp(path, "/products/sample") == 0)
		serve_sample(c, req, r);
	else
		error_body(r, 404, "Not Found");
}

/*
 * Answers the request at the start of buf[0..len): appends the response to
 * *out and returns the bytes of the request, 0 when it is not complete yet,
 * or -1 after answering an error that ends the connection. *keep tells
 * whether the connection may go on.
 */
static long
answer(struct conn *c, const char *buf, size_t len, char **out, size_t *outlen,
    int *keep)
{
	struct http_request req;
	struct response r;
	size_t used = 0;
	int status = http_parse(buf, len, &req, &used);

	*keep = 0;
	if (status == HTTP_NEED_MORE)
		return 0;
	if (status != HTTP_OK) {
		error_body(&r, status, reason(status));
		fflush(r.f);
		log_request(c, NULL, status, r.len);
		render(&r, 0, 0, out, outlen);
		return -1;
	}
	route(c, &req, &r);
	*keep = req.keep_alive && r.status < 500;
	fflush(r.f);
	log_request(c, &req, r.status, r.len);
	render(&r, strcmp(req.method, "HEAD") == 0, *keep, out, outlen);
	return (long)used;
}

static void
open_model(struct conn *c, const struct options *opt)
{
	char errbuf[512];

	if (c->model_ok) {
		audfmt_free(c->fmt);
		model_close(&c->m);
	}
	c->model_ok = model_open(&c->m, opt->model, errbuf, sizeof(errbuf)) == 0;
	c->fmt = c->model_ok ? audfmt_new(&c->m, ',') : NULL;
}

static void
close_model(struct conn *c)
{
	if (c->model_ok) {
		audfmt_free(c->fmt);
		model_close(&c->m);
	}
	c->model_ok = 0;
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
 * inetd: one connection on in and out, requests answered in turn (pipelined
 * ones too) until the client closes, stops keeping it alive, or is slow.
 */
static void
serve_connection(int in, int out, const struct options *opt, FILE *log)
{
	static char buf[HTTP_MAX_HEAD];
	struct conn c = { .log = log };
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
	open_model(&c, opt);
	for (;;) {
		char *reply = NULL;
		size_t replylen = 0;
		int keep = 1;
		long used = answer(&c, buf, len, &reply, &replylen, &keep);

		if (used == 0) {
			struct pollfd pfd = { .fd = in, .events = POLLIN };
			/* A head has HEAD_MS from its first byte, however it
			   is paced: the wait is what is left of it. */
			int64_t wait = len ? head_start + HEAD_MS - now_ms() : IDLE_MS;
			ssize_t got;

			free(reply);
			if (wait <= 0 || poll(&pfd, 1, (int)wait) <= 0) {
				if (len == 0)
					break;
				error_body_to(&c, 408, &reply, &replylen);
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
	close_model(&c);
}

/*
 * The address of [ADDR:]PORT: ADDR is an IPv4 address, an IPv6 one in
 * brackets, or localhost; without it, every address (IPv6 and IPv4).
 * Numeric only, so that aud-serve links statically (getaddrinfo cannot):
 * under inetd it starts once a connection. Returns 0 or -1.
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
		return -1;
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

/* Opens the listening socket of [ADDR:]PORT. */
static int
listen_on(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (parse_listen(spec, &sa, &len) < 0)
		errx(EXIT_USAGE, "--listen: expected [ADDR:]PORT with ADDR an IPv4 "
		    "address, [IPv6] or localhost, got \"%s\"", spec);
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
serve_client(int ep, struct client **clients, struct client *cl, struct conn *c)
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
		long used = answer(c, cl->in, cl->inlen, &cl->out, &cl->outlen, &keep);

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
sweep(int ep, struct client **clients, int maxfd, struct conn *c)
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
			error_body_to(c, 408, &cl->out, &cl->outlen);
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
	struct conn c = { .log = log };
	struct client **clients = calloc(MAX_FDS, sizeof(*clients));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd };
	struct epoll_event events[256];
	int ep = epoll_create1(EPOLL_CLOEXEC), maxfd = lfd;
	int64_t last_sweep = now_ms();

	if (clients == NULL || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		err(EXIT_DATA, "worker");
	rng_seed(&c.rng, (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	open_model(&c, opt);
	for (;;) {
		int n = epoll_wait(ep, events, 256, SWEEP_MS);

		if (reload) {
			reload = 0;
			open_model(&c, opt);
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
