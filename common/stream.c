/* Record-stream reader and writer; the format is in stream.h and aud-stream(5). */
#include "stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli.h"
#include "mpscan.h"
#include "handoff.h"
#include "packbuf.h"
#include "timeparse.h"
#include "writebehind.h"
#include "xalloc.h"
#include "banned.h"

#define WRITE_BUF (1 << 20)
#define READ_CHUNK (1 << 16)

/*
 * Writing runs in a thread of its own: records are packed into one of a
 * ring of buffers while the thread writes the previous ones, so the copy
 * into the kernel's page cache, a fifth of a large tool's time, overlaps
 * with the packing.
 */
struct stream_writer {
	FILE *out;
	msgpack_packer pk;
	char *buf[HANDOFF_SLOTS];
	size_t len[HANDOFF_SLOTS];	/* bytes in each buffer */
	int last[HANDOFF_SLOTS];	/* the final buffer */
	int cur;			/* the buffer being packed into */
	struct handoff ring;
	pthread_t thread;
	int started;
	uint64_t flushed;		/* bytes handed over before buf[cur] */
	size_t nfields;
	uint64_t records;
	unsigned char *record_at;	/* the record being packed in place */
	unsigned char *spill;		/* for one too large for a buffer */
	size_t spill_cap;
	int error;			/* first errno of a failed write, sticky;
					   the thread's until it is joined */
	XXH3_state_t *hash;		/* of the records' bytes, or NULL */
	int copies;			/* whether the output takes kernel
					   copies: 0 not tried, 1, -1 */
	unsigned char *back;		/* what they read back, WRITE_BUF */
	struct writebehind *behind;	/* writing the output out, from the
					   first copy on, or NULL */
};

static void *
write_buffers(void *arg)
{
	struct stream_writer *w = arg;

	for (int i = 0;; i = (i + 1) % HANDOFF_SLOTS) {
		int last;

		handoff_take(&w->ring, i);
		if (w->len[i] > 0 && w->error == 0 &&
		    fwrite(w->buf[i], 1, w->len[i], w->out) != w->len[i])
			w->error = errno ? errno : EIO;
		last = w->last[i];
		handoff_release(&w->ring, i, 0);
		if (last)
			return NULL;
	}
}

/* Hands the current buffer to the writing thread and takes the next. */
static void
writer_flush(struct stream_writer *w, int last)
{
	w->flushed += w->len[w->cur];
	w->last[w->cur] = last;
	handoff_publish(&w->ring, w->cur);
	w->cur = (w->cur + 1) % HANDOFF_SLOTS;
	if (!last) {
		handoff_claim(&w->ring, w->cur);
		w->len[w->cur] = 0;
	}
}

/* msgpack's write callback: copies into the current buffer. */
static int
writer_append(void *data, const char *p, size_t n)
{
	struct stream_writer *w = data;

	if (!w->started)
		return 0;	/* no thread to write: the error is already set */
	while (n > 0) {
		size_t room = WRITE_BUF - w->len[w->cur], k = n < room ? n : room;

		memcpy(w->buf[w->cur] + w->len[w->cur], p, k);
		w->len[w->cur] += k;
		p += k;
		n -= k;
		if (w->len[w->cur] == WRITE_BUF)
			writer_flush(w, 0);
	}
	return 0;
}

struct stream_writer *
stream_writer_new(FILE *out)
{
	struct stream_writer *w = xcalloc(1, sizeof(*w));

	w->out = out;
	for (int i = 0; i < HANDOFF_SLOTS; i++)
		w->buf[i] = xmalloc(WRITE_BUF);
	handoff_init(&w->ring);
	msgpack_packer_init(&w->pk, w, writer_append);
	if ((errno = pthread_create(&w->thread, NULL, write_buffers, w)) != 0)
		w->error = errno;
	else
		w->started = 1;
	return w;
}

msgpack_packer *
stream_packer(struct stream_writer *w)
{
	return &w->pk;
}

void
stream_pack_kv_str(msgpack_packer *pk, const char *key, const char *value)
{
	stream_pack_cstr(pk, key);
	if (value != NULL)
		stream_pack_cstr(pk, value);
	else
		msgpack_pack_nil(pk);
}

void
stream_pack_kv_bin(msgpack_packer *pk, const char *key, const void *p,
    size_t len)
{
	stream_pack_cstr(pk, key);
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, p, len);
}

void
stream_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value)
{
	stream_pack_cstr(pk, key);
	msgpack_pack_uint64(pk, value);
}

