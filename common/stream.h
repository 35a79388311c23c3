/*
 * Record streams, the format every aud tool reads and writes (man 5
 * aud-stream): one msgpack map, the header; one msgpack array per record;
 * one msgpack map, the trailer, holding the record count. The trailer lets a
 * reader tell a complete stream from one cut at a record boundary.
 *
 * Ownership: the reader owns the header for its whole life and owns the
 * current record only until the next stream_read(); a tool that keeps any
 * part of a record (a string, say) must copy it.
 */
#ifndef AUD_STREAM_H
#define AUD_STREAM_H

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>

#include <xxhash.h>

#include "packbuf.h"

#define STREAM_MAGIC "aud-stream"
/*
 * The newest format version this aud reads. Streams are written as version
 * 1, except models whose records carry their own customers (version 2, so
 * that an older reader refuses them in one clear line), whose records
 * also carry categories (version 3, for the same reason), their buyers'
 * engagement scores (version 4) and now what the fallback order gave as
 * places in the header's ranking (version 5).
 */
#define STREAM_VERSION 5

/* Writing. */

struct stream_writer;

struct stream_writer *stream_writer_new(FILE *out);

/* The packer to pack header entries and record fields with. */
msgpack_packer *stream_packer(struct stream_writer *w);

/*
 * Packs the header's own entries (format, version, kind, fields, types) and
 * opens the map for n_extra more key/value pairs that the caller packs next.
 */
void stream_write_header_version(struct stream_writer *w, unsigned version,
    const char *kind, size_t nfields, const char *const *fields,
    const char *const *types, size_t n_extra);
/* The same for version 1. */
void stream_write_header(struct stream_writer *w, const char *kind,
    size_t nfields, const char *const *fields, const char *const *types,
    size_t n_extra);

/* Opens a record: the caller then packs exactly nfields values. */
void stream_record_begin(struct stream_writer *w);

/*
 * The same for the hot loops (see packbuf.h): opens a record in place, with
 * room for bound bytes of values, which the caller packs into the packbuf
 * returned, then closes with stream_record_done().
 */
struct packbuf stream_record_space(struct stream_writer *w, size_t bound);
void stream_record_done(struct stream_writer *w, const struct packbuf *b);

/*
 * Packs the trailer, writes all that is buffered and frees w. Returns 0, or
 * -1 with errno set when any write failed.
 */
int stream_writer_finish(struct stream_writer *w);

/*
 * For streams that carry more in their trailer (a model's index): opens the
 * trailer map with n_extra entries after "records", which the caller packs,
 * then stream_writer_close() writes all out and frees w, as above.
 */
void stream_trailer_begin(struct stream_writer *w, size_t n_extra);
int stream_writer_close(struct stream_writer *w);

/*
 * Makes the writer hash the bytes of every record packed in place
 * (stream_record_space) with XXH3-64 and put the result in the trailer as
 * "fingerprint": "xxh3-64:<16 hex digits>", the identity of the content that
 * streams made from this one record. Call before the first record.
 */
void stream_writer_fingerprint(struct stream_writer *w);
#define STREAM_FINGERPRINT_LEN 32	/* with its NUL */
/* The fingerprint of the bytes h has hashed, as a trailer names it. */
void stream_fingerprint_format(XXH3_state_t *h,
    char fp[STREAM_FINGERPRINT_LEN]);

/* The byte offset in the stream of what is packed next. */
uint64_t stream_writer_offset(const struct stream_writer *w);

/* Appends a whole record packed elsewhere: its array header and fields. */
void stream_write_record(struct stream_writer *w, const void *bytes, size_t n);
/* The same for n bytes that hold records records, as they are. */
void stream_write_records(struct stream_writer *w, const void *bytes, size_t n,
    uint64_t records);

/*
 * The same for len bytes holding records records at offset in the file open
 * as fd, copied by the kernel (copy_file_range(2)) without passing through
 * the writer. They are then read back from the output and hashed into the
 * fingerprint and into also (when not NULL): what is hashed is what was
 * written. Returns 0; 1 when the output cannot take such a copy (not a
 * regular file that can be read back, or a file system that copies no
 * bytes this way), having done nothing, for the caller to write the bytes
 * itself; -1 with errno set when the copy or a write fails (as a failed
 * write, the stream fails then), ENODATA when the file ends before len
 * bytes.
 */
int stream_copy_records(struct stream_writer *w, int fd, uint64_t offset,
    uint64_t len, uint64_t records, XXH3_state_t *also);

/* Appends bytes that are already msgpack (a fixed-width integer, say). */
void stream_write_raw(struct stream_writer *w, const void *bytes, size_t n);

void stream_pack_cstr(msgpack_packer *pk, const char *s);

/* A map entry: the key, then the value (a NULL string packs nil). */
void stream_pack_kv_str(msgpack_packer *pk, const char *key, const char *value);
void stream_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value);
void stream_pack_kv_double(msgpack_packer *pk, const char *key, double value);
void stream_pack_kv_bool(msgpack_packer *pk, const char *key, int value);
void stream_pack_kv_bin(msgpack_packer *pk, const char *key, const void *p,
    size_t len);

/* Packs a "float" value as packbuf_float() does (see packbuf.h). */
void stream_pack_float(msgpack_packer *pk, double v);

/* Reading. */

struct stream_reader;

