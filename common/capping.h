/*
 * What capping costs (aud-rank --eval): a method's audiences when each
 * customer may be in at most C of them, as a campaign export caps them
 * (campaign.h), measured by precision and diversity. Places are given by
 * rank across the products: every product's first candidate (products in
 * evaluation order), then every product's second, and so on; each product
 * takes candidates until it has k, passing over customers who hold C
 * places, from its list of kmax. Ranks stand for scores here, which the
 * evaluation's lists do not keep.
 */
#ifndef AUD_CAPPING_H
#define AUD_CAPPING_H

#include <stddef.h>
#include <stdint.h>

/* A method's lists: product i's got[i] candidates at customer[i * kmax],
   hit[] set where the customer took the product up. */
struct cap_input {
	size_t n, kmax, ncustomers;
	const uint32_t *customer;
	const size_t *got;
	const uint8_t *hit;
};

struct cap_result {
	double precision;		/* mean over products of hits / k */
	double filled;			/* share of the n k places given */
	size_t distinct, most;		/* customers; the most audiences one
					   is in */
};

/* Capped at cap audiences a customer (0: no cap), k places a product. */
void capping_measure(const struct cap_input *in, uint64_t cap, size_t k,
    struct cap_result *out);

#endif