void
stream_pack_kv_double(msgpack_packer *pk, const char *key, double value)
{
	stream_pack_cstr(pk, key);
	msgpack_pack_double(pk, value);
}

void
stream_pack_kv_bool(msgpack_packer *pk, const char *key, int value)
{
	stream_pack_cstr(pk, key);
	if (value)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void
stream_pack_cstr(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

void
stream_pack_float(msgpack_packer *pk, double v)
{
	unsigned char bytes[PACKBUF_NUMBER];
	struct packbuf b = { bytes };

	packbuf_float(&b, v);
	pk->callback(pk->data, (const char *)bytes, (size_t)(b.p - bytes));
}

void
stream_write_header(struct stream_writer *w, const char *kind, size_t nfields,
    const char *const *fields, const char *const *types, size_t n_extra)
{
	stream_write_header_version(w, 1, kind, nfields, fields, types, n_extra);
}

void
stream_write_header_version(struct stream_writer *w, unsigned version,
    const char *kind, size_t nfields, const char *const *fields,
    const char *const *types, size_t n_extra)
{
	msgpack_packer *pk = &w->pk;

	w->nfields = nfields;
	msgpack_pack_map(pk, 5 + n_extra);
	stream_pack_cstr(pk, "format");
	stream_pack_cstr(pk, STREAM_MAGIC);
	stream_pack_cstr(pk, "version");
	msgpack_pack_uint32(pk, version);
	stream_pack_cstr(pk, "kind");
	stream_pack_cstr(pk, kind);
	stream_pack_cstr(pk, "fields");
	msgpack_pack_array(pk, nfields);
	for (size_t i = 0; i < nfields; i++)
		stream_pack_cstr(pk, fields[i]);
	stream_pack_cstr(pk, "types");
	msgpack_pack_array(pk, nfields);
	for (size_t i = 0; i < nfields; i++)
		stream_pack_cstr(pk, types[i]);
}

void
stream_record_begin(struct stream_writer *w)
{
	msgpack_pack_array(&w->pk, w->nfields);
	w->records++;
}

struct packbuf
stream_record_space(struct stream_writer *w, size_t bound)
{
	struct packbuf b;

	bound += 5;	/* the record's array header */
	if (w->started && bound > WRITE_BUF - w->len[w->cur] && bound <= WRITE_BUF)
		writer_flush(w, 0);
	if (!w->started || bound > WRITE_BUF - w->len[w->cur]) {
		w->spill = xgrow(w->spill, &w->spill_cap, bound, 1);
		b.p = w->spill;
	} else
		b.p = (unsigned char *)w->buf[w->cur] + w->len[w->cur];
	w->record_at = b.p;
	packbuf_pack_array(&b, w->nfields);
	w->records++;
	return b;
}

void
stream_record_done(struct stream_writer *w, const struct packbuf *b)
{
	size_t n = (size_t)(b->p - w->record_at);

	if (w->hash != NULL)
		XXH3_64bits_update(w->hash, w->record_at, n);
	if (w->record_at == w->spill)
		writer_append(w, (const char *)w->spill, n);
	else
		w->len[w->cur] += n;
}

uint64_t
stream_writer_offset(const struct stream_writer *w)
{
	return w->flushed + w->len[w->cur];
}

void
stream_write_record(struct stream_writer *w, const void *bytes, size_t n)
{
	stream_write_records(w, bytes, n, 1);
}

void
stream_write_records(struct stream_writer *w, const void *bytes, size_t n,
    uint64_t records)
{
	if (w->hash != NULL)
		XXH3_64bits_update(w->hash, bytes, n);
	w->records += records;
	writer_append(w, bytes, n);
}

/* Whether out is a regular file that can be read back. */
static int
can_read_back(int out)
{
	struct stat st;
	char c;

	return fstat(out, &st) == 0 && S_ISREG(st.st_mode) &&
	    pread(out, &c, 0, 0) == 0;
}

/* Hashes the output's len bytes at from, as written. */
static int
hash_back(struct stream_writer *w, int out, off_t from, uint64_t len,
    XXH3_state_t *also)
{
	/* One buffer for all the copies: a fresh 1 MiB each time is fresh
	   pages to zero. */
	unsigned char *buf;

	if (w->back == NULL)
		w->back = xmalloc(WRITE_BUF);
	buf = w->back;
	while (len > 0) {
		size_t want = len < WRITE_BUF ? (size_t)len : WRITE_BUF;
		ssize_t n = pread(out, buf, want, from);

		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* what was written is gone */
			return -1;
		}
		if (w->hash != NULL)
			XXH3_64bits_update(w->hash, buf, (size_t)n);
		if (also != NULL)
			XXH3_64bits_update(also, buf, (size_t)n);
		from += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* A failed copy: the output's failure is the stream's, as a failed write
   is; a file that ended early (ENODATA) is the caller's to report. */
static int
copy_failed(struct stream_writer *w)
{
	if (errno != ENODATA && w->error == 0)
		w->error = errno ? errno : EIO;
	return -1;
}

int
stream_copy_records(struct stream_writer *w, int fd, uint64_t offset,
    uint64_t len, uint64_t records, XXH3_state_t *also)
{
	int out = fileno(w->out), published = w->cur;
	off_t in = (off_t)offset, start;

	if (w->copies == 0)
		w->copies = can_read_back(out) ? 1 : -1;
	if (w->copies < 0 || !w->started)
		return 1;
	/* Everything packed so far goes before the copy: hand it over and
	   wait until the thread has written it. */
	writer_flush(w, 0);
	handoff_claim(&w->ring, published);
	if (w->error != 0) {
		errno = w->error;
		return -1;
	}
	if (fflush(w->out) != 0 || (start = lseek(out, 0, SEEK_CUR)) < 0)
		return copy_failed(w);
	for (uint64_t left = len; left > 0;) {
		ssize_t n = copy_file_range(fd, &in, out, NULL, (size_t)left,
		    0);

		/* A file system or output that takes no such copy: before
		   anything is copied, the caller writes the bytes itself. */
		if (n < 0 && left == len && (errno == EXDEV ||
		    errno == EINVAL || errno == ENOSYS ||
		    errno == EOPNOTSUPP)) {
			w->copies = -1;
			return 1;
		}
		if (n <= 0) {
			if (n == 0)
				errno = ENODATA;
			return copy_failed(w);
		}
		left -= (uint64_t)n;
	}
	/* The stream's own idea of where it is, for what it writes next. */
	if (fseeko(w->out, 0, SEEK_END) != 0 ||
	    hash_back(w, out, start, len, also) < 0)
		return copy_failed(w);
	w->flushed += len;
	w->records += records;
	/* The copying leaves a core idle: the output is written out there,
	   not all at once at its rename. From a copy that worked only: a
	   file system that takes none is written as any output is. */
	if (w->behind == NULL)
		w->behind = writebehind_new(out);
	if (w->behind != NULL)
		writebehind_upto(w->behind, start + (off_t)len);
	return 0;
}

void
stream_write_raw(struct stream_writer *w, const void *bytes, size_t n)
{
	writer_append(w, bytes, n);
}

void
stream_trailer_begin(struct stream_writer *w, size_t n_extra)
{
	msgpack_pack_map(&w->pk, 1 + (w->hash != NULL) + n_extra);
	stream_pack_cstr(&w->pk, "records");
	msgpack_pack_uint64(&w->pk, w->records);
	if (w->hash != NULL) {
		char fp[STREAM_FINGERPRINT_LEN];

		stream_fingerprint_format(w->hash, fp);
		stream_pack_cstr(&w->pk, "fingerprint");
		stream_pack_cstr(&w->pk, fp);
		XXH3_freeState(w->hash);
		w->hash = NULL;
	}
}

void
stream_fingerprint_format(XXH3_state_t *h, char fp[STREAM_FINGERPRINT_LEN])
{
	snprintf(fp, STREAM_FINGERPRINT_LEN, "xxh3-64:%016llx",
	    (unsigned long long)XXH3_64bits_digest(h));
}

void
stream_writer_fingerprint(struct stream_writer *w)
{
	if ((w->hash = XXH3_createState()) == NULL)
		xalloc_failed();
	XXH3_64bits_reset(w->hash);
}

int
stream_writer_finish(struct stream_writer *w)
{
	stream_trailer_begin(w, 0);
	return stream_writer_close(w);
}

int
stream_writer_close(struct stream_writer *w)
{
	int error;

	if (w->started) {
		writer_flush(w, 1);
		pthread_join(w->thread, NULL);
	}
	if (w->behind != NULL)
		writebehind_free(w->behind);
	error = w->error;
	for (int i = 0; i < HANDOFF_SLOTS; i++)
		free(w->buf[i]);
	free(w->spill);
	free(w->back);
	handoff_destroy(&w->ring);
	free(w);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

void
stream_pack_id(msgpack_packer *pk, const struct id *id)
{
	unsigned char bytes[PACKBUF_NUMBER];
	struct packbuf b = { bytes };

	if (id->is_str) {	/* the header, then the bytes where they are */
		packbuf_pack_str(&b, id->len);
		pk->callback(pk->data, (const char *)bytes, (size_t)(b.p - bytes));
		pk->callback(pk->data, id->str, id->len);
		return;
	}
	packbuf_id(&b, id);
	pk->callback(pk->data, (const char *)bytes, (size_t)(b.p - bytes));
}

void
stream_id_object(const struct id *id, msgpack_object *o)
{
	if (id->is_str) {
		o->type = MSGPACK_OBJECT_STR;
		o->via.str.ptr = id->str;
		o->via.str.size = id->len;
	} else {
		o->type = id->num < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER :
		    MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.i64 = id->num;
	}
}

int
stream_get_id(const msgpack_object *o, struct id *id)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return -1;
		/* FALLTHROUGH */
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		id->is_str = 0;
		id->num = o->via.i64;
		id->str = NULL;
		id->len = 0;
		return 0;
	case MSGPACK_OBJECT_STR:
		id->is_str = 1;
		id->num = 0;
		/* msgpack-c may give an empty string no pointer, and the
		   bytes of an id are copied and compared with mem*(). */
		id->str = o->via.str.size > 0 ? o->via.str.ptr : "";
		id->len = o->via.str.size;
		return 0;
	default:
		return -1;
	}
}

static int64_t
created_ms(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int64_t v;

	if (sde != NULL && cli_parse_int(sde, 0, INT64_MAX / 1000, &v) == 0)
		return v * 1000;
	return (int64_t)time(NULL) * 1000;
}

void
stream_pack_provenance(msgpack_packer *pk, const char *tool, const char *source)
{
	char buf[TIME_ISO_LEN];

	stream_pack_cstr(pk, "tool");
	stream_pack_cstr(pk, tool);
	stream_pack_cstr(pk, "tool_version");
	stream_pack_cstr(pk, AUD_VERSION);
	stream_pack_cstr(pk, "source");
	stream_pack_cstr(pk, source);
	stream_pack_cstr(pk, "created");
	stream_pack_cstr(pk, time_format_iso(created_ms(), buf));
}

int
mp_str_equals(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	    memcmp(o->via.str.ptr, s, n) == 0;
}

int
mp_get_int64(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
		*v = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*v = o->via.i64;
	else
		return -1;
	return 0;
}

/* The value under key in map (which may be NULL) when it is of type t. */
static const msgpack_object *
map_typed(const msgpack_object *map, const char *key, msgpack_object_type t)
{
	const msgpack_object *o = map != NULL ? mp_map_get(map, key) : NULL;

	return o != NULL && o->type == t ? o : NULL;
}

int
mp_map_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o = map_typed(map, key,
	    MSGPACK_OBJECT_POSITIVE_INTEGER);

	if (o == NULL)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
mp_map_bool(const msgpack_object *map, const char *key, int *v)
{
	const msgpack_object *o = map_typed(map, key, MSGPACK_OBJECT_BOOLEAN);

	if (o == NULL)
		return -1;
	*v = o->via.boolean;
	return 0;
}

int
mp_ids_and_floats(const msgpack_object *ids, const msgpack_object *values)
{
	struct id id;

	if (ids->type != MSGPACK_OBJECT_ARRAY || values->type != MSGPACK_OBJECT_ARRAY ||
	    ids->via.array.size != values->via.array.size)
		return 0;
	for (uint32_t i = 0; i < ids->via.array.size; i++)
		if (stream_get_id(&ids->via.array.ptr[i], &id) < 0 ||
		    (values->via.array.ptr[i].type != MSGPACK_OBJECT_FLOAT64 &&
		    values->via.array.ptr[i].type != MSGPACK_OBJECT_FLOAT32))
			return 0;
	return 1;
}

const msgpack_object *
mp_map_get(const msgpack_object *o, const char *key)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++)
		if (mp_str_equals(&o->via.map.ptr[i].key, key))
			return &o->via.map.ptr[i].val;
	return NULL;
}

