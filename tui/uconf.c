/* uconf.c: the operator's own settings (uconf.h). */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uconf.h"

/* The settings; each a string, NULL when not set. */
static const struct {
	const char	*key;
	size_t		 off;
} uconf_keys[] = {
	{ "theme", offsetof(struct uconf, theme) },
};

static const char *
uconf_home(void)
{
	const char *e;
	struct passwd *pw;

	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return e;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : "/";
}

char *
uconf_dir(void)
{
	const char *e;

	/* XDG: a relative path is to be ignored. */
	if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		return xasprintf("%s/certdeck", e);
	return xasprintf("%s/.config/certdeck", uconf_home());
}

char *
uconf_tilde(const char *path)
{
	const char *home = uconf_home();
	size_t n = strlen(home);

	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

void
uconf_free(struct uconf *u)
{
	size_t i;

	for (i = 0; i < nitems(uconf_keys); i++) {
		char **v = (char **)((char *)u + uconf_keys[i].off);

		free(*v);
		*v = NULL;
	}
}

void
uconf_parse(const char *text, size_t len, const char *name, struct uconf *u,
    struct strv *warn)
{
	const char *p = text, *end = text + len;
	char *line, *eq, *key, *value;
	size_t i;
	int lineno = 0;

	while ((line = text_line(&p, end, &lineno)) != NULL) {
		if ((eq = strchr(line, '=')) == NULL) {
			strv_addn(warn, xasprintf("%s:%d: expected key = value",
			    name, lineno));
			free(line);
			continue;
		}
		*eq = '\0';
		key = str_trim(line);
		value = str_trim(eq + 1);
		for (i = 0; i < nitems(uconf_keys); i++)
			if (strcmp(key, uconf_keys[i].key) == 0)
				break;
		if (i == nitems(uconf_keys)) {
			strv_addn(warn, xasprintf("%s:%d: unknown setting "
			    "'%.40s'", name, lineno, key));
		} else {
			char **v = (char **)((char *)u + uconf_keys[i].off);

			/* The last one wins; an empty value unsets. */
			free(*v);
			*v = *value != '\0' ? xstrdup(value) : NULL;
		}
		free(line);
	}
}

void
uconf_load(struct uconf *u, struct strv *warn)
{
	char *dir, *path, *shown, *data = NULL, *cause = NULL;
	size_t len;

	memset(u, 0, sizeof *u);
	dir = uconf_dir();
	path = xasprintf("%s/config", dir);
	shown = uconf_tilde(path);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		;	/* no settings */
	else if (read_file(path, 1 << 20, &data, &len, &cause) != 0)
		strv_addn(warn, xasprintf("%s: %s", shown, cause));
	else if (memchr(data, '\0', len) != NULL)
		strv_addn(warn, xasprintf("%s: not a text file", shown));
	else
		uconf_parse(data, len, shown, u, warn);
	free(cause);
	free(data);
	free(shown);
	free(path);
	free(dir);
}
