/*
 * JSON text output: strings escaped per RFC 8259 (bytes that are not valid
 * UTF-8 become U+FFFD, so the output is always valid JSON), numbers that
 * round-trip, and msgpack objects rendered as JSON values.
 */
#ifndef AUD_JSON_H
#define AUD_JSON_H

#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>

void json_write_string(FILE *out, const char *s, size_t len);

/* The shortest %.*g form that reads back as the same double; null if not finite. */
void json_write_double(FILE *out, double v);
/* That form of a finite v, as text. */
#define JSON_SHORTEST_LEN 32
void json_shortest(double v, char buf[JSON_SHORTEST_LEN]);

/*
 * Writes o as JSON. Map keys that are not strings are written as their JSON
 * text in a string; binary data as a string of its bytes.
 */
void json_write_object(FILE *out, const msgpack_object *o);

/* o as JSON text in a new string the caller frees (allocate or die). */
char *json_object_text(const msgpack_object *o, size_t *len);

#endif