struct stream_reader {
	FILE *in;
	char *name;
	msgpack_unpacker up;
	struct mpscan_walk walk;	/* over the next object's bytes so far */
	msgpack_unpacked header;	/* kept for the reader's life */
	msgpack_object current;		/* the record being handed out, in the
					   unpacker's own zone or in flat */
	msgpack_object *flat;		/* values of a record mpscan decoded */
	msgpack_object *many, *many_flat;	/* stream_read_many's records */
	size_t many_cap;		/* and their values, this many */
	uint64_t offset;		/* where the next object starts */
	uint64_t record_offset;		/* where the current record started */
	uint64_t records_start;		/* where the first did */
	uint64_t records;
	uint64_t trailer_records;	/* what the trailer counts */
	int part;			/* see stream_reader_part */
	int at_eof, done;
	char fingerprint[STREAM_FINGERPRINT_LEN];	/* the trailer's, or "" */
	XXH3_state_t *hash;		/* of the records' bytes read so far, */
	uint64_t hashed_to;		/* up to this offset; NULL once done */
	const unsigned char *raw;	/* the current record's bytes, when */
	size_t raw_len;			/* decoded in place; else NULL */
	char *kind;
	size_t nfields;
	char **fields, **types;
};

static void
fail(const struct stream_reader *r, uint64_t at, char *err, size_t errlen,
    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: byte %llu: %s", r->name,
	    (unsigned long long)at, what);
}

