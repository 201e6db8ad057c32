/* envelope: see envelope.h. */
#include "queue/envelope.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void envelope_free(struct envelope *env)
{
	if (env == NULL)
		return;
	free(env->sender);
	free(env->helo);
	free(env->client_addr);
	for (size_t i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].orcpt);
		free(env->rcpts[i].last_error);
	}
	free(env->rcpts);
	memset(env, 0, sizeof(*env));
}

/* strdup that keeps NULL; sets *fail when memory runs out. */
static char *dup_or_null(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = 1;
	return d;
}

int envelope_copy(struct envelope *dst, const struct envelope *src)
{
	int fail = 0;

	memset(dst, 0, sizeof(*dst));
	memcpy(dst->id, src->id, sizeof(dst->id));
	dst->id[sizeof(dst->id) - 1] = '\0';
	dst->received = src->received;
	dst->body_8bit = src->body_8bit;
	dst->smtputf8 = src->smtputf8;
	dst->size = src->size;
	dst->warned = src->warned;
	dst->sender = dup_or_null(src->sender, &fail);
	dst->helo = dup_or_null(src->helo, &fail);
	dst->client_addr = dup_or_null(src->client_addr, &fail);
	if (src->nrcpts) {
		dst->rcpts = calloc(src->nrcpts, sizeof(*dst->rcpts));
		if (dst->rcpts == NULL) {
			envelope_free(dst);
			errno = ENOMEM;
			return -1;
		}
		dst->nrcpts = src->nrcpts;
	}
	for (size_t i = 0; i < src->nrcpts; i++) {
		const struct envelope_rcpt *s = &src->rcpts[i];
		struct envelope_rcpt *d = &dst->rcpts[i];
		*d = *s;
		d->addr = dup_or_null(s->addr, &fail);
		d->orcpt = dup_or_null(s->orcpt, &fail);
		d->last_error = dup_or_null(s->last_error, &fail);
	}
	if (fail) {
		envelope_free(dst);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int envelope_final(const struct envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state != RCPT_DELIVERED && env->rcpts[i].state != RCPT_FAILED)
			return 0;
	return 1;
}

const char *rcpt_state_name(enum rcpt_state state)
{
	switch (state) {
	case RCPT_PENDING: return "pending";
	case RCPT_DEFERRED: return "deferred";
	case RCPT_DELIVERED: return "delivered";
	case RCPT_FAILED: return "failed";
	}
	return "unknown";
}
