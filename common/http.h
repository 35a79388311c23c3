/*
 * The HTTP/1.x request head, parsed without side effects so that unit tests
 * and a fuzzer can call it: the request line and headers, bounded (8 KiB in
 * all, 64 headers), into the few facts aud-serve uses. Bodies are refused.
 */
#ifndef AUD_HTTP_H
#define AUD_HTTP_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_HEADERS 64

struct http_request {
	char method[16];
	char path[HTTP_MAX_HEAD];	/* as sent (its %-encoding checked), no query */
	char query[HTTP_MAX_HEAD];	/* as sent, without the '?' */
	int minor;			/* HTTP/1.minor */
	int keep_alive;			/* the connection may carry another request */
	int wants_csv;			/* Accept names text/csv */
};

/* Outcomes besides an HTTP status (400, 413, 414, 431, 505). */
enum { HTTP_OK = 0, HTTP_NEED_MORE = 1 };

/*
 * Parses the head at buf[0..len). Returns HTTP_OK and sets *used to the
 * head's length (CRLF CRLF included), HTTP_NEED_MORE when the head is not
 * complete yet and within bounds, or the status to answer: 400 malformed,
 * 413 a body, 414 a request line over the bound, 431 headers over the
 * bounds, 505 not HTTP/1.x. Bare LF line ends are accepted.
 */
int http_parse(const char *buf, size_t len, struct http_request *req,
    size_t *used);

/*
 * Finds parameter name in a query string and writes its percent-decoded
 * value ('+' is a space) to out. Returns 1 when found, 0 when absent, -1
 * when its value is malformed or does not fit.
 */
int http_query_param(const char *query, const char *name, char *out,
    size_t outlen);

/*
 * Writes s for a log line, as nginx does: quotes, backslashes, control bytes
 * and bytes from 0x7f up as \xHH, so that a request cannot forge a line.
 */
void http_write_escaped(FILE *f, const char *s);

/* Percent-decodes len bytes of s into out (NUL-terminated); -1 if malformed. */
int http_percent_decode(const char *s, size_t len, int plus_is_space,
    char *out, size_t outlen);

#endif
