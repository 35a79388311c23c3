/* HTTP request heads; see http.h. RFC 9112 section 2 and 3 for the syntax. */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_percent_decode(const char *s, size_t len, int plus_is_space, char *out,
    size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len || (hi = hex(s[i + 1])) < 0 ||
			    (lo = hex(s[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '\0')
				return -1;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

void
http_write_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			fprintf(f, "\\x%02X", c);
		else
			putc(c, f);
	}
}

int
http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = query;

	while (*p != '\0') {
		const char *end = strchr(p, '&'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
			return http_percent_decode(eq + 1, len - nlen - 1, 1, out,
			    outlen) < 0 ? -1 : 1;
		if (eq == NULL && len == nlen && memcmp(p, name, nlen) == 0) {
			if (outlen == 0)
				return -1;
			out[0] = '\0';
			return 1;
		}
		p += len + (end != NULL);
	}
	return 0;
}

/* The line at *p (up to LF, CR stripped); NULL when no LF comes before end. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *start = *p, *lf = memchr(start, '\n', (size_t)(end - start));

	if (lf == NULL)
		return NULL;
	*len = (size_t)(lf - start);
	if (*len > 0 && start[*len - 1] == '\r')
		(*len)--;
	*p = lf + 1;
	return start;
}

static int
is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static int
parse_request_line(const char *s, size_t len, struct http_request *req)
{
	const char *sp1 = memchr(s, ' ', len), *sp2, *target, *q;
	size_t mlen, tlen, plen;

	if (sp1 == NULL || (mlen = (size_t)(sp1 - s)) == 0 ||
	    mlen >= sizeof(req->method))
		return 400;
	for (size_t i = 0; i < mlen; i++)
		if (!is_token_char(s[i]))
			return 400;
	memcpy(req->method, s, mlen);
	req->method[mlen] = '\0';
	target = sp1 + 1;
	sp2 = memchr(target, ' ', len - mlen - 1);
	if (sp2 == NULL || sp2 == target || *target != '/')
		return 400;
	tlen = (size_t)(sp2 - target);
	if ((size_t)(s + len - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    sp2[7] != '.' || sp2[6] < '0' || sp2[6] > '9' || sp2[8] < '0' ||
	    sp2[8] > '9')
		return 400;
	if (sp2[6] != '1')
		return 505;
	req->minor = sp2[8] - '0';
	req->keep_alive = req->minor >= 1;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= ' ' || target[i] == 0x7f)
			return 400;
	q = memchr(target, '?', tlen);
	/* The path is kept as sent: decoding it before the router splits it
	   would make an encoded '/' (%2F) inside a product id a separator. It
	   is only checked here, so that every route may decode it safely. */
	plen = q ? (size_t)(q - target) : tlen;
	if (http_percent_decode(target, plen, 0, req->path, sizeof(req->path)) < 0)
		return 400;
	memcpy(req->path, target, plen);
	req->path[plen] = '\0';
	if (q != NULL) {
		memcpy(req->query, q + 1, tlen - (size_t)(q - target) - 1);
		req->query[tlen - (size_t)(q - target) - 1] = '\0';
	} else
		req->query[0] = '\0';
	return 0;
}

/* Does a comma-separated header value list hold token (case-insensitive)? */
static int
has_token(const char *v, size_t len, const char *token)
{
	size_t tlen = strlen(token);

	for (size_t i = 0; i + tlen <= len; i++)
		if (strncasecmp(v + i, token, tlen) == 0 &&
		    (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
		    (i + tlen == len || v[i + tlen] == ' ' || v[i + tlen] == ',' ||
		    v[i + tlen] == ';'))
			return 1;
	return 0;
}

static int
parse_header(const char *s, size_t len, struct http_request *req)
{
	const char *colon = memchr(s, ':', len), *v;
	size_t nlen, vlen;

	if (s[0] == ' ' || s[0] == '\t')
		return 400;	/* obsolete line folding */
	if (colon == NULL || colon == s)
		return 400;
	nlen = (size_t)(colon - s);
	for (size_t i = 0; i < nlen; i++)
		if (!is_token_char(s[i]))
			return 400;
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (size_t i = 0; i < vlen; i++)
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
			return 400;
#define NAME_IS(x) (nlen == sizeof(x) - 1 && strncasecmp(s, x, nlen) == 0)
	if (NAME_IS("Connection")) {
		if (has_token(v, vlen, "close"))
			req->keep_alive = 0;
		else if (has_token(v, vlen, "keep-alive"))
			req->keep_alive = 1;
	} else if (NAME_IS("Accept"))
		req->wants_csv = has_token(v, vlen, "text/csv");
	else if (NAME_IS("Transfer-Encoding"))
		return 413;
	else if (NAME_IS("Content-Length")) {
		for (size_t i = 0; i < vlen; i++)
			if (v[i] < '0' || v[i] > '9')
				return 400;
		for (size_t i = 0; i < vlen; i++)
			if (v[i] != '0')
				return 413;
		if (vlen == 0)
			return 400;
	}
#undef NAME_IS
	return 0;
}

int
http_parse(const char *buf, size_t len, struct http_request *req, size_t *used)
{
	const char *p = buf, *end = buf + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);
	const char *line;
	size_t llen;
	int status, headers = 0;

	/* Not a memset: the struct holds two head-sized buffers, and clearing
	 * 16 KiB a request is a measurable share of a server's time. */
	req->method[0] = req->path[0] = req->query[0] = '\0';
	req->minor = req->keep_alive = req->wants_csv = 0;
	/* Robust servers ignore empty lines before a request (RFC 9112 2.2). */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if ((line = next_line(&p, end, &llen)) == NULL)
		return len >= HTTP_MAX_HEAD ? 414 : HTTP_NEED_MORE;
	if ((status = parse_request_line(line, llen, req)) != 0)
		return status;
	for (;;) {
		if ((line = next_line(&p, end, &llen)) == NULL)
			return len >= HTTP_MAX_HEAD ? 431 : HTTP_NEED_MORE;
		if (llen == 0)
			break;
		if (++headers > HTTP_MAX_HEADERS)
			return 431;
		if ((status = parse_header(line, llen, req)) != 0)
			return status;
	}
	*used = (size_t)(p - buf);
	return HTTP_OK;
}
