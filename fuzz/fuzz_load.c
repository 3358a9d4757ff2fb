/* fuzz_load.c: libFuzzer target for the import of raw bytes (cert_load). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cert_bundle b;
	char *err = NULL;

	if (cert_load(data, len, "pass", NULL, &b, &err) == 0)
		cert_bundle_free(&b);
	free(err);
	return 0;
}
