/* fuzz_config.c: libFuzzer target for certdeck.conf and its [audit]
   sections. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "audit.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config c;
	char *err = NULL;

	if (config_parse((const char *)data, len, "fuzz", &c, &err) == 0) {
		config_get(&c, "", "critical-days");
		/* The [audit] sections, as a sweep reads them. */
		if (audit_config_check(&c, &err) != 0) {
			free(err);
			err = NULL;
		}
		config_free(&c);
	}
	free(err);
	return 0;
}
