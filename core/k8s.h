/*
 * k8s.h: Kubernetes TLS secrets (and cert-manager Certificates) read from
 * what `kubectl get -o json` or `-o yaml` prints, or from manifests.
 */
#ifndef CERTDECK_K8S_H
#define CERTDECK_K8S_H

#include <stddef.h>

/* Largest kubectl output read (a cluster's secrets can be many). */
#define K8S_MAX_INPUT	(256u << 20)

/* One kubernetes.io/tls secret. */
struct k8s_secret {
	char	*ns;		/* metadata.namespace, "default" if absent */
	char	*name;		/* metadata.name */
	char	*pem;		/* tls.crt, tls.key, ca.crt, decoded, in turn */
	size_t	 len;
	char	*notes;		/* from a cert-manager Certificate, or NULL */
};

/* Something skipped or refused, said about one object. */
struct k8s_msg {
	int	 level;		/* 1 a note, 2 refused */
	char	*label;		/* "SOURCE: NAMESPACE/NAME" or SOURCE */
	char	*msg;
};

struct k8s_result {
	struct k8s_secret	*secrets;
	size_t			 nsecrets;
	struct k8s_msg		*msgs;
	size_t			 nmsgs;
};

/*
 * Parse data (JSON or YAML, one object, a List, or several YAML
 * documents) from source (a label for messages). -1 with *cause only
 * when the whole input cannot be read as YAML or JSON; problems with
 * single objects go to res->msgs and the rest is still returned.
 */
int	 k8s_parse(const char *data, size_t len, const char *source,
	    struct k8s_result *res, char **cause);
void	 k8s_result_free(struct k8s_result *);

/* 1 if s is an RFC 1123 label (subdomain 0: a namespace) or subdomain
   (1: a Secret's name) as Kubernetes accepts it. */
int	 k8s_name_valid(const char *s, int subdomain);
/*
 * A kubernetes.io/tls Secret manifest (YAML) holding crt (PEM, leaf and
 * chain) and key (PEM, in the clear: the caller writes it mode 0600 or
 * pipes it to kubectl, and wipes it), labelled as certdeck's; entry is
 * named in a comment and must be a valid entry name. NULL with *cause if
 * ns or name is not a valid Kubernetes name.
 */
char	*k8s_tls_secret(const char *ns, const char *name, const char *crt,
	    const char *key, const char *entry, char **cause);

#endif
