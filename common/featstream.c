/* Features and products streams; see featstream.h. */
#include "featstream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

static const char *const feature_fields[] = {
	"customer_id", "total_interactions", "unique_products", "total_score",
	"avg_score", "first", "last", "purchase_rate", "days_active",
	"interaction_frequency", "recency_days", "engagement_score",
	"activity_score"
};
static const char *const feature_types[] = {
	"id", "uint", "uint", "float", "float", "time", "time", "float", "uint",
	"float", "uint", "float", "float"
};
#define NFEATURES (sizeof(feature_fields) / sizeof(feature_fields[0]))

/* The return model's columns, after those, when there is one. */
static const char *const return_fields[] = {
	"rfm_frequency", "rfm_recency", "rfm_T", "p_alive", "expected_purchases"
};
#define NRETURN (sizeof(return_fields) / sizeof(return_fields[0]))

/* What the stream was made from: the interactions' fingerprint, or nil. */
static void
pack_made_from(msgpack_packer *pk, const struct interactions *ia)
{
	stream_pack_cstr(pk, "interactions_fingerprint");
	if (ia->fingerprint[0] != '\0')
		stream_pack_cstr(pk, ia->fingerprint);
	else
		msgpack_pack_nil(pk);
}

static void
pack_params(msgpack_packer *pk, const struct interactions *ia,
    const struct feature_params *p, int64_t max_time)
{
	stream_pack_cstr(pk, "params");
	msgpack_pack_map(pk, 4);
	stream_pack_cstr(pk, "event_weights");
	msgpack_pack_map(pk, ia->nevents);
	for (size_t e = 0; e < ia->nevents; e++) {
		stream_pack_cstr(pk, ia->event_names[e]);
		stream_pack_float(pk, p->event_weight[e]);
	}
	stream_pack_cstr(pk, "engagement_weights");
	msgpack_pack_map(pk, NENG);
	for (int k = 0; k < NENG; k++) {
		stream_pack_cstr(pk, engagement_part_name[k]);
		stream_pack_float(pk, p->engagement_weight[k]);
	}
	stream_pack_cstr(pk, "recent_days");
	msgpack_pack_int64(pk, p->recent_days);
	stream_pack_cstr(pk, "max_time");
	msgpack_pack_int64(pk, max_time);
}

/* The fit: its parameters, how it was made, and whether it converged. */
static void
pack_return_model(msgpack_packer *pk, const struct return_scores *rs,
    const struct interactions *ia)
{
	const struct return_fit *f = &rs->fit;
	char end[TIME_ISO_LEN];

	stream_pack_cstr(pk, "return_model");
	msgpack_pack_map(pk, 14);
	stream_pack_kv_str(pk, "model", f->kind == RETURN_MBGNBD ? "mbgnbd" :
	    "bgnbd");
	stream_pack_kv_double(pk, "period_days", rs->params.period_days);
	stream_pack_kv_str(pk, "calibration_end",
	    time_format_iso(rs->params.calibration_end, end));
	stream_pack_kv_double(pk, "horizon", rs->params.horizon);
	stream_pack_kv_uint(pk, "customers", rs->fitted);
	stream_pack_kv_double(pk, "r", f->r);
	stream_pack_kv_double(pk, "alpha", f->alpha);
	stream_pack_kv_double(pk, "a", f->a);
	stream_pack_kv_double(pk, "b", f->b);
	stream_pack_kv_double(pk, "log_likelihood", f->log_likelihood);
	stream_pack_cstr(pk, "standard_errors");	/* nil where undefined */
	msgpack_pack_map(pk, 4);
	for (int i = 0; i < 4; i++) {
		static const char *const name[4] = { "r", "alpha", "a", "b" };

		stream_pack_cstr(pk, name[i]);
		if (isfinite(f->se[i]))
			msgpack_pack_double(pk, f->se[i]);
		else
			msgpack_pack_nil(pk);
	}
	stream_pack_kv_uint(pk, "iterations", (uint64_t)f->iterations);
	stream_pack_kv_bool(pk, "converged", f->converged);
	/* nil: every event */
	stream_pack_kv_str(pk, "return_event", rs->params.event >= 0 ?
	    ia->event_names[rs->params.event] : NULL);
}

