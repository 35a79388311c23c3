/* Models, parts, sums and tops from interactions; see rankwrite.h. */
#include "rankwrite.h"

#include <stdlib.h>

#include "audience.h"
#include "audparts.h"
#include "coocpairs.h"
#include "cooctable.h"
#include "coocpart.h"
#include "cooctops.h"
#include "groups.h"
#include "model.h"
#include "parallel.h"
#include "rankhead.h"
#include "ranking.h"
#include "rng.h"
#include "targets.h"
#include "xalloc.h"
#include "banned.h"

static int
refuse(char *err, size_t errlen, const char *name, const char *what)
{
	snprintf(err, errlen, "%s: %s", name, what);
	return RANK_REFUSED;
}

/* Whether product p is in the seeded 10% sample of --quick. */
static int
sampled(const struct rank_job *j, uint64_t p)
{
	return !j->quick ||
	    rng_mix(j->seed * 0x9e3779b97f4a7c15u + p + 1) < UINT64_MAX / 10;
}

/* The ranking head of the first count customers of order. */
static int
head_of(struct rank_head *h, const struct rank_job *j, const uint32_t *order,
    size_t count, char *err, size_t errlen)
{
	if (rank_head_build(h, j->ia, j->sc, order, count) < 0)
		return refuse(err, errlen, j->features,
		    "the features list a customer twice");
	return 0;
}

/*
 * The records of a product-aware model: a block of products packed on
 * every core, then written in product order.
 */
static void
write_targets(struct model_writer *mw, const struct rank_job *j,
    const struct rank_head *h, const struct product_customers *g,
    const struct cooc *model)
{
	const struct interactions *ia = j->ia;
	const struct targeting *t = &h->t;
	size_t nc = intern_count(ia->customers);
	uint32_t *customer_at = xmalloc((t->ncandidates + 1) * sizeof(*customer_at));
	uint32_t *block = xmalloc(TARGETS_BLOCK * sizeof(*block));
	double *base = xmalloc((nc + 1) * sizeof(*base));
	uint8_t *keep = xmalloc(nc + 1);
	struct targets_input in = { .ia = ia, .model = model, .groups = g,
	    .order = t, .customer_at = customer_at, .base = base, .keep = keep,
	    .blend = j->blend, .n = j->depth, .threads = parallel_cpus() };
	uint32_t *by_id = ranking_by_id(ia->products);
	struct targets_work *work;

	for (size_t k = 0; k < t->ncandidates; k++)
		customer_at[k] = UINT32_MAX;
	rank_targetable(nc, h->feature_of, j->sc, keep, base);
	for (size_t c = 0; c < nc; c++)
		if (t->rank_of[c] != UINT32_MAX)
			customer_at[t->rank_of[c]] = (uint32_t)c;
	work = targets_work_new(&in);
	for (size_t from = 0; from < g->nproducts; from += TARGETS_BLOCK) {
		size_t count = 0;

		for (size_t i = from; i < g->nproducts && i < from + TARGETS_BLOCK; i++)
			if (sampled(j, by_id[i]))
				block[count++] = by_id[i];
		targets_each(work, block, count);
		for (size_t i = 0; i < count; i++) {
			const struct model_record *entry;
			size_t len;
			const unsigned char *bytes = targets_record(work, i, &len,
			    &entry);

			model_add_packed(mw, entry, bytes, len);
		}
	}
	targets_work_free(work);
	free(by_id);
	free(customer_at);
	free(block);
	free(base);
	free(keep);
}

/*
 * The records of a model of one global order: each (sampled) product's
 * audience as places in the ranking head.
 */
static void
write_places(struct model_writer *mw, const struct rank_job *j,
    const struct product_customers *g, const struct targeting *t, size_t maxm)
{
	const struct interactions *ia = j->ia;
	uint32_t *places = xmalloc((j->depth + 1) * sizeof(*places));
	uint32_t *scratch = xmalloc((maxm + 1) * sizeof(*scratch));
	uint32_t *by_id = ranking_by_id(ia->products);

	for (size_t i = 0; i < g->nproducts; i++) {
		uint32_t p = by_id[i];
		struct id product;
		size_t got;

		if (!sampled(j, p))
			continue;
		got = audience_top(t, g, p, j->depth, places, scratch);
		intern_get(ia->products, (uint32_t)p, &product);
		model_add(mw, &product, interactions_product_name(ia, p), places,
		    got);
	}
	free(by_id);
	free(places);
	free(scratch);
}

/*
 * The model: the head of the ranking, a record per (sampled) product, then
 * the index. No audience reaches further down the ranking than N plus the
 * most customers a product has, so only that head is ordered.
 */
