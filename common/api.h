/*
 * aud-serve's HTTP API without sockets: request heads in, whole responses
 * out, so that unit tests and the HTTP fuzz harness reach every route. The
 * routes and their answers are documented in aud-serve(8).
 */
#ifndef AUD_API_H
#define AUD_API_H

#include <stddef.h>
#include <stdio.h>

#include "audfmt.h"
#include "intern.h"
#include "model.h"
#include "rng.h"

/* What a process serves from: the model, mapped once per connection
   (inetd) or per worker (standalone, again on SIGHUP). */
struct api_conn {
	struct model m;
	int model_ok;
	struct audfmt *fmt, *fmt_tsv;	/* tables with commas, tabs */
	FILE *log;			/* the access log, or NULL */
	const char *peer;		/* the client's address, for the log */
	struct rng rng;			/* for /products/sample */
	struct intern *exclude;		/* customers never served, or NULL */
	int exclude_unread;		/* a suppression list was asked for and
					   could not be read: no audience is
					   served (503) rather than one that
					   may hold them */
};

/*
 * Maps the model at path in place of the one open. Returns 0, or -1 with
 * err filled when it cannot be read: the model open before stays (a bad
 * file dropped in by a reload does not take a working service down); with
 * none, the API answers 503 and /ui still loads.
 */
int api_open_model(struct api_conn *c, const char *path, char *err,
    size_t errlen);
void api_close_model(struct api_conn *c);

/*
 * Reads the suppression list at path (customer ids, one a line or a CSV's
 * first column) in place of the one read before. Returns 0, or -1 with err
 * filled: the list read before stays; with none, audiences are 503.
 */
int api_open_exclude(struct api_conn *c, const char *path, char *err,
    size_t errlen);
void api_close_exclude(struct api_conn *c);

/*
 * Answers the request at the start of buf[0..len): appends the response to
 * *out (of *outlen bytes, growing it) and returns the bytes of the request,
 * 0 when it is not complete yet, or -1 after answering an error that ends
 * the connection. *keep tells whether the connection may go on.
 */
long api_answer(struct api_conn *c, const char *buf, size_t len, char **out,
    size_t *outlen, int *keep);

/* Appends an error response of status that ends the connection (408 when a
   client is too slow), and logs it. */
void api_error(struct api_conn *c, int status, char **out, size_t *outlen);

#endif