/*
 * The return columns depend on a customer's summary alone, and customers
 * share few (tens of thousands at 43M customers): each summary's columns
 * are packed once here, and a customer's are copied. Packing five floats a
 * customer was a third of what the return model added to aud-features.
 */
struct packed_returns {
	unsigned char *bytes;		/* RETURN_BYTES a summary */
	uint8_t *len;			/* of each */
};

#define RETURN_BYTES (NRETURN * PACKBUF_NUMBER)

static void
pack_returns(struct packed_returns *pr, const struct return_scores *rs)
{
	pr->bytes = xmalloc((rs->nunique + 1) * RETURN_BYTES);
	pr->len = xmalloc(rs->nunique + 1);
	for (size_t u = 0; u <= rs->nunique; u++) {	/* the last: just arrived */
		struct packbuf b = { pr->bytes + u * RETURN_BYTES };

		packbuf_float(&b, rs->unique[u].x);
		packbuf_float(&b, rs->unique[u].t_x);
		packbuf_float(&b, rs->unique[u].T);
		packbuf_float(&b, rs->alive[u]);
		packbuf_float(&b, rs->expected[u]);
		pr->len[u] = (uint8_t)(b.p - (pr->bytes + u * RETURN_BYTES));
	}
}

int
features_write(FILE *out, const struct features_source *src)
{
	const struct features *f = src->f;
	const struct interactions *ia = src->ia;
	const struct return_scores *rs = src->returns;
	struct stream_writer *w = stream_writer_new(out);
	msgpack_packer *pk = stream_packer(w);
	const char *fields[NFEATURES + NRETURN], *types[NFEATURES + NRETURN];
	size_t nfields = NFEATURES;
	struct packed_returns pr = { NULL, NULL };

	memcpy(fields, feature_fields, sizeof(feature_fields));
	memcpy(types, feature_types, sizeof(feature_types));
	for (size_t i = 0; rs != NULL && i < NRETURN; i++, nfields++) {
		fields[nfields] = return_fields[i];
		types[nfields] = "float";
	}
	stream_write_header(w, "features", nfields, fields, types, 2);
	pack_params(pk, ia, src->params, f->max_time);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 6 + (rs != NULL));
	stream_pack_provenance(pk, "aud-features", src->name);
	pack_made_from(pk, ia);
	if (rs != NULL)
		pack_return_model(pk, rs, ia);
	stream_pack_cstr(pk, "customers");
	msgpack_pack_uint64(pk, f->present);
	if (rs != NULL)
		pack_returns(&pr, rs);
	for (size_t c = 0; c < f->n; c++) {
		const struct customer_sums *s = &f->sum[c];
		struct packbuf b;
		struct id id;

		if (s->total == 0)
			continue;
		intern_get(ia->customers, (uint32_t)c, &id);
		b = stream_record_space(w, packbuf_id_bound(&id) +
		    (nfields - 1) * PACKBUF_NUMBER);
		packbuf_id(&b, &id);
		packbuf_pack_uint32(&b, s->total);
		packbuf_pack_uint32(&b, s->unique);
		packbuf_float(&b, s->score);
		packbuf_float(&b, features_avg_score(s));
		packbuf_pack_int64(&b, s->first);
		packbuf_pack_int64(&b, s->last);
		packbuf_float(&b, features_purchase_rate(s));
		packbuf_pack_uint32(&b, features_days_active(s));
		packbuf_float(&b, features_frequency(s));
		packbuf_pack_int64(&b, features_recency_days(f, s));
		packbuf_float(&b, f->engagement[c]);
		packbuf_float(&b, f->activity[c]);
		if (rs != NULL) {
			uint32_t u = rs->which[c];

			packbuf_append(&b, pr.bytes + u * RETURN_BYTES, pr.len[u]);
		}
		stream_record_done(w, &b);
	}
	free(pr.bytes);
	free(pr.len);
	return stream_writer_finish(w);
}

