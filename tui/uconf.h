/*
 * uconf.h: the operator's own settings, $XDG_CONFIG_HOME/certdeck/config
 * (else ~/.config/certdeck/config): "key = value" lines and "#" comments.
 * Unlike certdeck.conf they belong to the person, not the inventory, and
 * are not versioned. No curses here.
 */
#ifndef CD_TUI_UCONF_H
#define CD_TUI_UCONF_H

#include <stddef.h>

#include "util.h"

struct uconf {
	char	*theme;		/* NULL when not set */
};

/* $XDG_CONFIG_HOME/certdeck (if absolute), else $HOME/.config/certdeck;
   caller frees. */
char	*uconf_dir(void);
/* path with a leading $HOME written as ~, for messages; caller frees. */
char	*uconf_tilde(const char *path);

/*
 * Read the settings file; a missing one is no settings. Each problem (the
 * file cannot be read, a line is not "key = value", an unknown key) is
 * added to warn as "FILE:LINE: reason", and the rest is still used.
 */
void	 uconf_load(struct uconf *, struct strv *warn);
/* The same for text; name is the file as messages show it. */
void	 uconf_parse(const char *text, size_t len, const char *name,
	    struct uconf *, struct strv *warn);
void	 uconf_free(struct uconf *);

#endif
