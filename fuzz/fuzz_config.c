/* fuzz_config.c: libFuzzer target for certdeck.conf. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config c;
	char *err = NULL;

	if (config_parse((const char *)data, len, "fuzz", &c, &err) == 0) {
		config_get(&c, "", "critical-days");
		config_free(&c);
	}
	free(err);
	return 0;
}
