/* Campaign exports; see campaign.h. */
#include "campaign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "stream.h"
#include "xalloc.h"
#include "banned.h"

void
campaign_init(struct campaign *c, const struct campaign_params *p)
{
	memset(c, 0, sizeof(*c));
	c->p = *p;
}

void
campaign_free(struct campaign *c)
{
	free(c->product);
	free(c->c);
	memset(c, 0, sizeof(*c));
}

static int
suppressed(const struct campaign *c, const msgpack_object *customer)
{
	struct id id;

	return c->p.exclude != NULL && stream_get_id(customer, &id) == 0 &&
	    intern_find(c->p.exclude, &id) != UINT32_MAX;
}

void
campaign_add(struct campaign *c, const struct model *m,
    const msgpack_object *product, const struct audience *a)
{
	struct campaign_product *p;
	msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };

	c->product = xgrow(c->product, &c->products_cap, c->nproducts + 1,
	    sizeof(*c->product));
	p = &c->product[c->nproducts++];
	/* The audience's objects point into the mapped model (its strings
	   too), so copies of them outlive it. */
	*p = (struct campaign_product){ .id = *product,
	    .name = a->name ? *a->name : nil,
	    .category = a->category ? *a->category : nil,
	    .fallback = a->fallback, .first = c->n };
	c->c = xgrow(c->c, &c->cap, c->n + a->size + 1, sizeof(*c->c));
	for (size_t i = 0; i < a->size; i++) {
		msgpack_object customer = audience_customer(m, a, i);

		if (suppressed(c, &customer)) {
			c->suppressed++;
			continue;
		}
		c->c[c->n++] = (struct campaign_candidate){ customer,
		    audience_reason(a, i), audience_score(m, a, i), 0, 0 };
	}
	p->count = c->n - p->first;
}

/* An id as written in the export, into buf; returns its length. */
static size_t
id_text(const msgpack_object *o, char *buf, size_t len, const char **text)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*text = o->via.str.ptr;
		return o->via.str.size;
	}
	*text = buf;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (size_t)snprintf(buf, len, "%" PRIu64, o->via.u64);
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (size_t)snprintf(buf, len, "%" PRId64, o->via.i64);
	return 0;			/* nil: a product given without an id */
}

int
campaign_is_control(const struct campaign_params *p,
    const msgpack_object *product, const msgpack_object *customer)
{
	char pbuf[24], cbuf[24];
	const char *ptext, *ctext;
	size_t plen = id_text(product, pbuf, sizeof(pbuf), &ptext);
	size_t clen = id_text(customer, cbuf, sizeof(cbuf), &ctext);
	size_t slen = strlen(p->salt), len = slen + 1 + plen + 1 + clen;
	char small[256], *key = len <= sizeof(small) ? small : xmalloc(len);
	long double cut = (long double)p->holdout / 100 * 18446744073709551616.0L;
	uint64_t h;

	memcpy(key, p->salt, slen);
	key[slen] = '\0';
	memcpy(key + slen + 1, ptext, plen);
	key[slen + 1 + plen] = '\0';
	memcpy(key + slen + 2 + plen, ctext, clen);
	h = XXH3_64bits(key, len);
	if (key != small)
		free(key);
	return (long double)h < cut;
}

/*
 * The products by their next candidate's score, a binary heap: the
 * highest first, ties to the product listed first.
 */
struct heap {
	uint32_t *p;
	size_t n;
	const struct campaign *c;
	const size_t *next;		/* per product: its next candidate */
};

static int
before(const struct heap *h, uint32_t a, uint32_t b)
{
	double x = h->c->c[h->next[a]].score, y = h->c->c[h->next[b]].score;

	return x != y ? x > y : a < b;
}

static void
sift_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i;
		uint32_t t;

		if (l < h->n && before(h, h->p[l], h->p[best]))
			best = l;
		if (r < h->n && before(h, h->p[r], h->p[best]))
			best = r;
		if (best == i)
			return;
		t = h->p[i];
		h->p[i] = h->p[best];
		h->p[best] = t;
		i = best;
	}
}