int
rank_write_model(FILE *out, const struct rank_job *j, char *err, size_t errlen)
{
	struct interactions *ia = j->ia;
	const struct cooc_params *cp = j->cooc;
	struct product_customers g;
	struct cooc model;
	struct rank_head h;
	size_t maxm = 0, head, want;
	uint32_t *order;
	struct model_meta meta = { .score = j->score, .top_n = j->top_n,
	    .depth = j->depth, .interactions = ia->n, .quick = j->quick,
	    .seed = j->seed, .features_source = j->features,
	    .interactions_source = ia->source,
	    .interactions_fingerprint = ia->fingerprint[0] ? ia->fingerprint : NULL };
	struct model_writer *mw;
	int ret;

	if (cp != NULL) {	/* the model's customers of each product */
		struct cooc_params at_end = *cp;

		at_end.decay_end = ia->n ? ia->time[ia->n - 1] : 0;
		cooc_build(&model, ia, ia->n, &at_end);
		g = (struct product_customers){ .nproducts = model.nproducts,
		    .start = model.pstart, .customer = model.pcustomer };
	} else
		product_customers_build(&g, ia, 0, ia->n);
	for (size_t p = 0; p < g.nproducts; p++) {
		int in = sampled(j, p);

		if (product_customers_count(&g, p) > maxm)
			maxm = product_customers_count(&g, p);
		meta.products += in;
		meta.named_products += in && interactions_product_name(ia, p);
	}
	want = model_head_want(j->depth, maxm, cp != NULL);
	if (cp != NULL) {
		meta.cooc = cp;
		meta.blend = j->blend;
		meta.new_blend = j->new_blend;
		meta.categories = ia->categories != NULL;
	}
	order = ranking_head(j->sc->customers, j->sc->score, NULL, want, &head,
	    &meta.customers);
	ret = head_of(&h, j, order, head, err, errlen);
	free(order);
	if (ret < 0) {
		if (cp != NULL)
			cooc_free(&model);
		else
			product_customers_free(&g);
		return ret;
	}
	meta.fallback_size = head < MODEL_FALLBACK_SIZE ? head : MODEL_FALLBACK_SIZE;
	if (ia->n > 0) {
		meta.first_time = ia->time[0];
		meta.last_time = ia->time[ia->n - 1];
	}
	mw = model_writer_new(out, &meta, j->source, h.ids, h.scores, head);
	if (cp != NULL) {
		/* What is left needs the ids, names and categories only: at 50M
		   rows the rows are 0.8 GiB of the peak. */
		interactions_free_rows(ia);
		write_targets(mw, j, &h, &g, &model);
		cooc_free(&model);	/* and g with it */
	} else {
		write_places(mw, j, &g, &h.t, maxm);
		product_customers_free(&g);
	}
	rank_head_free(&h);
	return model_finish(mw);
}

/*
 * A customer shard's co-occurrence settings: weights decayed from the
 * features' time (the last row of all shards), into *at_end and *m.
 */
static int
shard_settings(const struct rank_job *j, struct cooc_params *at_end,
    struct coocpairs_meta *m, char *err, size_t errlen)
{
	const struct scores *sc = j->sc;

	if (!sc->has_max_time)
		return refuse(err, errlen, j->features, "the features do not say "
		    "when they were computed (params.max_time)");
	*at_end = *j->cooc;
	at_end->decay_end = sc->max_time;
	*m = (struct coocpairs_meta){ .params = at_end,
	    .event = (const char *const *)sc->event,
	    .event_weight = sc->event_weight, .nevents = sc->nevents,
	    .shard = j->ia->shard, .nshards = j->ia->nshards ? j->ia->nshards : 1,
	    .fingerprint = j->ia->fingerprint[0] ? j->ia->fingerprint : NULL };
	return 0;
}

int
rank_write_pairs(FILE *out, const struct rank_job *j, char *err, size_t errlen)
{
	struct cooc_params at_end;
	struct coocpairs_meta m;
	int ret = shard_settings(j, &at_end, &m, err, errlen);

	return ret < 0 ? ret : coocpairs_write(out, j->ia, &m, j->source);
}

/* A shard's co-occurrence model, scored with the table of all shards. */
struct shard_model {
	struct cooc_params at_end;
	struct coocpairs_meta m;
	struct cooc model;
};

static int
shard_model_load(struct shard_model *s, const struct rank_job *j, char *err,
    size_t errlen)
{
	int ret = shard_settings(j, &s->at_end, &s->m, err, errlen);

	if (ret == 0 && cooctable_load(&s->model, j->ia, &s->m, j->table,
	    j->table_name, err, errlen) < 0)
		ret = RANK_REFUSED;
	return ret;
}

int
rank_write_tops(FILE *out, const struct rank_job *j, char *err, size_t errlen)
{
	struct shard_model s;
	size_t nc = intern_count(j->ia->customers);
	uint8_t *keep;
	uint32_t *feature_of;
	struct cooctops_meta tm = { .settings = &s.m, .threads = parallel_cpus() };
	int ret = shard_model_load(&s, j, err, errlen);

	if (ret < 0)
		return ret;
	keep = xmalloc(nc + 1);
	feature_of = xmalloc((nc + 1) * sizeof(*feature_of));
	if (rank_map_customers(j->ia, j->sc, feature_of) < 0)
		ret = refuse(err, errlen, j->features,
		    "the features list a customer twice");
	else {
		rank_targetable(nc, feature_of, j->sc, keep, NULL);
		tm.keep = keep;
		tm.shard = s.m.shard;
		tm.nshards = s.m.nshards;
		ret = cooctops_write(out, &s.model, j->ia, &tm, j->source);
	}
	free(feature_of);
	cooc_free(&s.model);
	free(keep);
	return ret;
}

