/* config.c: certdeck.conf (config.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const char config_default_text[] =
    "# certdeck inventory settings (see certdeck(1), CONFIGURATION)\n"
    "\n"
    "# Days left at or under which a certificate is critical, and warning.\n"
    "# Short-lived certificates use the last tenth and third of their\n"
    "# lifetime instead when that comes later.\n"
    "critical-days = 7\n"
    "warning-days = 30\n";

/* Top-level keys and how to store them. */
static const struct {
	const char	*key;
	size_t		 off;
	int		 min, max;
} config_ints[] = {
	{ "critical-days", offsetof(struct config, critical_days), 0, 3650 },
	{ "warning-days", offsetof(struct config, warning_days), 0, 3650 },
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->critical_days = 7;
	c->warning_days = 30;
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nitems; i++) {
		free(c->items[i].section);
		free(c->items[i].key);
		free(c->items[i].value);
	}
	free(c->items);
	c->items = NULL;
	c->nitems = 0;
}

void
config_copy(struct config *dst, const struct config *src)
{
	size_t i;

	*dst = *src;
	dst->items = xcalloc(src->nitems ? src->nitems : 1,
	    sizeof *dst->items);
	for (i = 0; i < src->nitems; i++) {
		dst->items[i].section = xstrdup(src->items[i].section);
		dst->items[i].key = xstrdup(src->items[i].key);
		dst->items[i].value = xstrdup(src->items[i].value);
		dst->items[i].line = src->items[i].line;
	}
}

static int
set_int(struct config *c, const char *key, const char *value,
    const char *name, int lineno, char **cause)
{
	size_t i;
	char *end;
	long n;

	for (i = 0; i < nitems(config_ints); i++) {
		if (strcmp(config_ints[i].key, key) != 0)
			continue;
		errno = 0;
		n = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno != 0 ||
		    n < config_ints[i].min || n > config_ints[i].max)
			return set_cause(cause, "%s:%d: %s must be a number "
			    "from %d to %d", name, lineno, key,
			    config_ints[i].min, config_ints[i].max);
		*(int *)((char *)c + config_ints[i].off) = (int)n;
		return 0;
	}
	if (strcmp(key, "sync") == 0) {
		/* How certdeck sync puts local and remote commits together. */
		if (strcmp(value, "rebase") != 0 && strcmp(value, "merge") != 0)
			return set_cause(cause, "%s:%d: sync must be rebase or "
			    "merge", name, lineno);
		c->sync_merge = strcmp(value, "merge") == 0;
		return 0;
	}
	return set_cause(cause, "%s:%d: unknown setting %s", name, lineno, key);
}

int
config_parse(const char *text, size_t len, const char *name,
    struct config *c, char **cause)
{
	const char *p = text, *end = text + len;
	char *line, *eq, *section, *key, *value;
	struct config_item *it;
	int lineno = 0;

	config_defaults(c);
	section = xstrdup("");
	while ((line = text_line(&p, end, &lineno)) != NULL) {
		if (*line == '[') {
			if (line[strlen(line) - 1] != ']' || strlen(line) < 3) {
				set_cause(cause, "%s:%d: expected [section name]",
				    name, lineno);
				goto fail;
			}
			line[strlen(line) - 1] = '\0';
			free(section);
			section = xstrdup(line + 1);
			str_trim(section);
			free(line);
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL) {
			set_cause(cause, "%s:%d: expected key = value", name,
			    lineno);
			goto fail;
		}
		*eq = '\0';
		key = str_trim(line);
		value = str_trim(eq + 1);
		if (*key == '\0') {
			set_cause(cause, "%s:%d: empty key", name, lineno);
			goto fail;
		}
		if (*section == '\0' &&
		    set_int(c, key, value, name, lineno, cause) != 0)
			goto fail;
		c->items = xreallocarray(c->items, c->nitems + 1,
		    sizeof *c->items);
		it = &c->items[c->nitems++];
		it->section = xstrdup(section);
		it->key = xstrdup(key);
		it->value = xstrdup(value);
		it->line = lineno;
		free(line);
	}
	free(section);
	if (c->critical_days > c->warning_days) {
		set_cause(cause, "%s: critical-days (%d) is more than "
		    "warning-days (%d)", name, c->critical_days,
		    c->warning_days);
		config_free(c);
		return -1;
	}
	return 0;
fail:
	free(line);
	free(section);
	config_free(c);
	return -1;
}

const char *
config_get(const struct config *c, const char *section, const char *key)
{
	size_t i;

	for (i = c->nitems; i-- > 0;)
		if (strcmp(c->items[i].section, section) == 0 &&
		    strcmp(c->items[i].key, key) == 0)
			return c->items[i].value;
	return NULL;
}
