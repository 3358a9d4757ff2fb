/*
 * config.h: certdeck.conf, the inventory's settings. Lines "key = value",
 * "# comments", and "[section NAME]" headers (renewal profiles and later
 * features keep their settings in sections). Known top-level keys are
 * checked; a section's keys are kept for the feature that owns them.
 */
#ifndef CD_CONFIG_H
#define CD_CONFIG_H

#include <stddef.h>

#include "util.h"

struct config_item {
	char	*section;	/* "" for top level, else "profile acme-prod" */
	char	*key;
	char	*value;
	int	 line;
};

struct config {
	int			 critical_days;	/* default 7 */
	int			 warning_days;	/* default 30 */
	int			 sync_merge;	/* sync = merge (default rebase) */
	struct config_item	*items;
	size_t			 nitems;
};

/* The text `certdeck init` writes. */
extern const char config_default_text[];

void	 config_defaults(struct config *);
/* Parse text (name is used in messages: "certdeck.conf:3: ..."). */
int	 config_parse(const char *text, size_t len, const char *name,
	    struct config *, char **cause);
void	 config_free(struct config *);
/* dst becomes a copy of src that lives on its own (config_free). */
void	 config_copy(struct config *dst, const struct config *src);
/* Value of key in section ("" = top level), or NULL. */
const char *config_get(const struct config *, const char *section,
	    const char *key);

#endif
