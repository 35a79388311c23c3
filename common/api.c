/* aud-serve's HTTP API: a request in, a response out; see api.h. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "cli.h"
#include "http.h"
#include "idlist.h"
#include "intern.h"
#include "json.h"
#include "names.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_N 100

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
		xalloc_failed();
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
		xalloc_failed();
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
		xalloc_failed();
	memcpy(*out + *len, head, n);
	if (body > 0)
		memcpy(*out + *len + n, r->body, body);
	*len += n + body;
	free(r->body);
}

static void log_request(struct api_conn *c, const struct http_request *req,
    int status, size_t bytes);

void
api_error(struct api_conn *c, int status, char **out, size_t *len)
{
	struct response r;

	error_body(&r, status, reason(status));
	fflush(r.f);
	log_request(c, NULL, status, r.len);
	render(&r, 0, 0, out, len);
}

static void
log_request(struct api_conn *c, const struct http_request *req, int status,
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

/* Reads ?n=K: 1 <= K <= most, default 10 (or most, if fewer); -1 when
   malformed or out of range. */
static int
param_n(const struct http_request *req, int64_t most, int64_t *n)
{
	char value[32];
	int found = http_query_param(req->query, "n", value, sizeof(value));

	*n = most < 10 ? most : 10;
	if (found == 0)
		return 0;
	return found < 0 || cli_parse_int(value, 1, most, n) < 0 ? -1 : 0;
}

/*
 * ?n=K for an audience: at most what the model holds per product, for a
 * known product, a new one and the cold-start list alike (aud-query -n
 * keeps the same bound). Returns -1 after answering 422.
 */
static int
audience_n(const struct api_conn *c, const struct http_request *req,
    struct response *r, int64_t *n)
{
	uint64_t depth = model_depth(&c->m), built = model_top_n(&c->m);
	int64_t most = depth > 0 && depth < MAX_N ? (int64_t)depth : MAX_N;
	char why[128], given[32];

	if (param_n(req, most, n) == 0) {
		/* Without n, the audiences the model was built for, as
		   aud-query gives them. */
		if (http_query_param(req->query, "n", given, sizeof(given)) == 0 &&
		    built > 0 && (uint64_t)*n > built)
			*n = (int64_t)built;
		return 0;
	}
	snprintf(why, sizeof(why), "n must be a whole number from 1 to %lld%s",
	    (long long)most, most < MAX_N ? ", the customers this model holds "
	    "per product" : "");
	error_body(r, 422, why);
	return -1;
}

static uint64_t
products(const struct api_conn *c)
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
	    "\"/recommend?name=NAME&n=K\",\"/products/search?q=WORDS&n=K\","
	    "\"/ui\"]}\n", AUD_VERSION);
}

static void
serve_health(const struct api_conn *c, struct response *r)
{
	begin(r, 200, "application/json");
	fprintf(r->f, "{\"status\":\"healthy\",\"model_loaded\":true,"
	    "\"available_products\":%llu,\"cached_recommendations\":%llu}\n",
	    (unsigned long long)products(c), (unsigned long long)products(c));
}