/*
 * Reads and checks the header of the stream on in; name is used in messages
 * ("-" is shown as "stdin"). Returns NULL and fills err on failure.
 */
struct stream_reader *stream_reader_open(FILE *in, const char *name, char *err,
    size_t errlen);
void stream_reader_free(struct stream_reader *r);

/*
 * A reader of r's stream from offset on, on in (the same file opened again),
 * to read a stream in parts at once: offset must be where a record starts,
 * which the part before it can check (stream_offset). At the trailer, the
 * part's reader checks neither the record count nor the fingerprint, which
 * cover all the parts: stream_check_count() is for the caller, and the
 * fingerprint it gives is the trailer's word. Returns NULL and fills err on
 * failure.
 */
struct stream_reader *stream_reader_part(const struct stream_reader *r,
    FILE *in, uint64_t offset, char *err, size_t errlen);
/* Makes r, reading from the first record, the first part: it no longer
   hashes the records, which only the whole stream's fingerprint covers. */
void stream_reader_first_part(struct stream_reader *r);
/* Once at the trailer: 0 when it counts records, else -1 with err filled. */
int stream_check_count(const struct stream_reader *r, uint64_t records,
    char *err, size_t errlen);

const msgpack_object *stream_header(const struct stream_reader *r);
/* The value under key in the header map, or NULL. */
const msgpack_object *stream_header_get(const struct stream_reader *r,
    const char *key);
size_t stream_nfields(const struct stream_reader *r);
/* Field i's name and type, NUL-terminated copies owned by the reader. */
const char *stream_field(const struct stream_reader *r, size_t i);
const char *stream_type(const struct stream_reader *r, size_t i);
/* The index of the field called name, or -1. */
int stream_field_index(const struct stream_reader *r, const char *name);

/* Fails, filling err, unless the stream is of the given kind. */
int stream_expect_kind(const struct stream_reader *r, const char *kind,
    char *err, size_t errlen);

/*
 * Reads the next record into *rec (an array of stream_nfields() values).
 * Returns 1 for a record, 0 at the verified end of the stream, -1 on a
 * truncated, garbled or malformed stream, with err naming the byte offset.
 */
int stream_read(struct stream_reader *r, const msgpack_object **rec,
    char *err, size_t errlen);

/*
 * Reads up to max records at once, as stream_read() one by one would:
 * rec[i] and its byte offset at[i], all valid until the next read. Returns
 * how many (at least 1), 0 at the verified end, -1 as stream_read(). A
 * caller that looks each record up in tables large enough to miss the
 * cache can fetch ahead for a run of them.
 */
int stream_read_many(struct stream_reader *r, const msgpack_object **rec,
    uint64_t *at, size_t max, char *err, size_t errlen);

/*
 * How many records the rest of the input can hold at most (each takes a
 * byte per field and one more), to bound what a reader reserves on the word
 * of a header: the bytes left in a regular file, 2^24 records from a pipe.
 */
uint64_t stream_records_left_bound(const struct stream_reader *r);

/* The trailer's fingerprint, once stream_read() has reached the end; NULL
   before, or when the stream has none (unchecked by a part's reader). */
const char *stream_fingerprint(const struct stream_reader *r);

/*
 * The bytes of the record stream_read() returned last, to copy it as it is,
 * or NULL when it was not decoded in place (the caller packs it again).
 */
const unsigned char *stream_record_bytes(const struct stream_reader *r,
    size_t *len);

/* Byte offset of the start of the current record (for the caller's errors). */
uint64_t stream_offset(const struct stream_reader *r);
/* Byte offset where the records start, after the header. */
uint64_t stream_records_start(const struct stream_reader *r);
/* The display name of the input ("stdin" for "-"). */
const char *stream_name(const struct stream_reader *r);

/* Ids (type "id"): packed as an integer or a string, as written. */
#include "intern.h"
void stream_pack_id(msgpack_packer *pk, const struct id *id);
/* Reads an id value (borrowing o's string): 0, or -1 if not an int or str. */
int stream_get_id(const msgpack_object *o, struct id *id);

/* The msgpack object of id (a string one borrows id's bytes). */
void stream_id_object(const struct id *id, msgpack_object *o);

/*
 * Provenance: packs the entries every tool records (tool, tool_version,
 * source, created) as 4 key/value pairs of the map the caller has opened.
 * created is the current time, or SOURCE_DATE_EPOCH when that is set, so
 * that output can be reproduced byte for byte.
 */
void stream_pack_provenance(msgpack_packer *pk, const char *tool,
    const char *source);

/* msgpack_object helpers: 1 when o is a str equal to s. */
int mp_str_equals(const msgpack_object *o, const char *s);
/* Value under key in map o, or NULL. */
const msgpack_object *mp_map_get(const msgpack_object *o, const char *key);
/* An integer that fits int64_t into *v: 0, or -1 when o is not one. */
int mp_get_int64(const msgpack_object *o, int64_t *v);
/* The unsigned integer under key in map (which may be NULL) into *v: 0,
   or -1 when there is none. */
int mp_map_uint(const msgpack_object *map, const char *key, uint64_t *v);
/* The same of a boolean, into *v as 0 or 1. */
int mp_map_bool(const msgpack_object *map, const char *key, int *v);
/* 1 when ids and values are arrays of as many ids and floats. */
int mp_ids_and_floats(const msgpack_object *ids, const msgpack_object *values);

#endif