/*
 * Hashes the records' bytes consumed since the last call, up to offset to,
 * while the unpacker's buffer still holds them: whole chunks at a time,
 * not a call a record. The consumed bytes end at the buffer's off, which
 * is r->offset in the stream.
 */
static void
hash_consumed(struct stream_reader *r, uint64_t to)
{
	const char *end;

	if (r->hash == NULL || to <= r->hashed_to)
		return;
	end = r->up.buffer + r->up.off - (r->offset - to);
	XXH3_64bits_update(r->hash, end - (to - r->hashed_to),
	    (size_t)(to - r->hashed_to));
	r->hashed_to = to;
}

/*
 * Reads another chunk into the unpacker's buffer, which holds have bytes
 * not parsed yet; at the end of input sets r->at_eof instead. Returns 0, or
 * -1 with err filled.
 */
static int
read_more(struct stream_reader *r, size_t have, char *err, size_t errlen)
{
	size_t n;

	if (r->at_eof)
		return 0;
	hash_consumed(r, r->offset);	/* the reserve may drop them */
	if (!msgpack_unpacker_reserve_buffer(&r->up, READ_CHUNK)) {
		fail(r, r->offset + have, err, errlen, "out of memory");
		return -1;
	}
	n = fread(msgpack_unpacker_buffer(&r->up), 1, READ_CHUNK, r->in);
	if (n < READ_CHUNK) {
		if (ferror(r->in)) {
			snprintf(err, errlen, "%s: read error: %s", r->name,
			    strerror(errno));
			return -1;
		}
		r->at_eof = 1;
	}
	msgpack_unpacker_buffer_consumed(&r->up, n);
	return 0;
}

