/* certrec.c: freeing parsed certificate records (store/certrec.h). */
#include <stdlib.h>
#include <string.h>

#include "certrec.h"

void
certrec_free(struct certrec *r)
{
	if (r == NULL)
		return;
	free(r->subject);
	free(r->issuer);
	free(r->subject_cn);
	free(r->issuer_cn);
	free(r->serial);
	free(r->sans);
	free(r->key_type);
	free(r->key_curve);
	free(r->sig_alg);
	free(r->spki_sha256);
	free(r->ski);
	free(r->aki);
	free(r->key_usage);
	free(r->ext_key_usage);
	free(r->ocsp);
	free(r->ca_issuers);
	free(r->crl_dp);
	/* Leave a record that is safe to free again or to refill. */
	memset(r, 0, sizeof *r);
	r->path_len = -1;
}

void
certfile_free(struct certfile *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->n; i++)
		certrec_free(&cf->certs[i]);
	free(cf->certs);
	free(cf->eff_from);
	memset(cf, 0, sizeof *cf);
}