static const char *const product_fields[] = {
	"product_id", "customers", "rows", "purchases", "carts", "conversion",
	"popularity", "product_name"
};
static const char *const product_types[] = {
	"id", "uint", "uint", "uint", "uint", "float", "float", "str?"
};
#define NPRODUCT_FIELDS (sizeof(product_fields) / sizeof(product_fields[0]))

int
products_write(FILE *out, const struct interactions *ia,
    const struct product_customers *g, const char *source)
{
	size_t np = intern_count(ia->products);
	uint64_t *rows = xcalloc(np ? np : 1, sizeof(*rows));
	uint64_t *purchases = xcalloc(np ? np : 1, sizeof(*purchases));
	uint64_t *carts = xcalloc(np ? np : 1, sizeof(*carts));
	int purchased = interactions_event(ia, "purchased");
	int cart = interactions_event(ia, "cart");
	struct stream_writer *w = stream_writer_new(out);
	msgpack_packer *pk = stream_packer(w);

	for (size_t i = 0; i < ia->n; i++) {
		rows[ia->product[i]]++;
		purchases[ia->product[i]] += ia->event[i] == purchased;
		carts[ia->product[i]] += ia->event[i] == cart;
	}
	stream_write_header(w, "products", NPRODUCT_FIELDS, product_fields,
	    product_types, 1);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 6);
	stream_pack_provenance(pk, "aud-features", source);
	pack_made_from(pk, ia);
	stream_pack_cstr(pk, "products");
	msgpack_pack_uint64(pk, np);
	for (size_t p = 0; p < np; p++) {
		uint64_t customers = product_customers_count(g, p);
		const char *name = interactions_product_name(ia, p);
		size_t name_len;
		struct packbuf b;
		struct id id;

		intern_get(ia->products, (uint32_t)p, &id);
		name_len = name != NULL ? strlen(name) : 0;
		b = stream_record_space(w, packbuf_id_bound(&id) +
		    (NPRODUCT_FIELDS - 2) * PACKBUF_NUMBER + 5 + name_len);
		packbuf_id(&b, &id);
		packbuf_pack_uint64(&b, customers);
		packbuf_pack_uint64(&b, rows[p]);
		packbuf_pack_uint64(&b, purchases[p]);
		packbuf_pack_uint64(&b, carts[p]);
		packbuf_float(&b, carts[p] ? (double)purchases[p] / carts[p] : 0.0);
		packbuf_float(&b, (double)rows[p] * (1.0 + purchases[p]) /
		    (1.0 + customers));
		if (name != NULL)
			packbuf_str(&b, name, name_len);
		else
			packbuf_pack_nil(&b);
		stream_record_done(w, &b);
	}
	free(rows);
	free(purchases);
	free(carts);
	return stream_writer_finish(w);
}

/* The header's params.event_weights, names and weights, copied into s. */
static void
keep_event_weights(struct scores *s, const struct stream_reader *r)
{
	const msgpack_object *params = stream_header_get(r, "params");
	const msgpack_object *w = params ? mp_map_get(params, "event_weights") : NULL;

	if (w == NULL || w->type != MSGPACK_OBJECT_MAP)
		return;
	s->event = xcalloc(w->via.map.size + 1, sizeof(*s->event));
	s->event_weight = xcalloc(w->via.map.size + 1, sizeof(*s->event_weight));
	for (uint32_t i = 0; i < w->via.map.size; i++) {
		const msgpack_object_kv *kv = &w->via.map.ptr[i];

		if (kv->key.type != MSGPACK_OBJECT_STR ||
		    (kv->val.type != MSGPACK_OBJECT_FLOAT64 &&
		    kv->val.type != MSGPACK_OBJECT_FLOAT32))
			continue;
		s->event[s->nevents] = xstrndup(kv->key.via.str.ptr,
		    kv->key.via.str.size);
		s->event_weight[s->nevents++] = kv->val.via.f64;
	}
}