/*
 * Parses the next object. The header goes into keep, an msgpack_unpacked
 * with a zone of its own that lives as long as the reader. Records (keep is
 * NULL) go into r->current, built in the unpacker's zone, which is cleared
 * before each record: one zone for the whole stream instead of an
 * allocation per record. Returns 1, 0 at a clean end of input (no partial
 * object pending), or -1 with err filled. msgpack-c's parse error is
 * sticky, so every outcome is compared explicitly and errors end the
 * stream for good.
 */
static int
next_object(struct stream_reader *r, msgpack_unpacked *keep, char *err,
    size_t errlen)
{
	/* msgpack-c 4 creates the unpacker's zone lazily: it may be NULL. */
	if (keep == NULL && r->up.z != NULL)
		msgpack_unpacker_reset_zone(&r->up);
	for (;;) {
		size_t used = 0, have = r->up.used - r->up.off;
		msgpack_unpack_return ret;
		int whole = mpscan_walk(&r->walk,
		    (const unsigned char *)r->up.buffer + r->up.off, have);

		if (whole < 0) {
			fail(r, r->offset, err, errlen, "garbled data (not msgpack)");
			return -1;
		}
		if (whole == 0) {	/* msgpack-c sees whole objects only */
			if (read_more(r, have, err, errlen) < 0)
				return -1;
			if (r->at_eof && r->up.used - r->up.off == have) {
				if (have == 0)
					return 0;
				fail(r, r->offset, err, errlen,
				    "truncated: input ends inside an object");
				return -1;
			}
			continue;
		}
		memset(&r->walk, 0, sizeof(r->walk));
		if (keep != NULL)
			ret = msgpack_unpacker_next_with_size(&r->up, keep, &used);
		else {
			int got = msgpack_unpacker_execute(&r->up);

			ret = got > 0 ? MSGPACK_UNPACK_SUCCESS : got == 0 ?
			    MSGPACK_UNPACK_CONTINUE : (msgpack_unpack_return)got;
			if (got > 0) {
				r->current = msgpack_unpacker_data(&r->up);
				used = msgpack_unpacker_parsed_size(&r->up);
				msgpack_unpacker_reset(&r->up);
			}
		}
		if (ret == MSGPACK_UNPACK_SUCCESS) {
			r->offset += used;
			return 1;
		}
		if (ret == MSGPACK_UNPACK_PARSE_ERROR) {
			fail(r, r->offset, err, errlen, "garbled data (not msgpack)");
			return -1;
		}
		if (ret == MSGPACK_UNPACK_NOMEM_ERROR) {
			fail(r, r->offset, err, errlen,
			    "garbled data (an object too large to hold)");
			return -1;
		}
		/* A whole object that msgpack-c cannot finish: not msgpack. */
		fail(r, r->offset, err, errlen, "garbled data (not msgpack)");
		return -1;
	}
}

