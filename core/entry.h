/*
 * entry.h: an inventory entry's metadata, the file certs/<xx>/<name>/entry.
 * One "key = value" a line, sorted by key, so the same metadata is always
 * the same bytes. Lists (tags, endpoints) are comma-separated. A value's
 * newline is written as \n and a backslash as \\.
 */
#ifndef CD_ENTRY_H
#define CD_ENTRY_H

#include <stddef.h>

#include "util.h"

#define ENTRY_NAME_MAX	64

/* Keys kept sorted; k.v[i] pairs with v.v[i]. */
struct entry {
	struct strv	k;
	struct strv	v;
};

enum entry_kind {
	EK_TEXT,	/* any single-line text (notes may hold \n escapes) */
	EK_LIST,	/* comma-separated words: tags */
	EK_ENDPOINTS,	/* comma-separated endpoints, see endpoint_parse */
	EK_WORD,	/* [a-z0-9._-]+ : profile */
	EK_PATH,	/* absolute path */
	EK_KEYPATH,	/* absolute path, or a pkcs11: URI (hsm.h) */
	EK_ARGV,	/* a command as words, run without a shell */
};

struct entry_key {
	const char	*name;
	enum entry_kind	 kind;
	int		 settable;	/* by `set`; others are written by certdeck */
	const char	*help;
};
/* The table of known keys (for set, help and the man page); NULL-terminated. */
extern const struct entry_key entry_keys[];
const struct entry_key *entry_key_find(const char *name);

void	 entry_init(struct entry *);
void	 entry_free(struct entry *);
/* Parse an entry file. Unknown keys are kept (newer certdeck). Errors name
   the line: "line 3: expected key = value". */
int	 entry_parse(const char *text, size_t len, struct entry *, char **cause);
/* Deterministic text of the entry; caller frees. */
char	*entry_format(const struct entry *);
const char *entry_get(const struct entry *, const char *key);
/* Set (value NULL or "" removes) without validation. */
void	 entry_put(struct entry *, const char *key, const char *value);
/*
 * Apply one "key=value", "key+=item[,item]" or "key-=item[,item]" after
 * validating key and value. Returns 0 or -1 with *cause naming the problem.
 */
int	 entry_apply(struct entry *, const char *assignment, char **cause);
int	 entry_equal(const struct entry *, const struct entry *);
/*
 * Three-way merge by key (a sync): a key only one side changed takes that
 * side's value, so two operators setting different keys both win. A key
 * both changed to different values is added to conflicts and takes ours
 * when prefer is 1, theirs otherwise. out is initialised here.
 */
void	 entry_merge(const struct entry *base, const struct entry *ours,
	    const struct entry *theirs, int prefer, struct entry *out,
	    struct strv *conflicts);

/* An endpoint: HOST:PORT[/STARTTLS][@SNI], HOST may be [IPv6]. */
struct endpoint {
	char	host[256];
	int	port;
	char	starttls[16];	/* "" or smtp imap pop3 ftp ldap postgres */
	char	sni[256];	/* "" = the host name (none for an IP literal) */
};
int	 endpoint_parse(const char *, struct endpoint *, char **cause);
/* Canonical text of an endpoint into out. */
void	 endpoint_format(const struct endpoint *, char *out, size_t len);

/* Entry names: lowercase [a-z0-9._-], 1..64, not "." or "..". */
int	 name_valid(const char *);
/* A name from a DNS name or CN: lowercased, other characters to '-',
   '*' to "wildcard", trimmed to 64. Never empty ("cert" if nothing). */
char	*name_derive(const char *from);

#endif