/* A shard's records of a co-occurrence model's part (coocpart.h), scored
   with s's table and top, the largest relevances of all shards. */
static void
write_cooc_records(struct audparts_writer *w, const struct rank_job *j,
    const struct shard_model *s, const double *top, const struct rank_head *h)
{
	size_t nc = intern_count(j->ia->customers);
	uint8_t *keep = xmalloc(nc + 1);
	double *base = xmalloc((nc + 1) * sizeof(*base));
	struct coocpart_input in = { .ia = j->ia, .model = &s->model,
	    .order = &h->t, .base = base, .keep = keep, .top = top,
	    .blend = j->blend, .depth = j->depth };

	rank_targetable(nc, h->feature_of, j->sc, keep, base);
	coocpart_add_all(w, &in);
	free(keep);
	free(base);
}

/*
 * A shard's records of a part of one global order: each product's customers
 * in the shard and the places its audience steps over, in id order.
 */
static void
write_skipped_records(struct audparts_writer *w, const struct rank_job *j,
    const struct targeting *t)
{
	const struct interactions *ia = j->ia;
	struct product_customers g;
	uint32_t *by_id = ranking_by_id(ia->products), *skipped;
	size_t maxm = 0;

	product_customers_build(&g, ia, 0, ia->n);
	for (size_t p = 0; p < g.nproducts; p++)
		if (product_customers_count(&g, p) > maxm)
			maxm = product_customers_count(&g, p);
	skipped = xmalloc((maxm + 1) * sizeof(*skipped));
	for (size_t i = 0; i < g.nproducts; i++) {
		uint32_t p = by_id[i];
		struct id product;
		struct audparts_product ap = { .product = &product,
		    .name = interactions_product_name(ia, p),
		    .customers = product_customers_count(&g, p),
		    .skipped = skipped,
		    .nskipped = audience_skipped(t, &g, p, j->depth, skipped) };

		intern_get(ia->products, p, &product);
		audparts_add(w, &ap);
	}
	free(skipped);
	product_customers_free(&g);
	free(by_id);
}

/*
 * A shard's part of a model (audparts.h): its whole ranking, and each
 * product's audience in it, in id order.
 */
int
rank_write_part(FILE *out, const struct rank_job *j, char *err, size_t errlen)
{
	struct interactions *ia = j->ia;
	size_t count;
	uint32_t *order;
	struct rank_head h;
	struct shard_model s;
	double *top = NULL;
	struct audparts_meta m = { .score = j->score, .top_n = j->top_n,
	    .depth = j->depth, .seed = j->seed, .interactions = ia->n,
	    .shard = ia->shard, .nshards = ia->nshards,
	    .fingerprint = ia->fingerprint[0] ? ia->fingerprint : NULL,
	    .cooc = j->cooc, .blend = j->blend, .new_blend = j->new_blend,
	    .categories = j->cooc != NULL && ia->categories != NULL };
	struct audparts_writer *w;
	int ret;

	if (ia->nshards == 0)	/* before anything is allocated */
		return refuse(err, errlen, j->source,
		    "not a customer shard (aud-prepare --shards)");
	/* A co-occurrence part is scored with the table and the tops of all
	   shards: both are read before anything is written. */
	if (j->cooc != NULL && (ret = shard_model_load(&s, j, err, errlen)) < 0)
		return ret;
	if (j->cooc != NULL) {
		top = xmalloc((intern_count(ia->products) + 1) * sizeof(*top));
		if (cooctops_load(top, ia, &s.m, j->tops, j->tops_name, err,
		    errlen) < 0) {
			cooc_free(&s.model);
			free(top);
			return RANK_REFUSED;
		}
	}
	if (ia->n > 0) {
		m.first_time = ia->time[0];
		m.last_time = ia->time[ia->n - 1];
	}
	order = ranking_order(j->sc->customers, j->sc->score, NULL, &count);
	ret = head_of(&h, j, order, count, err, errlen);
	free(order);
	if (ret < 0) {
		if (j->cooc != NULL)
			cooc_free(&s.model);
		free(top);
		return ret;
	}
	w = audparts_writer_new(out, &m, j->source, h.ids, h.scores, count);
	if (j->cooc != NULL) {
		write_cooc_records(w, j, &s, top, &h);
		cooc_free(&s.model);
		free(top);
	} else {
		free(h.feature_of);	/* not needed, and the peak comes next */
		h.feature_of = NULL;
		write_skipped_records(w, j, &h.t);
	}
	rank_head_free(&h);
	return audparts_finish(w);
}