static char *
copy_str(const msgpack_object *o)
{
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

/* Checks header h and takes r's kind, fields and types from it. */
static int
check_header(struct stream_reader *r, const msgpack_object *h, char *err,
    size_t errlen)
{
	const msgpack_object *v, *fields, *types;

	if (h->type != MSGPACK_OBJECT_MAP ||
	    (v = mp_map_get(h, "format")) == NULL || !mp_str_equals(v, STREAM_MAGIC)) {
		snprintf(err, errlen, "%s: not an aud stream (no header)", r->name);
		return -1;
	}
	v = mp_map_get(h, "version");
	if (v == NULL || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(err, errlen, "%s: stream header has no format version",
		    r->name);
		return -1;
	}
	if (v->via.u64 > STREAM_VERSION) {
		snprintf(err, errlen, "%s: stream format version %llu is newer "
		    "than this aud understands (%d)", r->name,
		    (unsigned long long)v->via.u64, STREAM_VERSION);
		return -1;
	}
	v = mp_map_get(h, "kind");
	fields = mp_map_get(h, "fields");
	types = mp_map_get(h, "types");
	if (v == NULL || v->type != MSGPACK_OBJECT_STR || fields == NULL ||
	    types == NULL || fields->type != MSGPACK_OBJECT_ARRAY ||
	    types->type != MSGPACK_OBJECT_ARRAY ||
	    fields->via.array.size != types->via.array.size ||
	    fields->via.array.size == 0) {
		snprintf(err, errlen, "%s: stream header lacks a kind or its "
		    "fields and types", r->name);
		return -1;
	}
	for (uint32_t i = 0; i < fields->via.array.size; i++)
		if (fields->via.array.ptr[i].type != MSGPACK_OBJECT_STR ||
		    types->via.array.ptr[i].type != MSGPACK_OBJECT_STR) {
			snprintf(err, errlen, "%s: stream header has a field "
			    "name or type that is not a string", r->name);
			return -1;
		}
	r->kind = copy_str(v);
	r->nfields = fields->via.array.size;
	r->fields = xcalloc(r->nfields, sizeof(*r->fields));
	r->types = xcalloc(r->nfields, sizeof(*r->types));
	r->flat = xcalloc(r->nfields, sizeof(*r->flat));
	for (size_t i = 0; i < r->nfields; i++) {
		r->fields[i] = copy_str(&fields->via.array.ptr[i]);
		r->types[i] = copy_str(&types->via.array.ptr[i]);
	}
	return 0;
}

struct stream_reader *
stream_reader_open(FILE *in, const char *name, char *err, size_t errlen)
{
	struct stream_reader *r = xcalloc(1, sizeof(*r));
	const char *shown = strcmp(name, "-") == 0 ? "stdin" : name;
	int ret;

	r->in = in;
	r->name = xstrndup(shown, strlen(shown));
	if (!msgpack_unpacker_init(&r->up, READ_CHUNK)) {
		snprintf(err, errlen, "%s: out of memory", r->name);
		stream_reader_free(r);
		return NULL;
	}
	msgpack_unpacked_init(&r->header);
	ret = next_object(r, &r->header, err, errlen);
	if (ret == 0)
		snprintf(err, errlen, "%s: empty input, not an aud stream", r->name);
	if (ret == -1 && r->offset == 0)
		snprintf(err, errlen, "%s: not an aud stream (no header)", r->name);
	if (ret != 1 || check_header(r, &r->header.data, err, errlen) < 0) {
		stream_reader_free(r);
		return NULL;
	}
	if ((r->hash = XXH3_createState()) == NULL)
		xalloc_failed();
	XXH3_64bits_reset(r->hash);
	r->hashed_to = r->offset;
	r->records_start = r->offset;
	return r;
}

struct stream_reader *
stream_reader_part(const struct stream_reader *r, FILE *in, uint64_t offset,
    char *err, size_t errlen)
{
	struct stream_reader *p = xcalloc(1, sizeof(*p));

	p->in = in;
	p->name = xstrndup(r->name, strlen(r->name));
	p->part = 1;
	msgpack_unpacked_init(&p->header);
	if (!msgpack_unpacker_init(&p->up, READ_CHUNK)) {
		snprintf(err, errlen, "%s: out of memory", p->name);
		stream_reader_free(p);
		return NULL;
	}
	if (fseeko(in, (off_t)offset, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", p->name, strerror(errno));
		stream_reader_free(p);
		return NULL;
	}
	p->offset = offset;
	/* r's header passed this check: it takes the same fields. */
	if (check_header(p, &r->header.data, err, errlen) < 0) {
		stream_reader_free(p);
		return NULL;
	}
	return p;
}

void
stream_reader_first_part(struct stream_reader *r)
{
	r->part = 1;
	if (r->hash != NULL)
		XXH3_freeState(r->hash);
	r->hash = NULL;
}

void
stream_reader_free(struct stream_reader *r)
{
	if (r == NULL)
		return;
	if (r->hash != NULL)
		XXH3_freeState(r->hash);
	msgpack_unpacked_destroy(&r->header);
	msgpack_unpacker_destroy(&r->up);
	for (size_t i = 0; i < r->nfields; i++) {
		free(r->fields[i]);
		free(r->types[i]);
	}
	free(r->fields);
	free(r->types);
	free(r->flat);
	free(r->many);
	free(r->many_flat);
	free(r->kind);
	free(r->name);
	free(r);
}

const msgpack_object *
stream_header(const struct stream_reader *r)
{
	return &r->header.data;
}

const msgpack_object *
stream_header_get(const struct stream_reader *r, const char *key)
{
	return mp_map_get(&r->header.data, key);
}

size_t
stream_nfields(const struct stream_reader *r)
{
	return r->nfields;
}

const char *
stream_field(const struct stream_reader *r, size_t i)
{
	return r->fields[i];
}

const char *
stream_type(const struct stream_reader *r, size_t i)
{
	return r->types[i];
}

int
stream_field_index(const struct stream_reader *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i], name) == 0)
			return (int)i;
	return -1;
}

