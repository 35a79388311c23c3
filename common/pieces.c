/* aud-prepare --merge: see pieces.h. */
#include "pieces.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "prepare.h"
#include "prepared.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

/* What every piece must share with the first. */
struct first {
	const char *path;
	int has_category;
	uint32_t shard[2];
};

static int
agree(const struct prepared *h, const char *path, struct first *f,
    const struct prep *p, char *err, size_t errlen)
{
	if (h->bot_threshold != (uint64_t)prep_bot_threshold(p)) {
		snprintf(err, errlen, "%s: prepared with --bot-threshold %llu: "
		    "merge with the same", path,
		    (unsigned long long)h->bot_threshold);
		return -1;
	}
	if (f->path == NULL) {
		f->path = path;
		f->has_category = h->has_category;
		memcpy(f->shard, h->shard, sizeof(f->shard));
		return 0;
	}
	if (h->has_category != f->has_category) {
		snprintf(err, errlen, "%s: %s categories, %s %s", path,
		    h->has_category ? "has" : "has no", f->path,
		    f->has_category ? "has" : "has none");
		return -1;
	}
	if (memcmp(h->shard, f->shard, sizeof(f->shard)) != 0) {
		char a[48] = "all customers", b[48] = "all customers";

		if (h->shard[1] > 0)
			snprintf(a, sizeof(a), "shard %u of %u", h->shard[0],
			    h->shard[1]);
		if (f->shard[1] > 0)
			snprintf(b, sizeof(b), "shard %u of %u", f->shard[0],
			    f->shard[1]);
		snprintf(err, errlen, "%s: %s, %s: %s: pieces of one shard "
		    "only", path, a, f->path, b);
		return -1;
	}
	return 0;
}

static void
str_of(const msgpack_object *o, const char **s, size_t *len)
{
	*s = o != NULL ? o->via.str.ptr : NULL;
	*len = o != NULL ? o->via.str.size : 0;
}

/* The piece's events and bots, and the names only bots had. */
static int
read_bots(struct prep *p, const struct prepared *h, const char *path,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < h->events->via.array.size; i++)
		if (prep_merge_event(p, h->events->via.array.ptr[i].via.str.ptr,
		    h->events->via.array.ptr[i].via.str.size) < 0)
			goto full;
	for (size_t i = 0; i < h->bot_ids->via.array.size; i++) {
		struct id id;

		stream_get_id(&h->bot_ids->via.array.ptr[i], &id);
		if (prep_merge_bot(p, &id) < 0)
			goto full;
	}
	for (size_t i = 0; i < h->bot_labels->via.array.size; i++) {
		const msgpack_object *name, *category;
		const char *n, *c;
		size_t nlen, clen;
		struct id id;

		prepared_bot_label(h, i, &id, &name, &category);
		str_of(name, &n, &nlen);
		str_of(category, &c, &clen);
		if (prep_merge_label(p, &id, n, nlen, c, clen) < 0)
			goto full;
	}
	return 0;
full:
	snprintf(err, errlen, "%s: %s", path, prep_error(p));
	return -1;
}

/* The piece's records, as rows read. */
static int
read_records(struct prep *p, struct stream_reader *r, const struct prepared *h,
    char *err, size_t errlen)
{
	const msgpack_object *rec;
	int64_t previous = INT64_MIN;
	int got;

	while ((got = stream_read(r, &rec, err, errlen)) == 1) {
		struct prepared_record o;
		struct prep_piece_row row = { .customer = &o.customer,
		    .product = &o.product };
		const msgpack_object *ev;
		const char *wrong = prepared_record(h, rec, previous, &o);

		if (wrong != NULL) {
			snprintf(err, errlen, "%s: byte %llu: %s", stream_name(r),
			    (unsigned long long)stream_offset(r), wrong);
			return -1;
		}
		previous = row.time = o.time;
		ev = &h->events->via.array.ptr[o.event];
		row.event = ev->via.str.ptr;
		row.event_len = ev->via.str.size;
		str_of(o.label[0], &row.name, &row.name_len);
		str_of(o.label[1], &row.category, &row.category_len);
		if (prep_merge_row(p, &row) < 0) {
			snprintf(err, errlen, "%s: %s", stream_name(r), prep_error(p));
			return -1;
		}
	}
	return got;
}

int
pieces_read(struct prep *p, const char *const *paths, size_t n, char *err,
    size_t errlen)
{
	struct first f = { NULL, 0, { 0, 0 } };
	char **fingerprints = xcalloc(n + 1, sizeof(*fingerprints));
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		FILE *in = fopen(paths[i], "rb");
		struct stream_reader *r = NULL;
		struct prepared h;
		const char *fp;

		if (in == NULL) {
			snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
			ret = -1;
			break;
		}
		if ((r = stream_reader_open(in, paths[i], err, errlen)) == NULL ||
		    prepared_header(r, &h, err, errlen) < 0 ||
		    agree(&h, paths[i], &f, p, err, errlen) < 0)
			ret = -1;
		if (ret == 0 && i == 0)
			prep_merge_begin(p, h.has_category, h.shard[1] ? h.shard : NULL);
		if (ret == 0 && (read_bots(p, &h, paths[i], err, errlen) < 0 ||
		    read_records(p, r, &h, err, errlen) < 0))
			ret = -1;
		if (ret == 0) {
			prep_merge_counts(p, &h.counts);
			fp = stream_fingerprint(r);
			fingerprints[i] = xstrndup(fp ? fp : "", fp ? strlen(fp) : 0);
			/* Two pieces of the same records: given twice. */
			for (size_t j = 0; j < i && fp != NULL &&
			    h.counts.written > 0; j++)
				if (strcmp(fingerprints[j], fp) == 0) {
					snprintf(err, errlen, "%s and %s: the same "
					    "piece twice", paths[j], paths[i]);
					ret = -1;
				}
		}
		stream_reader_free(r);
		fclose(in);
	}
	for (size_t i = 0; i < n; i++)
		free(fingerprints[i]);
	free(fingerprints);
	return ret;
}
