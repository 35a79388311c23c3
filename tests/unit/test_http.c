/*
 * Unit tests of common/http.c, the request-head parser of aud-serve: good
 * requests, every bound, and malformed heads, each with its status.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static struct http_request req;

static int
parse(const char *head)
{
	size_t used = 0;
	int status = http_parse(head, strlen(head), &req, &used);

	if (status == HTTP_OK && used != strlen(head))
		return -1;
	return status;
}

static void
status_is(const char *head, int want, const char *what)
{
	int got = parse(head);

	ok(got == want, "%s: %d (got %d)", what, want, got);
}

int
main(void)
{
	char big[HTTP_MAX_HEAD + 100], value[64];

	status_is("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_OK, "a simple GET");
	ok(strcmp(req.method, "GET") == 0 && strcmp(req.path, "/health") == 0 &&
	    req.keep_alive && req.minor == 1, "its method, path and keep-alive");
	status_is("GET /recommend/12%20x?n=5&format=csv HTTP/1.0\n\n", HTTP_OK,
	    "HTTP/1.0 with bare LF");
	ok(strcmp(req.path, "/recommend/12%20x") == 0 &&
	    strcmp(req.query, "n=5&format=csv") == 0 && !req.keep_alive,
	    "the path and query kept as sent, 1.0 closes");
	ok(http_query_param(req.query, "n", value, sizeof(value)) == 1 &&
	    strcmp(value, "5") == 0, "query parameter n");
	ok(http_query_param(req.query, "format", value, sizeof(value)) == 1 &&
	    strcmp(value, "csv") == 0, "query parameter format");
	ok(http_query_param(req.query, "x", value, sizeof(value)) == 0,
	    "an absent parameter");
	status_is("GET /recommend/A%2FB HTTP/1.1\r\n\r\n", HTTP_OK,
	    "an encoded slash");
	ok(strcmp(req.path, "/recommend/A%2FB") == 0,
	    "is not decoded before the router splits the path");
	ok(http_query_param("n=%zz", "n", value, sizeof(value)) == -1,
	    "a malformed parameter");
	status_is("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", HTTP_OK,
	    "Connection: close");
	ok(!req.keep_alive, "closes");
	status_is("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", HTTP_OK,
	    "1.0 keep-alive");
	ok(req.keep_alive, "stays open");
	status_is("GET / HTTP/1.1\r\nAccept: text/html, text/csv;q=0.9\r\n\r\n",
	    HTTP_OK, "Accept with text/csv");
	ok(req.wants_csv, "wants CSV");
	status_is("\r\nGET / HTTP/1.1\r\n\r\n", HTTP_OK, "a leading empty line");
	status_is("GET / HTTP/1.1\r\nHost: x\r\n", HTTP_NEED_MORE, "an incomplete head");
	status_is("GET / HT", HTTP_NEED_MORE, "an incomplete request line");
	status_is("GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0");
	status_is("GET / FTP/1.1\r\n\r\n", 400, "not HTTP");
	status_is("GET http://x/ HTTP/1.1\r\n\r\n", 400, "absolute-form target");
	status_is("GET  / HTTP/1.1\r\n\r\n", 400, "two spaces");
	status_is("G(T / HTTP/1.1\r\n\r\n", 400, "a bad method character");
	status_is("GET /a%2 HTTP/1.1\r\n\r\n", 400, "truncated percent-encoding");
	status_is("GET /a%g1 HTTP/1.1\r\n\r\n", 400, "bad percent-encoding");
	status_is("GET /a%00 HTTP/1.1\r\n\r\n", 400, "an encoded NUL");
	status_is("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "a space in a header name");
	status_is("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400, "obsolete folding");
	status_is("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "a header without colon");
	status_is("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 413, "a body");
	status_is("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413, "a chunked body");
	status_is("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP_OK, "an empty body");
	status_is("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "a bad length");

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	status_is(big, 414, "a request line over 8 KiB");
	{
		size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");

		while (n + 20 < sizeof(big))
			n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad: 0123456789\r\n");
		status_is(big, 431, "headers over 8 KiB");
	}
	{
		size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");

		for (int i = 0; i < 65; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "X: %d\r\n", i);
		snprintf(big + n, sizeof(big) - n, "\r\n");
		status_is(big, 431, "65 headers");
	}
	{
		/* Garbage of every byte value never crashes and never parses. */
		unsigned seed = 3;
		int all_rejected = 1;

		for (int k = 0; k < 20000; k++) {
			char junk[300];
			size_t n = (size_t)(rand_r(&seed) % sizeof(junk)), used;

			for (size_t i = 0; i < n; i++)
				junk[i] = (char)(rand_r(&seed) % 256);
			if (http_parse(junk, n, &req, &used) == HTTP_OK)
				all_rejected = 0;
		}
		ok(all_rejected, "20000 random byte strings are never taken as requests");
	}
	{
		/* A log line cannot be forged: nothing but printable ASCII
		   other than '"' and '\\' is written as itself. */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		http_write_escaped(f, "a\n\"b\\\x1b\x7f\xc3\xa9 ~");
		fclose(f);
		ok(strcmp(text, "a\\x0A\\x22b\\x5C\\x1B\\x7F\\xC3\\xA9 ~") == 0,
		    "log escapes: %s", text);
		free(text);
	}
	return tap_done();
}