static void
keep_made_from(struct scores *s, const struct stream_reader *r)
{
	const msgpack_object *prov = stream_header_get(r, "provenance");
	const msgpack_object *fp = prov ? mp_map_get(prov,
	    "interactions_fingerprint") : NULL;

	if (fp != NULL && fp->type == MSGPACK_OBJECT_STR &&
	    fp->via.str.size < sizeof(s->made_from)) {
		memcpy(s->made_from, fp->via.str.ptr, fp->via.str.size);
		s->made_from[fp->via.str.size] = '\0';
	}
}

int
scores_load(struct scores *s, FILE *in, const char *name,
    const char *score_field, char *err, size_t errlen)
{
	struct stream_reader *r;
	const msgpack_object *rec, *n, *params;
	size_t cap = 0;
	int id_col, score_col, ret;

	memset(s, 0, sizeof(*s));
	s->customers = intern_new();
	intern_freeze(s->customers);
	if ((r = stream_reader_open(in, name, err, errlen)) == NULL)
		return -1;
	if (stream_expect_kind(r, "features", err, errlen) < 0) {
		stream_reader_free(r);
		return -1;
	}
	keep_event_weights(s, r);
	keep_made_from(s, r);
	params = stream_header_get(r, "params");
	n = params != NULL ? mp_map_get(params, "max_time") : NULL;
	s->has_max_time = n != NULL && mp_get_int64(n, &s->max_time) == 0;
	/* Sized once from the header (no more than the input can hold): grown
	   by doubling, the scores were copied over and over. */
	n = stream_header_get(r, "customers");
	if (n != NULL && n->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		s->score = xgrow(NULL, &cap, (size_t)(n->via.u64 <
		    stream_records_left_bound(r) ? n->via.u64 :
		    stream_records_left_bound(r)) + 1, sizeof(*s->score));
	id_col = stream_field_index(r, "customer_id");
	score_col = stream_field_index(r, score_field);
	if (id_col < 0 || score_col < 0) {
		snprintf(err, errlen, "%s: the features stream has no field \"%s\"",
		    stream_name(r), id_col < 0 ? "customer_id" : score_field);
		stream_reader_free(r);
		return -1;
	}
	while ((ret = stream_read(r, &rec, err, errlen)) == 1) {
		const msgpack_object *v = rec->via.array.ptr;
		struct id id;
		uint32_t c;

		if (stream_get_id(&v[id_col], &id) < 0 ||
		    (v[score_col].type != MSGPACK_OBJECT_FLOAT64 &&
		    v[score_col].type != MSGPACK_OBJECT_FLOAT32) ||
		    !isfinite(v[score_col].via.f64)) {
			snprintf(err, errlen, "%s: byte %llu: a customer id or score "
			    "of the wrong type", stream_name(r),
			    (unsigned long long)stream_offset(r));
			ret = -1;
			break;
		}
		if ((c = intern_append(s->customers, &id)) == UINT32_MAX) {
			snprintf(err, errlen, "%s: byte %llu: more than 4 billion "
			    "customers", stream_name(r),
			    (unsigned long long)stream_offset(r));
			ret = -1;
			break;
		}
		s->score = xgrow(s->score, &cap, (size_t)c + 1, sizeof(*s->score));
		s->score[c] = v[score_col].via.f64;
		s->n++;
	}
	stream_reader_free(r);
	return ret;
}

void
scores_free(struct scores *s)
{
	intern_free(s->customers);
	free(s->score);
	for (size_t e = 0; e < s->nevents; e++)
		free(s->event[e]);
	free(s->event);
	free(s->event_weight);
	memset(s, 0, sizeof(*s));
}
