/* editor.c: run the operator's editor on a temp file (editor.h). */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "editor.h"
#include "util.h"

/* Larger than any entry file can be; a runaway editor is refused. */
#define EDITOR_MAX	(1024 * 1024)

const char *
editor_command(void)
{
	static const char *vars[] = { "VISUAL", "EDITOR" };
	const char *s, *p;
	size_t i;

	for (i = 0; i < nitems(vars); i++) {
		if ((s = getenv(vars[i])) == NULL)
			continue;
		/* Only blanks is no command. */
		for (p = s; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != '\0')
			return s;
	}
	return "vi";
}

/* Run argv (argv[0] looked up in PATH) and wait; returns the wait status
   or -1 with errno. The child gets default SIGINT and SIGQUIT. */
static int
editor_run(char *const *argv)
{
	struct sigaction ign, old_int, old_quit;
	sigset_t none;
	pid_t pid;
	int status, saved;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "certdeck: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	/* As system() does: a ^C at the terminal is the editor's. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			saved = errno;
			sigaction(SIGINT, &old_int, NULL);
			sigaction(SIGQUIT, &old_quit, NULL);
			errno = saved;
			return -1;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return status;
}

int
editor_edit(const char *text, const char *tag, char **out, char **cause)
{
	const char *cmd = editor_command(), *tmp = getenv("TMPDIR");
	struct strv argv;
	char *path;
	size_t len, i;
	int fd, status, rc = -1;

	*out = NULL;
	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	/* A tag is an entry name ([a-z0-9._-]); anything else is dropped. */
	path = xasprintf("%s/certdeck-XXXXXX-%s", tmp, tag != NULL ? tag : "");
	for (i = strlen(tmp) + 16; path[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789._-",
		    path[i]) == NULL)
			path[i] = '_';
	/* mkstemps makes it 0600 and refuses to follow a planted link. */
	fd = mkstemps(path, (int)strlen(path) - (int)strlen(tmp) - 16);
	if (fd < 0) {
		set_cause(cause, "cannot make a temp file in %s: %s", tmp,
		    strerror(errno));
		free(path);
		return -1;
	}
	status = write_all(fd, text, strlen(text));
	if (close(fd) != 0)
		status = -1;
	if (status != 0) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto out;
	}

	strv_init(&argv);
	{
		/* Split on blanks: "code --wait" is two words, no quoting. */
		char *copy = xstrdup(cmd), *w, *save = NULL;

		for (w = strtok_r(copy, " \t", &save); w != NULL;
		    w = strtok_r(NULL, " \t", &save))
			strv_add(&argv, w);
		free(copy);
	}
	strv_add(&argv, path);
	status = editor_run(argv.v);
	if (status == -1)
		set_cause(cause, "cannot run %s: %s", argv.v[0],
		    strerror(errno));
	else if (WIFSIGNALED(status))
		set_cause(cause, "editor %s was killed by signal %d",
		    argv.v[0], WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		set_cause(cause, "cannot run editor %s (set VISUAL or "
		    "EDITOR)", argv.v[0]);
	else if (WEXITSTATUS(status) != 0)
		set_cause(cause, "editor %s exited with status %d; nothing "
		    "changed", argv.v[0], WEXITSTATUS(status));
	else if (read_file(path, EDITOR_MAX, out, &len, cause) == 0) {
		/* Text only: a NUL would cut it short unseen. */
		if (memchr(*out, '\0', len) != NULL) {
			set_cause(cause, "the edited file contains a NUL byte");
			free(*out);
			*out = NULL;
		} else
			rc = 0;
	}
	strv_free(&argv);
out:
	unlink(path);
	free(path);
	return rc;
}
