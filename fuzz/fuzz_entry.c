/* fuzz_entry.c: libFuzzer target for entry files and endpoint syntax. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct entry e, f;
	struct endpoint ep;
	char *err = NULL, *text, *s;

	if (entry_parse((const char *)data, len, &e, &err) == 0) {
		/* What we write we must read back the same. */
		text = entry_format(&e);
		if (entry_parse(text, strlen(text), &f, &err) != 0 ||
		    !entry_equal(&e, &f))
			abort();
		entry_free(&f);
		free(text);
		entry_free(&e);
	}
	free(err);
	err = NULL;
	s = strndup((const char *)data, len);
	if (s != NULL) {
		endpoint_parse(s, &ep, &err);
		free(err);
		err = NULL;
		entry_init(&e);
		entry_apply(&e, s, &err);
		entry_free(&e);
		free(err);
		free(name_derive(s));
		free(s);
	}
	return 0;
}