int
stream_expect_kind(const struct stream_reader *r, const char *kind, char *err,
    size_t errlen)
{
	if (strcmp(r->kind, kind) == 0)
		return 0;
	snprintf(err, errlen, "%s: a stream of %s, expected %s", r->name,
	    r->kind, kind);
	return -1;
}

const unsigned char *
stream_record_bytes(const struct stream_reader *r, size_t *len)
{
	*len = r->raw_len;
	return r->raw;
}

uint64_t
stream_offset(const struct stream_reader *r)
{
	return r->record_offset;
}

uint64_t
stream_records_start(const struct stream_reader *r)
{
	return r->records_start;
}

uint64_t
stream_records_left_bound(const struct stream_reader *r)
{
	struct stat st;

	if (fstat(fileno(r->in), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < r->offset)
		return (uint64_t)1 << 24;
	return ((uint64_t)st.st_size - r->offset) / (r->nfields + 1);
}

const char *
stream_name(const struct stream_reader *r)
{
	return r->name;
}

int
stream_check_count(const struct stream_reader *r, uint64_t records,
    char *err, size_t errlen)
{
	if (r->trailer_records == records)
		return 0;
	fail(r, r->record_offset, err, errlen, "stream trailer counts %llu "
	    "records, the stream holds %llu",
	    (unsigned long long)r->trailer_records,
	    (unsigned long long)records);
	return -1;
}

/* Checks the trailer and that nothing follows it. */
static int
finish(struct stream_reader *r, char *err, size_t errlen)
{
	const msgpack_object *n = mp_map_get(&r->current, "records"), *fp;
	uint64_t at;
	int ret;

	if (n == NULL || n->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		fail(r, r->record_offset, err, errlen,
		    "stream trailer has no record count");
		return -1;
	}
	r->trailer_records = n->via.u64;
	if (!r->part && stream_check_count(r, r->records, err, errlen) < 0)
		return -1;
	fp = mp_map_get(&r->current, "fingerprint");
	if (fp != NULL && fp->type == MSGPACK_OBJECT_STR &&
	    fp->via.str.size < sizeof(r->fingerprint)) {
		memcpy(r->fingerprint, fp->via.str.ptr, fp->via.str.size);
		r->fingerprint[fp->via.str.size] = '\0';
	}
	/* A fingerprint names the records' bytes: bytes changed since they
	   were written (a flipped bit still makes msgpack) must not pass. */
	hash_consumed(r, r->record_offset);
	if (fp != NULL && !r->part) {
		char got[STREAM_FINGERPRINT_LEN];

		stream_fingerprint_format(r->hash, got);
		if (strcmp(got, r->fingerprint) != 0) {
			fail(r, r->record_offset, err, errlen, "the records do "
			    "not match the trailer's fingerprint (the stream "
			    "is corrupt)");
			return -1;
		}
	}
	XXH3_freeState(r->hash);
	r->hash = NULL;
	at = r->offset;
	ret = next_object(r, NULL, err, errlen);
	if (ret == 1) {
		fail(r, at, err, errlen, "data after the end of the stream");
		return -1;
	}
	if (ret < 0)
		return -1;
	r->done = 1;
	return 0;
}

const char *
stream_fingerprint(const struct stream_reader *r)
{
	return r->done && r->fingerprint[0] != '\0' ? r->fingerprint : NULL;
}

/*
 * The next record, when it is whole in the buffer and msgpack-c holds no
 * part of an object, decoded in place into values and the array rec:
 * 1, or 0 when it has to go through msgpack-c.
 */
static int
read_in_place(struct stream_reader *r, msgpack_object *values,
    msgpack_object *rec)
{
	const unsigned char *at = (const unsigned char *)r->up.buffer +
	    r->up.off;
	size_t n;

	if (r->up.parsed != 0 || (n = mpscan_record(at,
	    r->up.used - r->up.off, values, r->nfields)) == 0)
		return 0;
	r->record_offset = r->offset;
	r->raw = at;
	r->raw_len = n;
	r->up.off += n;
	r->offset += n;
	r->records++;
	rec->type = MSGPACK_OBJECT_ARRAY;
	rec->via.array.size = (uint32_t)r->nfields;
	rec->via.array.ptr = values;
	return 1;
}

int
stream_read_many(struct stream_reader *r, const msgpack_object **rec,
    uint64_t *at, size_t max, char *err, size_t errlen)
{
	size_t n = 0;
	int ret;

	if (r->done || max == 0)
		return 0;
	if (r->many_cap < max) {
		r->many = xrealloc(r->many, max * sizeof(*r->many));
		r->many_flat = xrealloc(r->many_flat,
		    (max * r->nfields + 1) * sizeof(*r->many_flat));
		r->many_cap = max;
	}
	/* Records whole in the buffer decode in place, each into values of
	   its own; the buffer moves only when it is filled again. */
	while (n < max && read_in_place(r, r->many_flat + n * r->nfields,
	    &r->many[n])) {
		rec[n] = &r->many[n];
		at[n++] = r->record_offset;
	}
	if (n > 0)
		return (int)n;
	ret = stream_read(r, rec, err, errlen);
	at[0] = r->record_offset;
	return ret;
}

int
stream_read(struct stream_reader *r, const msgpack_object **rec, char *err,
    size_t errlen)
{
	int ret;

	if (r->done)
		return 0;
	if (read_in_place(r, r->flat, &r->current)) {
		*rec = &r->current;
		return 1;
	}
	r->record_offset = r->offset;
	r->raw = NULL;
	ret = next_object(r, NULL, err, errlen);
	if (ret == 0) {
		fail(r, r->offset, err, errlen, "truncated: the stream ends "
		    "without its trailer after %llu records",
		    (unsigned long long)r->records);
		return -1;
	}
	if (ret < 0)
		return -1;
	if (r->current.type == MSGPACK_OBJECT_MAP)
		return finish(r, err, errlen) < 0 ? -1 : 0;
	if (r->current.type != MSGPACK_OBJECT_ARRAY ||
	    r->current.via.array.size != r->nfields) {
		fail(r, r->record_offset, err, errlen, "malformed record: not an "
		    "array of %zu fields", r->nfields);
		return -1;
	}
	r->records++;
	*rec = &r->current;
	return 1;
}
