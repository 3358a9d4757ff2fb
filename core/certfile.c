/* certfile.c: facts about a whole certificate file (leaf plus chain). */
#include <string.h>

#include "certfile.h"
#include "util.h"

void
certfile_effective(struct certfile *cf)
{
	size_t i, at = 0;

	free(cf->eff_from);
	cf->eff_from = NULL;
	cf->eff_not_after = 0;
	if (cf->n == 0)
		return;
	for (i = 1; i < cf->n; i++)
		if (cf->certs[i].not_after < cf->certs[at].not_after)
			at = i;
	cf->eff_not_after = cf->certs[at].not_after;
	if (at != 0) {
		const struct certrec *r = &cf->certs[at];

		cf->eff_from = xstrdup(r->subject_cn != NULL ? r->subject_cn :
		    r->subject != NULL ? r->subject : "?");
	}
}