/* Counts a customer's places: 1 when it may take another. */
static int
take_place(struct intern *seen, uint32_t **count, size_t *cap,
    const msgpack_object *customer, uint64_t max)
{
	struct id id;
	uint32_t i;
	int added;

	if (stream_get_id(customer, &id) < 0)
		return 0;
	i = intern_add(seen, &id, &added);
	if (i == UINT32_MAX)
		return 0;
	if (added) {
		*count = xgrow(*count, cap, (size_t)i + 1, sizeof(**count));
		(*count)[i] = 0;
	}
	if (max > 0 && (*count)[i] >= max)
		return 0;
	(*count)[i]++;
	return 1;
}

void
campaign_assign(struct campaign *c)
{
	size_t *next = xcalloc(c->nproducts + 1, sizeof(*next)), cap = 0;
	struct heap h = { xmalloc((c->nproducts + 1) * sizeof(uint32_t)), 0, c,
	    next };
	struct intern *seen = intern_new();
	uint32_t *count = NULL;

	for (size_t i = 0; i < c->nproducts; i++) {
		next[i] = c->product[i].first;
		c->product[i].chosen = 0;
		if (c->product[i].count > 0 && c->p.n > 0)
			h.p[h.n++] = (uint32_t)i;
	}
	for (size_t i = h.n; i-- > 0;)
		sift_down(&h, i);
	while (h.n > 0) {
		uint32_t i = h.p[0];
		struct campaign_product *p = &c->product[i];
		struct campaign_candidate *k = &c->c[next[i]];

		if (take_place(seen, &count, &cap, &k->customer,
		    c->p.max_per_customer)) {
			k->chosen = 1;
			k->control = c->p.holdout > 0 &&
			    campaign_is_control(&c->p, &p->id, &k->customer);
			c->controls += k->control;
			p->chosen++;
		}
		if (++next[i] == p->first + p->count || p->chosen == c->p.n)
			h.p[0] = h.p[--h.n];	/* this product is done */
		sift_down(&h, 0);
	}
	for (size_t i = 0; i < c->nproducts; i++)
		c->unfilled += c->p.n - c->product[i].chosen;
	intern_free(seen);
	free(count);
	free(next);
	free(h.p);
}

void
campaign_view(const struct campaign *c, size_t i, struct campaign_view *v)
{
	const struct campaign_product *p = &c->product[i];
	size_t n = p->chosen, got = 0;

	memset(v, 0, sizeof(*v));
	msgpack_unpacked_init(&v->a.record);
	/* customers, scores, reasons, then the three arrays' heads */
	v->o = xmalloc((3 * n + 3 + 1) * sizeof(*v->o));
	v->control = xmalloc(n + 1);
	for (size_t j = p->first; j < p->first + p->count && got < n; j++) {
		const struct campaign_candidate *k = &c->c[j];

		if (!k->chosen)
			continue;
		v->o[got] = k->customer;
		v->o[n + got] = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64,
		    .via.f64 = k->score };
		v->o[2 * n + got] = k->reason;
		v->control[got++] = k->control;
	}
	for (int part = 0; part < 3; part++)
		v->o[3 * n + part] = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		    .via.array = { (uint32_t)got, v->o + part * n } };
	v->a.customers = &v->o[3 * n];
	v->a.scores = &v->o[3 * n + 1];
	v->a.reasons = &v->o[3 * n + 2];
	v->a.name = p->name.type == MSGPACK_OBJECT_STR ? &p->name : NULL;
	v->a.category = p->category.type == MSGPACK_OBJECT_STR ? &p->category :
	    NULL;
	v->a.fallback = p->fallback;
	v->a.size = got;
	v->a.control = c->p.holdout > 0 ? v->control : NULL;
}

void
campaign_view_free(struct campaign_view *v)
{
	free(v->o);
	free(v->control);
	msgpack_unpacked_destroy(&v->a.record);
	memset(v, 0, sizeof(*v));
}
