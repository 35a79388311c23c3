/* JSON writing; see json.h. */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
json_write_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	putc('"', out);
	while (p < end) {
		size_t n = utf8_len(p, (size_t)(end - p));

		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
		} else if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
		} else {
			switch (*p) {
			case '"': fputs("\\\"", out); break;
			case '\\': fputs("\\\\", out); break;
			case '\n': fputs("\\n", out); break;
			case '\r': fputs("\\r", out); break;
			case '\t': fputs("\\t", out); break;
			default:
				if (*p < 0x20 || *p == 0x7f)
					fprintf(out, "\\u%04x", *p);
				else
					putc(*p, out);
			}
			p++;
		}
	}
	putc('"', out);
}

void
json_shortest(double v, char buf[JSON_SHORTEST_LEN])
{
	/* 15 digits always read back when fewer would (DBL_DIG), so the
	   shortest form is the first of 15, 16 and 17 that does. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, JSON_SHORTEST_LEN, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

void
json_write_double(FILE *out, double v)
{
	char buf[JSON_SHORTEST_LEN];

	if (!isfinite(v)) {
		fputs("null", out);
		return;
	}
	json_shortest(v, buf);
	fputs(buf, out);
	/* Keep a float a float for readers that care: 2 -> 2.0. */
	if (strpbrk(buf, ".eEn") == NULL)
		fputs(".0", out);
}

void
json_write_object(FILE *out, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", out);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", out);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(out, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(out, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		json_write_double(out, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		json_write_string(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		json_write_string(out, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		putc('[', out);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				putc(',', out);
			json_write_object(out, &o->via.array.ptr[i]);
		}
		putc(']', out);
		break;
	case MSGPACK_OBJECT_MAP:
		putc('{', out);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;

			if (i > 0)
				putc(',', out);
			if (k->type == MSGPACK_OBJECT_STR)
				json_write_object(out, k);
			else {
				size_t n;
				char *text = json_object_text(k, &n);

				json_write_string(out, text, n);
				free(text);
			}
			putc(':', out);
			json_write_object(out, &o->via.map.ptr[i].val);
		}
		putc('}', out);
		break;
	case MSGPACK_OBJECT_EXT:
		fputs("null", out);
		break;
	}
}

char *
json_object_text(const msgpack_object *o, size_t *len)
{
	char *text = NULL;
	FILE *mem = open_memstream(&text, len);

	if (mem == NULL)
		xalloc_failed();
	json_write_object(mem, o);
	if (fclose(mem) != 0)
		xalloc_failed();
	return text;
}