static void
serve_metrics(const struct api_conn *c, struct response *r)
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
serve_sample(struct api_conn *c, const struct http_request *req, struct response *r)
{
	uint64_t total = products(c), picked[MAX_N];
	int64_t n;
	size_t k = 0;
	char errbuf[256];

	if (param_n(req, MAX_N, &n) < 0) {
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

enum answer_format { ANSWER_JSON, ANSWER_CSV, ANSWER_TSV };

/*
 * The form of an audience: ?format=json, csv or tsv (the table formats of
 * aud-query), else Accept: text/csv, else JSON. Returns -1 after answering
 * 422 for another format.
 */
static int
answer_format(const struct http_request *req, struct response *r,
    enum answer_format *form)
{
	char format[16];
	int found = http_query_param(req->query, "format", format, sizeof(format));

	*form = req->wants_csv ? ANSWER_CSV : ANSWER_JSON;
	if (found == 0)
		return 0;
	if (found == 1 && strcmp(format, "json") == 0)
		*form = ANSWER_JSON;
	else if (found == 1 && strcmp(format, "csv") == 0)
		*form = ANSWER_CSV;
	else if (found == 1 && strcmp(format, "tsv") == 0)
		*form = ANSWER_TSV;
	else {
		error_body(r, 422, "format must be json, csv or tsv");
		return -1;
	}
	return 0;
}

/* An audience as the API's JSON object or as a CSV or TSV download. */
/*
 * The audience a leaves the suppressed customers out of, the next ones
 * taking their places, as a campaign export does (campaign.h).
 */
static void
suppress(const struct api_conn *c, const struct audience *a,
    const msgpack_object *product, size_t n, struct campaign *camp,
    struct campaign_view *v)
{
	struct campaign_params p = { .n = n, .exclude = c->exclude };

	campaign_init(camp, &p);
	campaign_add(camp, &c->m, product, a);
	campaign_assign(camp);
	campaign_view(camp, 0, v);
	v->a.reason_kind = a->reason_kind;
}

static void
send_view(struct api_conn *c, struct response *r, const struct audience *a,
    const msgpack_object *product, size_t n, enum answer_format form)
{
	struct audfmt *table = form == ANSWER_TSV ? c->fmt_tsv : c->fmt;

	if (form == ANSWER_JSON) {
		begin(r, 200, "application/json");
		audfmt_json(r->f, c->fmt, a, product, n);
		return;
	}
	if (form == ANSWER_TSV) {
		begin(r, 200, "text/tab-separated-values; charset=utf-8");
		r->extra = "Content-Disposition: attachment; filename=\"audience.tsv\"\r\n";
	} else {
		begin(r, 200, "text/csv; charset=utf-8");
		r->extra = "Content-Disposition: attachment; filename=\"audience.csv\"\r\n";
	}
	audfmt_table_header(r->f, table);
	audfmt_table(r->f, table, a, product, n);
}

static void
send_audience(struct api_conn *c, struct response *r, const struct audience *a,
    const msgpack_object *product, size_t n, enum answer_format form)
{
	struct campaign camp;
	struct campaign_view v;

	if (c->exclude == NULL) {
		send_view(c, r, a, product, n, form);
		return;
	}
	suppress(c, a, product, n, &camp, &v);
	send_view(c, r, &v.a, product, n, form);
	campaign_view_free(&v);
	campaign_free(&camp);
}

static void
serve_recommend(struct api_conn *c, const struct http_request *req, const char *text,
    struct response *r)
{
	struct audience a;
	struct id id;
	msgpack_object product;
	char errbuf[256];
	int64_t n;
	enum answer_format form;
	int ret;

	if (audience_n(c, req, r, &n) < 0 || answer_format(req, r, &form) < 0)
		return;
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
	stream_id_object(&id, &product);
	send_audience(c, r, &a, &product, (size_t)n, form);
	audience_free(&a);
}

/* GET /recommend?name=NAME&category=C: a new product known by its name,
   its category, or both. */
static void
serve_new(struct api_conn *c, const struct http_request *req,
    struct response *r)
{
	static char name[HTTP_MAX_HEAD], category[HTTP_MAX_HEAD];
	struct new_product np = { 0 };
	struct audience a;
	msgpack_object product = { .type = MSGPACK_OBJECT_NIL }, shown;
	char errbuf[256];
	int64_t n;
	enum answer_format form;

	if (audience_n(c, req, r, &n) < 0 || answer_format(req, r, &form) < 0)
		return;
	if (http_query_param(req->query, "name", name, sizeof(name)) == 1)
		np.name = name;
	if (http_query_param(req->query, "category", category,
	    sizeof(category)) == 1)
		np.category = category;
	if ((np.name == NULL || name[0] == '\0') &&
	    (np.category == NULL || category[0] == '\0')) {
		error_body(r, 422, "name must be a product name, or category "
		    "its category");
		return;
	}
	if (np.name != NULL && name[0] == '\0')
		np.name = NULL;
	if (np.category != NULL && category[0] == '\0')
		np.category = NULL;
	np.name_len = np.name ? strlen(np.name) : 0;
	np.category_len = np.category ? strlen(np.category) : 0;
	/* Suppressed customers need candidates beyond n to be replaced. */
	if (model_new_audience(&c->m, &np, c->exclude ? (size_t)n +
	    intern_count(c->exclude) : (size_t)n, &a, errbuf,
	    sizeof(errbuf)) < 0) {
		error_body(r, 503, errbuf);
		return;
	}
	if (np.name != NULL) {
		shown.type = MSGPACK_OBJECT_STR;
		shown.via.str.ptr = name;
		shown.via.str.size = (uint32_t)np.name_len;
		a.name = &shown;
	}
	send_audience(c, r, &a, &product, (size_t)n, form);
	audience_free(&a);
}

/* GET /products/search?q=WORDS&n=K: products by the start of name words. */
static void
serve_search(struct api_conn *c, const struct http_request *req,
    struct response *r)
{
	static char q[HTTP_MAX_HEAD];
	uint64_t found[MAX_N];
	int64_t n;
	size_t got;
	char errbuf[256];

	if (param_n(req, MAX_N, &n) < 0) {
		error_body(r, 422, "n must be a whole number from 1 to 100");
		return;
	}
	if (http_query_param(req->query, "q", q, sizeof(q)) != 1) {
		error_body(r, 422, "q must be a few letters of a product name");
		return;
	}
	got = names_search(&c->m.names, q, strlen(q), found, (size_t)n);
	begin(r, 200, "application/json");
	fputs("{\"products\":[", r->f);
	for (size_t i = 0; i < got; i++) {
		struct audience a;

		if (model_record_at(&c->m, found[i], &a, errbuf, sizeof(errbuf)) == 1) {
			fprintf(r->f, "%s{\"product_id\":", i ? "," : "");
			json_write_object(r->f, a.product_id);
			fputs(",\"product_name\":", r->f);
			if (a.name != NULL)
				json_write_object(r->f, a.name);
			else
				fputs("null", r->f);
			putc('}', r->f);
		}
		audience_free(&a);
	}
	fprintf(r->f, "],\"count\":%zu}\n", got);
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
"<p><label>Find a product by name <input id=\"q\" placeholder=\"a few letters\"></label> <span id=\"found\"></span></p>\n"
"<form id=\"f\"><label>Product id <input id=\"pid\"></label>\n"
"<label>or a new product's name <input id=\"name\"></label>\n"
"<label>and category <input id=\"cat\"></label>\n"
"<label>Customers <input id=\"n\" type=\"number\" min=\"1\" max=\"100\" value=\"10\"></label>\n"
"<button>Show audience</button></form>\n<div id=\"out\"></div>\n<script>\n"
"const $=id=>document.getElementById(id);\n"
"const esc=s=>String(s).replace(/[&<>\"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','\"':'&quot;'}[c]));\n"
"async function get(u){const r=await fetch(u);const j=await r.json();if(!r.ok)throw new Error(j.detail||r.status);return j}\n"
"async function status(){try{const h=await get('/health'),m=await get('/metrics');\n"
" $('status').textContent=`${h.status}: ${h.available_products} products, ranked by ${m.model_type} score, `+\n"
" `top ${m.model.top_n} each, data ${m.model.first_time} to ${m.model.last_time}`}catch(e){$('status').textContent='unavailable: '+e.message}}\n"
"function pick(where,id,label){const b=document.createElement('button');b.textContent=label;\n"
" b.onclick=()=>{$('pid').value=id;$('name').value='';$('cat').value='';show()};$(where).appendChild(b)}\n"
"async function samples(){const s=await get('/products/sample?n=10');$('samples').innerHTML='';\n"
" for(const p of s.sample_products)pick('samples',p,p)}\n"
"async function find(){const q=$('q').value.trim();$('found').innerHTML='';if(!q)return;\n"
" try{const s=await get(`/products/search?q=${encodeURIComponent(q)}&n=10`);\n"
" for(const p of s.products)pick('found',p.product_id,p.product_name||p.product_id)}catch(e){}}\n"
"async function show(){const id=encodeURIComponent($('pid').value.trim()),n=$('n').value;\n"
" const nm=$('name').value.trim(),ct=$('cat').value.trim();\n"
" const u=(nm||ct)&&!id?`/recommend?name=${encodeURIComponent(nm)}&category=${encodeURIComponent(ct)}&n=${n}`:`/recommend/${id}?n=${n}`;\n"
" try{const r=await get(u);\n"
" let h=`<h2>${esc(r.product_name||(r.product_id!==null?'product '+r.product_id:'a new product in '+ct))}</h2><p>${esc(r.note)} — `+\n"
"  `<a href=\"${u}&format=csv\">download CSV</a></p><table><tr><th>rank</th><th>customer</th><th>score</th><th>why</th></tr>`;\n"
" const why=w=>w.kind==='similar'?'touched '+(w.product_name||'product '+w.product_id):\n"
"  w.kind==='name'?'bought '+(w.product_name||'product '+w.product_id):\n"
"  w.kind==='category'?'likes '+w.category:w.kind;\n"
" for(const x of r.recommendations)h+=`<tr><td class=n>${x.rank}</td><td>${esc(x.customer_id)}</td><td class=n>${x.score.toFixed(6)}</td><td>${esc(why(x.reason))}</td></tr>`;\n"
" $('out').innerHTML=h+'</table>'}catch(e){$('out').textContent='error: '+e.message}}\n"
"$('f').onsubmit=e=>{e.preventDefault();show()};$('q').oninput=find;status();samples();\n"
"const q=new URLSearchParams(location.search);\n"
"if(q.get('n'))$('n').value=q.get('n');if(q.get('name'))$('name').value=q.get('name');\n"
"if(q.get('category'))$('cat').value=q.get('category');\n"
"if(q.get('product'))$('pid').value=q.get('product');if(q.get('product')||q.get('name')||q.get('category'))show()\n"
"</script></body></html>\n";

/*
 * Answers req by its path, split before it is decoded: in /recommend/ID the
 * ID is decoded alone, so an encoded '/' (%2F) is part of it. A raw
 * /recommend/A/B is not a route (404). http_parse checked the encoding.
 */
static void
route(struct api_conn *c, const struct http_request *req, struct response *r)
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
	else if (c->exclude_unread)
		error_body(r, 503, "the suppression list cannot be read");
	else if (id != NULL)
		serve_recommend(c, req, id, r);
	else if (strcmp(path, "/health") == 0)
		serve_health(c, r);
	else if (strcmp(path, "/metrics") == 0)
		serve_metrics(c, r);
	else if (strcmp(path, "/products/sample") == 0)
		serve_sample(c, req, r);
	else if (strcmp(path, "/products/search") == 0)
		serve_search(c, req, r);
	else if (strcmp(path, "/recommend") == 0)
		serve_new(c, req, r);
	else
		error_body(r, 404, "Not Found");
}

/*
 * Answers the request at the start of buf[0..len): appends the response to
 * *out and returns the bytes of the request, 0 when it is not complete yet,
 * or -1 after answering an error that ends the connection. *keep tells
 * whether the connection may go on.
 */
long
api_answer(struct api_conn *c, const char *buf, size_t len, char **out, size_t *outlen,
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

int
api_open_model(struct api_conn *c, const char *path, char *err, size_t errlen)
{
	struct model m;

	if (model_open(&m, path, err, errlen) < 0)
		return -1;
	api_close_model(c);
	c->m = m;
	c->model_ok = 1;
	c->fmt = audfmt_new(&c->m, ',');
	c->fmt_tsv = audfmt_new(&c->m, '\t');
	return 0;
}

int
api_open_exclude(struct api_conn *c, const char *path, char *err,
    size_t errlen)
{
	struct intern *set = idlist_load_set(path, err, errlen);

	if (set == NULL) {
		c->exclude_unread = c->exclude == NULL;
		return -1;
	}
	api_close_exclude(c);
	c->exclude = set;
	return 0;
}

void
api_close_exclude(struct api_conn *c)
{
	if (c->exclude != NULL)
		intern_free(c->exclude);
	c->exclude = NULL;
	c->exclude_unread = 0;
}

void
api_close_model(struct api_conn *c)
{
	if (c->model_ok) {
		audfmt_free(c->fmt);
		audfmt_free(c->fmt_tsv);
		model_close(&c->m);
	}
	c->model_ok = 0;
}

