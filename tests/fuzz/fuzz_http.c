/*
 * libFuzzer harness of the HTTP request parser, which reads what any client
 * sends: the head parsed as aud-serve parses it, requests pipelined one
 * after another, and the query's parameters decoded.
 */
#include <stdint.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req;
	const char *p = (const char *)data;
	size_t used;

	while (size > 0 && http_parse(p, size, &req, &used) == HTTP_OK) {
		char value[64];

		http_query_param(req.query, "n", value, sizeof(value));
		http_query_param(req.query, "format", value, sizeof(value));
		if (used == 0 || used > size)
			__builtin_trap();	/* the parser must consume the head */
		p += used;
		size -= used;
	}
	return 0;
}
