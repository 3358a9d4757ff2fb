/* certfile.h: facts about a whole certificate file (leaf plus chain). */
#ifndef CD_CERTFILE_H
#define CD_CERTFILE_H

#include <stdlib.h>

#include "../store/certrec.h"

/* Set eff_not_after (earliest notAfter in the file) and eff_from (who sets
   it, when that is not the leaf). */
void	 certfile_effective(struct certfile *);

#endif
