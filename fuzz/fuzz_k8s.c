/* fuzz_k8s.c: libFuzzer target for kubectl JSON/YAML input (k8s.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct k8s_result r;
	char *err = NULL;

	if (k8s_parse((const char *)data, len, "fuzz", &r, &err) == 0)
		k8s_result_free(&r);
	free(err);
	return 0;
}
