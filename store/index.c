/*
 * index.c: the SQLite index of an inventory (store/index.h).
 *
 * After fossil's db.c: every fixed statement is prepared once, on first
 * use, and kept in struct idx; parameters are bound by name (:blob) through
 * a few small wrappers; the schema version lives in PRAGMA user_version and
 * is checked at open. The index is a cache of git, so a version mismatch
 * simply drops everything and starts again empty (head "").
 *
 * Schema (version IDX_SCHEMA_VERSION):
 *   meta(key, value)                      "head" = the indexed commit
 *   files(blob, ncerts, eff_not_after, eff_from, unsigned_at)
 *                                         one PEM file, by blob id
 *   chain(blob, pos, cert)                its certificates; pos 0 the leaf
 *   certs(id, <every certrec field>)      one row per certificate
 *   entries(name, cert_blob, entry_blob, owner, tags, endpoints, profile, meta,
 *     eff_not_after, leaf_not_before)     the last two copied from the
 *                                         entry's file (see below)
 *   probes(...), jobs(...)                observed, not versioned in git
 *   temp.at_entries(like entries)         per connection: another commit's
 *                                         entries, for `list --at`
 *
 * A certificate is stored once by its SHA-256 fingerprint, however many
 * files hold it: the PEM files of an inventory repeat the same few
 * intermediates. At 100,000 files of leaf + 2 intermediates that makes the
 * index 185 MB instead of 308 MB (measured), and each further chain
 * certificate a look-up rather than a 700-byte row. The fingerprint is a
 * hash of the DER, so the first record stored for it stands for all (a
 * parser change bumps IDX_SCHEMA_VERSION, which rebuilds everything). A
 * record without a fingerprint is never shared.
 *
 * No foreign keys: files/chain/certs are a content-addressed cache written
 * together by idx_file_put, and an entry may name a blob not cached yet.
 * Every read finds a file through its files row (see idx_file_put).
 * Certificates no file refers to any more are left behind: harmless, and
 * time travel to an old commit finds them again.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util.h"
#include "index.h"

#define IDX_SCHEMA_VERSION	3	/* 2: files.unsigned_at; 3: entries'
					   expiry columns (idx_migrations) */
#define IDX_APPLICATION_ID	0x63657274	/* "cert", marks our files */
#define IDX_BUSY_TIMEOUT_MS	10000

/*
 * certrec fields and certs columns, in column order. The certs DDL, the
 * INSERT and the SELECTs are all generated from this table, so a field is
 * added in one place (and IDX_SCHEMA_VERSION bumped).
 */
enum certcol_type {
	CC_STR,		/* char *, NULL allowed */
	CC_ARR,		/* char[N]; "" is stored as NULL */
	CC_I64,		/* int64_t */
	CC_INT,		/* int */
};
struct certcol {
	const char		*name;
	enum certcol_type	 type;
	size_t			 off;
	size_t			 size;
};
#define CC(t, f) { #f, t, offsetof(struct certrec, f), \
	sizeof(((struct certrec *)0)->f) }
static const struct certcol certcols[] = {
	CC(CC_STR, subject),
	CC(CC_STR, issuer),
	CC(CC_STR, subject_cn),
	CC(CC_STR, issuer_cn),
	CC(CC_STR, serial),
	CC(CC_I64, not_before),
	CC(CC_I64, not_after),
	CC(CC_STR, sans),
	CC(CC_STR, key_type),
	CC(CC_INT, key_bits),
	CC(CC_STR, key_curve),
	CC(CC_STR, sig_alg),
	CC(CC_ARR, sha256),
	CC(CC_ARR, sha1),
	CC(CC_STR, spki_sha256),
	CC(CC_STR, ski),
	CC(CC_STR, aki),
	CC(CC_INT, is_ca),
	CC(CC_INT, path_len),
	CC(CC_STR, key_usage),
	CC(CC_STR, ext_key_usage),
	CC(CC_STR, ocsp),
	CC(CC_STR, ca_issuers),
	CC(CC_STR, crl_dp),
	CC(CC_INT, must_staple),
	CC(CC_INT, self_signed),
	CC(CC_INT, version),
};
#undef CC
#define NCERTCOLS	((int)nitems(certcols))

/*
 * The list's order and the header's counts per status come from two
 * columns of entries copied from the entry's certificate file: its
 * effective notAfter (files.eff_not_after, what idx_list sorts by) and its
 * leaf's notBefore (the lifetime the expiry policy looks at). Through
 * entries_expiry a listing by expiry walks the index instead of sorting
 * every row before the first comes out (about 1 s at 100,000 entries), so
 * a caller that stops after a screenful reads a screenful, and
 * idx_count_expiring is a range of the index. They are set from files and
 * certs (IDX_EXPIRY_OF) when an entry is put, and again for the entries
 * of a file when the file is put (an entry may name a blob cached later).
 */
#define IDX_ENTRY_EXPIRY_COLS						\
	" eff_not_after INTEGER,"		/* NULL: no certificate */ \
	" leaf_not_before INTEGER"
#define IDX_ENTRY_EXPIRY_INDEX						\
	"CREATE INDEX entries_expiry ON entries(eff_not_after, name,"	\
	" leaf_not_before);"
/* The two values for the file whose blob id is the SQL expression blob. */
#define IDX_EXPIRY_OF(blob)						\
	"(SELECT f.eff_not_after FROM files f WHERE f.blob = " blob "),"	\
	" (SELECT c.not_before FROM files f"				\
	" JOIN chain h ON h.blob = f.blob AND h.pos = 0"		\
	" JOIN certs c ON c.id = h.cert WHERE f.blob = " blob ")"

/* The fixed part of the schema; certs is generated from certcols. */
static const char idx_schema_sql[] =
	"CREATE TABLE meta("
	" key TEXT NOT NULL PRIMARY KEY,"
	" value TEXT"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE files("
	" blob TEXT NOT NULL PRIMARY KEY,"
	" ncerts INTEGER NOT NULL,"
	" eff_not_after INTEGER,"		/* NULL when ncerts is 0 */
	" eff_from TEXT,"
	" unsigned_at INTEGER NOT NULL DEFAULT 0"	/* certfile's */
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE chain("
	" blob TEXT NOT NULL,"
	" pos INTEGER NOT NULL,"
	" cert INTEGER NOT NULL,"		/* certs.id */
	" PRIMARY KEY(blob, pos)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX chain_cert ON chain(cert, pos);"
	"CREATE UNIQUE INDEX certs_sha256 ON certs(sha256);"
	"CREATE INDEX certs_subject ON certs(subject, sans);"
	"CREATE TABLE entries("
	" name TEXT NOT NULL PRIMARY KEY,"
	" cert_blob TEXT NOT NULL,"		/* '' when no cert.pem */
	" entry_blob TEXT NOT NULL,"
	" owner TEXT,"
	" tags TEXT,"
	" endpoints TEXT,"
	" profile TEXT,"
	" meta TEXT,"
	IDX_ENTRY_EXPIRY_COLS
	") STRICT;"
	"CREATE INDEX entries_cert ON entries(cert_blob);"
	IDX_ENTRY_EXPIRY_INDEX
	"CREATE TABLE probes("
	" id INTEGER PRIMARY KEY,"
	" endpoint TEXT,"
	" entry TEXT,"
	" time INTEGER,"
	" ok INTEGER,"
	" kind TEXT,"
	" detail TEXT,"
	" leaf_sha256 TEXT,"
	" json TEXT"
	") STRICT;"
	"CREATE INDEX probes_endpoint ON probes(endpoint, time);"
	"CREATE INDEX probes_entry ON probes(entry, time);"
	"CREATE TABLE jobs("
	" id INTEGER PRIMARY KEY,"
	" entry TEXT,"
	" kind TEXT,"
	" started INTEGER,"
	" ended INTEGER,"
	" ok INTEGER,"
	" output TEXT"
	") STRICT;"
	"CREATE INDEX jobs_entry ON jobs(entry, started);";

/*
 * The cached statements. NULL text means generated at prepare time from
 * certcols (see idx_stmt_sql).
 */
#define IDX_STATEMENTS							\
	X(BEGIN,	"BEGIN IMMEDIATE")				\
	X(BEGIN_READ,	"BEGIN DEFERRED")				\
	X(COMMIT,	"COMMIT")					\
	X(ROLLBACK,	"ROLLBACK")					\
	X(HEAD_GET,	"SELECT value FROM meta WHERE key = 'head'")	\
	X(HEAD_SET,	"INSERT INTO meta(key, value) VALUES('head', :value)" \
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value") \
	X(META_GET,	"SELECT value FROM meta WHERE key = :key")	\
	X(META_SET,	"INSERT INTO meta(key, value) VALUES(:key, :value)" \
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value") \
	X(FILE_HAS,	"SELECT 1 FROM files WHERE blob = :blob")	\
	X(FILE_DEL,	"DELETE FROM files WHERE blob = :blob")		\
	X(FILE_PUT,	"INSERT INTO files(blob, ncerts,"		\
			" eff_not_after, eff_from, unsigned_at)"	\
			" VALUES(:blob, :ncerts, :eff_not_after, :eff_from,"	\
			" :unsigned_at)")				\
	X(CHAIN_DEL,	"DELETE FROM chain WHERE blob = :blob")		\
	X(CHAIN_PUT,	"INSERT INTO chain(blob, pos, cert)"		\
			" VALUES(:blob, :pos, :cert)")			\
	X(CERT_FIND,	"SELECT id FROM certs WHERE sha256 = :sha256")	\
	X(CERT_PUT,	NULL)						\
	X(FILE_GET,	NULL)						\
	X(ENTRY_PUT,	"INSERT INTO entries(name, cert_blob, entry_blob," \
			" owner, tags, endpoints, profile, meta,"	\
			" eff_not_after, leaf_not_before)"		\
			" VALUES(:name, :cert_blob, :entry_blob, :owner,"	\
			" :tags, :endpoints, :profile, :meta, "		\
			IDX_EXPIRY_OF(":cert_blob") ")"			\
			" ON CONFLICT(name) DO UPDATE SET"		\
			" cert_blob = excluded.cert_blob,"		\
			" entry_blob = excluded.entry_blob,"		\
			" owner = excluded.owner, tags = excluded.tags," \
			" endpoints = excluded.endpoints,"		\
			" profile = excluded.profile, meta = excluded.meta," \
			" eff_not_after = excluded.eff_not_after,"	\
			" leaf_not_before = excluded.leaf_not_before")	\
	X(ENTRY_EXPIRY_SET, "UPDATE entries SET (eff_not_after,"	\
			" leaf_not_before) = (" IDX_EXPIRY_OF(":blob") ")" \
			" WHERE cert_blob = :blob AND (eff_not_after,"	\
			" leaf_not_before) IS NOT ("			\
			IDX_EXPIRY_OF(":blob") ")")			\
	X(ENTRY_STALE,	"SELECT count(*) FROM entries WHERE"		\
			" (eff_not_after, leaf_not_before) IS NOT ("	\
			IDX_EXPIRY_OF("entries.cert_blob") ")")		\
	X(COUNT_EXPIRING, "SELECT count(*) FROM entries"		\
			" WHERE eff_not_after <= :before AND (:part = 0"	\
			" OR eff_not_after <= leaf_not_before"		\
			" OR eff_not_after - (eff_not_after -"		\
			" leaf_not_before) / :part <= :when)")		\
	X(COUNT_NO_CERT, "SELECT count(*) FROM entries"		\
			" WHERE eff_not_after IS NULL")			\
	X(AT_CREATE,	"CREATE TEMP TABLE IF NOT EXISTS at_entries("	\
			" name TEXT NOT NULL PRIMARY KEY,"		\
			" cert_blob TEXT NOT NULL,"			\
			" entry_blob TEXT NOT NULL,"			\
			" owner TEXT, tags TEXT, endpoints TEXT,"	\
			" profile TEXT, meta TEXT,"			\
			IDX_ENTRY_EXPIRY_COLS ") STRICT")		\
	X(AT_CLEAR,	"DELETE FROM temp.at_entries")			\
	X(AT_COPY,	"INSERT INTO temp.at_entries SELECT name,"	\
			" cert_blob, entry_blob, owner, tags, endpoints," \
			" profile, meta, eff_not_after, leaf_not_before" \
			" FROM main.entries")				\
	X(AT_DEL,	"DELETE FROM temp.at_entries WHERE name = :name") \
	X(AT_PUT,	"INSERT OR REPLACE INTO temp.at_entries(name,"	\
			" cert_blob, entry_blob, owner, tags, endpoints," \
			" profile, meta, eff_not_after, leaf_not_before)" \
			" VALUES(:name, :cert_blob, :entry_blob, :owner,"	\
			" :tags, :endpoints, :profile, :meta, "		\
			IDX_EXPIRY_OF(":cert_blob") ")")		\
	X(ENTRY_DEL,	"DELETE FROM entries WHERE name = :name")	\
	X(ENTRY_CLEAR,	"DELETE FROM entries")				\
	X(ENTRY_GET,	"SELECT name, cert_blob, entry_blob, owner, tags," \
			" endpoints, profile, meta"			\
			" FROM entries WHERE name = :name")		\
	X(ENTRY_COUNT,	"SELECT count(*) FROM entries")			\
	X(FIND_FP,	"SELECT e.name FROM certs c"			\
			" JOIN chain h ON h.cert = c.id"		\
			" JOIN files f ON f.blob = h.blob"		\
			" JOIN entries e ON e.cert_blob = h.blob"	\
			" WHERE c.sha256 = :sha256")			\
	X(FIND_FP_LEAF,	"SELECT e.name FROM certs c"			\
			" JOIN chain h ON h.cert = c.id AND h.pos = 0"	\
			" JOIN files f ON f.blob = h.blob"		\
			" JOIN entries e ON e.cert_blob = h.blob"	\
			" WHERE c.sha256 = :sha256")			\
	X(FIND_SUBJECT,	"SELECT e.name FROM certs c"			\
			" JOIN chain h ON h.cert = c.id AND h.pos = 0"	\
			" JOIN files f ON f.blob = h.blob"		\
			" JOIN entries e ON e.cert_blob = h.blob"	\
			" WHERE c.subject IS :subject AND c.sans IS :sans") \
	X(PROBE_PUT,	"INSERT INTO probes(endpoint, entry, time, ok,"	\
			" kind, detail, leaf_sha256, json) VALUES("	\
			" :endpoint, :entry, :time, :ok, :kind, :detail," \
			" :leaf_sha256, :json)")			\
	X(PROBE_LAST,	"SELECT endpoint, entry, time, ok, kind, detail," \
			" leaf_sha256, json FROM probes"		\
			" WHERE endpoint = :endpoint"			\
			" ORDER BY time DESC, id DESC LIMIT 1")		\
	X(PROBE_LAST_OK, "SELECT endpoint, entry, time, ok, kind, detail," \
			" leaf_sha256, json FROM probes"		\
			" WHERE endpoint = :endpoint AND ok = 1"	\
			" ORDER BY time DESC, id DESC LIMIT 1")		\
	X(PROBE_SEEN,	"SELECT 1 FROM probes WHERE entry = :entry"	\
			" AND leaf_sha256 = :sha256 AND time >= :since"	\
			" LIMIT 1")					\
	X(JOB_PUT,	"INSERT INTO jobs(entry, kind, started, ended,"	\
			" ok, output) VALUES(:entry, :kind, :started,"	\
			" :ended, :ok, :output)")			\
	X(JOB_ENTRIES,	"SELECT DISTINCT entry FROM jobs WHERE kind = :kind" \
			" ORDER BY entry")				\
	X(JOB_RECENT,	"SELECT entry, kind, started, ended, ok, output" \
			" FROM jobs WHERE entry = :entry AND kind = :kind" \
			" ORDER BY started DESC, id DESC LIMIT :n")

enum idx_stmt_id {
#define X(id, sql) ST_##id,
	IDX_STATEMENTS
#undef X
	ST__COUNT
};
static const char *const idx_stmt_text[ST__COUNT] = {
#define X(id, sql) sql,
	IDX_STATEMENTS
#undef X
};

/* idx_list statements, cached per shape of query (see idx_list). */
#define IDX_SORT_COUNT	5
#define IDX_LIST_SHAPES	(IDX_SORT_COUNT * 2 * 2 * 2 * 2 * 2)
_Static_assert(IDX_SORT_OWNER + 1 == IDX_SORT_COUNT,
    "a new enum idx_sort needs its key in idx_sort_key");

/* idx_list result columns: entry, file, then the leaf's certcols. */
enum {
	LC_NAME, LC_CERT_BLOB, LC_ENTRY_BLOB, LC_OWNER, LC_TAGS, LC_ENDPOINTS,
	LC_PROFILE, LC_META, LC_NCERTS, LC_EFF_NOT_AFTER, LC_EFF_FROM,
	LC_LEAF_ID, LC_LEAF
};

struct idx {
	sqlite3		*db;
	int		 in_tx;			/* idx_begin'd */
	int		 at_ready;		/* temp.at_entries exists */
	sqlite3_stmt	*st[ST__COUNT];
	sqlite3_stmt	*list_st[IDX_LIST_SHAPES];
	char		*cols;			/* "subject, issuer, ..." */
	char		*ccols;			/* "c.subject, c.issuer, ..." */
	int		 err;			/* SQLite's code at the last
						   idx_error */
	int		 readonly;		/* opened read-only */
};

/* One line: sqlite3 messages may quote SQL that holds newlines. */
static int
idx_error(struct idx *idx, char **cause, const char *what)
{
	char *msg, *p;

	idx->err = sqlite3_extended_errcode(idx->db);
	msg = xasprintf("index: %s%s%s", what ? what : "", what ? ": " : "",
	    sqlite3_errmsg(idx->db));
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	set_cause(cause, "%s", msg);
	free(msg);
	return -1;
}

static char *
idx_stmt_sql(struct idx *idx, enum idx_stmt_id id)
{
	struct buf b;
	int i;

	if (idx_stmt_text[id] != NULL)
		return xstrdup(idx_stmt_text[id]);
	buf_init(&b);
	switch (id) {
	case ST_CERT_PUT:
		/* Parameters are certcols in order, numbered 1, 2, 3... so
		   idx_bind_certrec binds by position. */
		buf_printf(&b, "INSERT INTO certs(%s) VALUES(", idx->cols);
		for (i = 0; i < NCERTCOLS; i++)
			buf_printf(&b, "%s:%s", i ? ", " : "",
			    certcols[i].name);
		buf_adds(&b, ")");
		break;
	case ST_FILE_GET:
		/* One statement, so the file and its certificates come from
		   one snapshot. */
		buf_printf(&b, "SELECT f.ncerts, f.eff_not_after, f.eff_from,"
		    " h.pos, c.id, %s, f.unsigned_at FROM files f"
		    " LEFT JOIN chain h ON h.blob = f.blob"
		    " LEFT JOIN certs c ON c.id = h.cert"
		    " WHERE f.blob = :blob ORDER BY h.pos", idx->ccols);
		break;
	default:
		abort();
	}
	return buf_steal(&b);
}

static int
idx_prepare(struct idx *idx, const char *sql, int persistent,
    sqlite3_stmt **st, char **cause)
{
	const char *tail;

	if (sqlite3_prepare_v3(idx->db, sql, -1,
	    persistent ? SQLITE_PREPARE_PERSISTENT : 0, st, &tail) != SQLITE_OK)
		return idx_error(idx, cause, NULL);
	if (*st == NULL)
		return set_cause(cause, "index: empty statement");
	while (isspace((unsigned char)*tail) || *tail == ';')
		tail++;
	if (*tail != '\0') {
		sqlite3_finalize(*st);
		*st = NULL;
		return set_cause(cause, "index: more than one statement");
	}
	return 0;
}

/* The cached statement id, prepared on first use, ready to bind. */
static sqlite3_stmt *
idx_stmt(struct idx *idx, enum idx_stmt_id id, char **cause)
{
	char *sql;
	int rc;

	if (idx->st[id] == NULL) {
		sql = idx_stmt_sql(idx, id);
		rc = idx_prepare(idx, sql, 1, &idx->st[id], cause);
		free(sql);
		if (rc != 0)
			return NULL;
	}
	return idx->st[id];
}

/* Reset after use (or on error) so the statement holds no read lock. */
static void
idx_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int
idx_param(struct idx *idx, sqlite3_stmt *st, const char *name, char **cause)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0) {
		idx_reset(st);
		set_cause(cause, "index: no parameter %s", name);
	}
	return i;
}

static int
idx_bind_rc(struct idx *idx, sqlite3_stmt *st, int rc, char **cause)
{
	if (rc == SQLITE_OK)
		return 0;
	idx_error(idx, cause, NULL);
	idx_reset(st);
	return -1;
}

/* Text, or NULL for SQL NULL. SQLITE_STATIC: bound values outlive the step. */
static int
idx_bind_text(struct idx *idx, sqlite3_stmt *st, const char *name,
    const char *v, char **cause)
{
	int i = idx_param(idx, st, name, cause);

	if (i == 0)
		return -1;
	return idx_bind_rc(idx, st, v == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC), cause);
}

static int
idx_bind_int64(struct idx *idx, sqlite3_stmt *st, const char *name,
    int64_t v, char **cause)
{
	int i = idx_param(idx, st, name, cause);

	if (i == 0)
		return -1;
	return idx_bind_rc(idx, st, sqlite3_bind_int64(st, i, v), cause);
}

/*
 * Step: 1 with a row (call again, or idx_reset when done with it), 0 when
 * done (statement reset), -1 on error (statement reset, *cause set).
 */
static int
idx_step(struct idx *idx, sqlite3_stmt *st, char **cause)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		idx_reset(st);
		return 0;
	}
	idx_error(idx, cause, NULL);
	idx_reset(st);
	return -1;
}

/* Run a cached statement that takes no parameters and returns no row. */
static int
idx_exec_id(struct idx *idx, enum idx_stmt_id id, char **cause)
{
	sqlite3_stmt *st = idx_stmt(idx, id, cause);

	if (st == NULL)
		return -1;
	return idx_step(idx, st, cause) < 0 ? -1 : 0;
}

/* Run a one-off statement that returns one integer (or none: *out 0). */
static int
idx_int(struct idx *idx, const char *sql, int64_t *out, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (idx_prepare(idx, sql, 0, &st, cause) != 0)
		return -1;
	rc = idx_step(idx, st, cause);
	if (rc == 1)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void
copy_arr(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n != 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Bind a certrec to the certcols parameters, numbered from first. */
static int
idx_bind_certrec(struct idx *idx, sqlite3_stmt *st, int first,
    const struct certrec *r, char **cause)
{
	const struct certcol *cc;
	const char *p;
	int i, rc = SQLITE_OK;

	for (i = 0; i < NCERTCOLS && rc == SQLITE_OK; i++) {
		cc = &certcols[i];
		p = (const char *)r + cc->off;
		switch (cc->type) {
		case CC_STR:
			if (*(char *const *)p == NULL)
				rc = sqlite3_bind_null(st, first + i);
			else
				rc = sqlite3_bind_text(st, first + i,
				    *(char *const *)p, -1, SQLITE_STATIC);
			break;
		case CC_ARR:
			if (*p == '\0')
				rc = sqlite3_bind_null(st, first + i);
			else
				rc = sqlite3_bind_text(st, first + i, p,
				    (int)strnlen(p, cc->size), SQLITE_STATIC);
			break;
		case CC_I64:
			rc = sqlite3_bind_int64(st, first + i,
			    *(const int64_t *)p);
			break;
		case CC_INT:
			rc = sqlite3_bind_int(st, first + i, *(const int *)p);
			break;
		}
	}
	return idx_bind_rc(idx, st, rc, cause);
}

/*
 * Fill a certrec from the certcols columns starting at first. With copy,
 * strings are duplicated (the caller certrec_free's); without, they point
 * into the row and are valid until the next step.
 */
static void
idx_row_certrec(sqlite3_stmt *st, int first, struct certrec *r, int copy)
{
	const struct certcol *cc;
	const char *s;
	char *p;
	int i;

	for (i = 0; i < NCERTCOLS; i++) {
		cc = &certcols[i];
		p = (char *)r + cc->off;
		switch (cc->type) {
		case CC_STR:
			s = col_text(st, first + i);
			*(char **)p = s == NULL ? NULL :
			    copy ? xstrdup(s) : (char *)s;
			break;
		case CC_ARR:
			copy_arr(p, cc->size, col_text(st, first + i));
			break;
		case CC_I64:
			*(int64_t *)p = sqlite3_column_int64(st, first + i);
			break;
		case CC_INT:
			*(int *)p = sqlite3_column_int(st, first + i);
			break;
		}
	}
}

/*
 * Several statements as one change when the caller has no transaction
 * open (*own set); inside the caller's, nothing: see idx_file_put.
 */
static int
idx_atomic_begin(struct idx *idx, int *own, char **cause)
{
	*own = sqlite3_get_autocommit(idx->db);
	return *own ? idx_exec_id(idx, ST_BEGIN, cause) : 0;
}

static int
idx_atomic_end(struct idx *idx, int own, int ok, char **cause)
{
	if (!own)
		return ok ? 0 : -1;
	if (ok && idx_exec_id(idx, ST_COMMIT, cause) == 0)
		return 0;
	if (!sqlite3_get_autocommit(idx->db))
		idx_exec_id(idx, ST_ROLLBACK, NULL);
	return -1;
}

static int
idx_drop_all(struct idx *idx, char **cause)
{
	sqlite3_stmt *st;
	struct strv drop;
	char *sql;
	size_t i;
	int rc;

	/* Views before tables; dropping a table drops its indexes. */
	if (idx_prepare(idx, "SELECT type, name FROM sqlite_schema"
	    " WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite\\_%'"
	    " ESCAPE '\\' ORDER BY type = 'table'", 0, &st, cause) != 0)
		return -1;
	strv_init(&drop);
	while ((rc = idx_step(idx, st, cause)) == 1) {
		sql = sqlite3_mprintf("DROP %s IF EXISTS \"%w\"",
		    strcmp(col_text(st, 0), "view") == 0 ? "VIEW" : "TABLE",
		    col_text(st, 1));
		if (sql == NULL)
			abort();
		strv_add(&drop, sql);
		sqlite3_free(sql);
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < drop.n; i++)
		if (sqlite3_exec(idx->db, drop.v[i], NULL, NULL, NULL) !=
		    SQLITE_OK)
			rc = idx_error(idx, cause, "dropping old schema");
	strv_free(&drop);
	return rc;
}

static int
idx_create_schema(struct idx *idx, char **cause)
{
	struct buf b;
	int i, rc;

	buf_init(&b);
	buf_adds(&b, "CREATE TABLE certs(id INTEGER PRIMARY KEY");
	for (i = 0; i < NCERTCOLS; i++)
		buf_printf(&b, ", %s %s", certcols[i].name,
		    certcols[i].type == CC_STR || certcols[i].type == CC_ARR ?
		    "TEXT" : "INTEGER NOT NULL");
	buf_adds(&b, ") STRICT;");
	buf_adds(&b, idx_schema_sql);
	buf_printf(&b, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
	    IDX_APPLICATION_ID, IDX_SCHEMA_VERSION);
	rc = sqlite3_exec(idx->db, b.data, NULL, NULL, NULL);
	buf_free(&b);
	if (rc != SQLITE_OK)
		return idx_error(idx, cause, "creating schema");
	return 0;
}

/*
 * An index of an older version is brought up to date by the migrations
 * from its version on, each computing what it adds from what the index
 * holds: the parse cache and the observations (probes, jobs) stay, so
 * an inventory of 100,000 entries takes about a second rather than a
 * re-parse of every certificate (half a minute and more). A version
 * without a migration here, or one whose migration fails, is dropped and
 * rebuilt (a cache).
 */
static const struct {
	int		 from;		/* to from + 1 */
	const char	*sql;
} idx_migrations[] = {
	{ 2, "ALTER TABLE entries ADD COLUMN eff_not_after INTEGER;"
	    " ALTER TABLE entries ADD COLUMN leaf_not_before INTEGER;"
	    " UPDATE entries SET (eff_not_after, leaf_not_before) = ("
	    IDX_EXPIRY_OF("entries.cert_blob") ");"
	    IDX_ENTRY_EXPIRY_INDEX },
};

/*
 * Inside the caller's transaction: 1 when the migrations took the index
 * from ver to IDX_SCHEMA_VERSION, 0 when they cannot (nothing changed),
 * -1 on an error that leaves the transaction to roll back.
 */
static int
idx_migrate(struct idx *idx, int64_t ver, char **cause)
{
	char sql[64];
	size_t i;
	int64_t v;

	/* All the steps exist, or none is taken. */
	for (v = ver; v < IDX_SCHEMA_VERSION; v++) {
		for (i = 0; i < nitems(idx_migrations); i++)
			if (idx_migrations[i].from == v)
				break;
		if (i == nitems(idx_migrations))
			return 0;
	}
	if (ver >= IDX_SCHEMA_VERSION ||
	    sqlite3_exec(idx->db, "SAVEPOINT migrate", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return 0;
	for (v = ver; v < IDX_SCHEMA_VERSION; v++) {
		for (i = 0; idx_migrations[i].from != v; i++)
			;
		if (sqlite3_exec(idx->db, idx_migrations[i].sql, NULL, NULL,
		    NULL) != SQLITE_OK) {
			sqlite3_exec(idx->db, "ROLLBACK TO migrate;"
			    " RELEASE migrate", NULL, NULL, NULL);
			return 0;
		}
	}
	snprintf(sql, sizeof sql, "RELEASE migrate; PRAGMA user_version = %d",
	    IDX_SCHEMA_VERSION);
	if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return idx_error(idx, cause, "migrating the index");
	return 1;
}

/*
 * Check the schema version; on a mismatch migrate, or else drop
 * everything and recreate, under a write lock so two processes opening at
 * once agree. A database with tables that is not ours (no application_id)
 * is refused rather than emptied.
 */
static int
idx_check_schema(struct idx *idx, char **cause)
{
	int64_t ver, app, nobj;
	int rc;

	if (idx_int(idx, "PRAGMA user_version", &ver, cause) != 0 ||
	    idx_int(idx, "PRAGMA application_id", &app, cause) != 0)
		return -1;
	if (ver == IDX_SCHEMA_VERSION && app == IDX_APPLICATION_ID)
		return 0;

	if (idx_exec_id(idx, ST_BEGIN, cause) != 0)
		return -1;
	if (idx_int(idx, "PRAGMA user_version", &ver, cause) != 0 ||
	    idx_int(idx, "PRAGMA application_id", &app, cause) != 0 ||
	    idx_int(idx, "SELECT count(*) FROM sqlite_schema", &nobj,
	    cause) != 0)
		goto fail;
	if (ver == IDX_SCHEMA_VERSION && app == IDX_APPLICATION_ID)
		return idx_exec_id(idx, ST_COMMIT, cause);
	if (app != IDX_APPLICATION_ID && nobj != 0) {
		set_cause(cause, "index: not a certdeck index (application_id"
		    " %lld), not touching it", (long long)app);
		goto fail;
	}
	if (app == IDX_APPLICATION_ID && (rc = idx_migrate(idx, ver,
	    cause)) != 0) {
		if (rc < 0 || idx_exec_id(idx, ST_COMMIT, cause) != 0)
			goto fail;
		return 0;
	}
	if (idx_drop_all(idx, cause) != 0 || idx_create_schema(idx, cause) != 0)
		goto fail;
	if (idx_exec_id(idx, ST_COMMIT, cause) != 0)
		goto fail;
	return 0;

fail:
	if (!sqlite3_get_autocommit(idx->db))
		sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void
idx_build_cols(struct idx *idx)
{
	struct buf a, b;
	int i;

	buf_init(&a);
	buf_init(&b);
	for (i = 0; i < NCERTCOLS; i++) {
		buf_printf(&a, "%s%s", i ? ", " : "", certcols[i].name);
		buf_printf(&b, "%sc.%s", i ? ", " : "", certcols[i].name);
	}
	idx->cols = buf_steal(&a);
	idx->ccols = buf_steal(&b);
}

/*
 * An inventory that cannot be written here (a read-only mount, a backup,
 * another user's): its index is read as it stands, "immutable" (SQLite
 * then takes no lock and makes no -shm file, which it could not). What
 * a writer checkpoints on closing is in the file; a reader here does not
 * see a change another process makes meanwhile, as with a snapshot.
 */
static int
idx_open_ro(const char *path, sqlite3 **db)
{
	static const char hex[] = "0123456789abcdef";
	struct buf uri;
	const unsigned char *p;
	int rc;

	buf_init(&uri);
	/* "file://" and an empty authority: a path may begin with "//". */
	buf_adds(&uri, path[0] == '/' ? "file://" : "file:");
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("/-._~", *p) != NULL)
			buf_addc(&uri, (char)*p);
		else {
			buf_addc(&uri, '%');
			buf_addc(&uri, hex[*p >> 4]);
			buf_addc(&uri, hex[*p & 15]);
		}
	}
	buf_adds(&uri, "?immutable=1");
	rc = sqlite3_open_v2(uri.data, db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	    NULL);
	buf_free(&uri);
	return rc;
}

/* Whether files can be made beside path (a missing file: not asked). */
static int
dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	if (access(path, F_OK) != 0)
		return 1;
	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	r = access(dir, W_OK) == 0;
	free(dir);
	return r;
}

int
idx_is_readonly(const struct idx *idx)
{
	return idx->readonly;
}

int
idx_open(const char *path, struct idx **out, char **cause)
{
	struct idx *idx;
	sqlite3_stmt *st;
	const char *mode;
	int rc, ret = -1;

	*out = NULL;
	idx = xcalloc(1, sizeof *idx);
	idx_build_cols(idx);
	rc = sqlite3_open_v2(path, &idx->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	    NULL);
	/*
	 * Not writable here, but there: read it as it stands. A file that
	 * is writable in a directory that is not is as read-only: WAL needs
	 * its -wal and -shm files beside it.
	 */
	if ((rc == SQLITE_OK && sqlite3_db_readonly(idx->db, "main") == 1) ||
	    ((rc & 0xff) == SQLITE_CANTOPEN && access(path, R_OK) == 0 &&
	    access(path, W_OK) != 0) ||
	    (rc == SQLITE_OK && !dir_writable(path))) {
		sqlite3_close(idx->db);
		idx->db = NULL;
		rc = idx_open_ro(path, &idx->db);
		idx->readonly = rc == SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		set_cause(cause, "%s: %s", path, idx->db != NULL ?
		    sqlite3_errmsg(idx->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(idx->db, IDX_BUSY_TIMEOUT_MS);
	/* No double-quoted string literals: a typo'd column is an error. */
	sqlite3_db_config(idx->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(idx->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(idx->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

	/* The first read also tells whether the file is a database at all. */
	if (idx_prepare(idx, idx->readonly ? "PRAGMA journal_mode" :
	    "PRAGMA journal_mode = WAL", 0, &st, cause) != 0)
		goto fail_path;
	if (idx_step(idx, st, cause) != 1) {
		sqlite3_finalize(st);
		goto fail_path;
	}
	mode = col_text(st, 0);
	if (!idx->readonly && (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    strcmp(mode, "memory") != 0))) {
		set_cause(cause, "%s: cannot use WAL journal (got %s)", path,
		    mode ? mode : "nothing");
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	/*
	 * A 32 MiB page cache holds the indexes a bulk reindex writes at
	 * random (16 MiB: 20% slower at 100,000 files). Sorting stays in
	 * temporary files: in memory a listing of 100,000 rows by expiry was
	 * 20% faster but peaked at twice the memory (133 MB).
	 */
	if (sqlite3_exec(idx->db, "PRAGMA synchronous = NORMAL;"
	    " PRAGMA cache_size = -32768;",	/* KiB */
	    NULL, NULL, NULL) != SQLITE_OK) {
		idx_error(idx, cause, NULL);
		goto fail_path;
	}
	if (idx_check_schema(idx, cause) != 0)
		goto fail_path;
	*out = idx;
	return 0;

fail_path:
	/* Name the file: the caller may not know where the index lives. */
	if (cause != NULL && *cause != NULL &&
	    str_startswith(*cause, "index: ")) {
		char *msg = xasprintf("%s: %s", path, *cause + 7);

		free(*cause);
		*cause = msg;
	}
	if ((idx->err & 0xff) == SQLITE_NOTADB ||
	    (idx->err & 0xff) == SQLITE_CORRUPT)
		ret = IDX_OPEN_DAMAGED;
fail:
	idx_close(idx);
	return ret;
}

void
idx_close(struct idx *idx)
{
	size_t i;

	if (idx == NULL)
		return;
	for (i = 0; i < nitems(idx->st); i++)
		sqlite3_finalize(idx->st[i]);
	for (i = 0; i < nitems(idx->list_st); i++)
		sqlite3_finalize(idx->list_st[i]);
	/* An open transaction is rolled back by close. */
	sqlite3_close(idx->db);
	free(idx->cols);
	free(idx->ccols);
	free(idx);
}

int
idx_begin(struct idx *idx, char **cause)
{
	if (idx->in_tx || !sqlite3_get_autocommit(idx->db))
		return set_cause(cause, "index: a transaction is already open");
	if (idx_exec_id(idx, ST_BEGIN, cause) != 0)
		return -1;
	idx->in_tx = 1;
	return 0;
}

/* On failure the transaction is rolled back: nothing is left half-done. */
int
idx_commit(struct idx *idx, char **cause)
{
	if (!idx->in_tx)
		return set_cause(cause, "index: no transaction to commit");
	if (idx_exec_id(idx, ST_COMMIT, cause) != 0) {
		idx_rollback(idx);
		return -1;
	}
	idx->in_tx = 0;
	return 0;
}

void
idx_rollback(struct idx *idx)
{
	if (!sqlite3_get_autocommit(idx->db))
		idx_exec_id(idx, ST_ROLLBACK, NULL);
	idx->in_tx = 0;
}

int
idx_snapshot_begin(struct idx *idx, int *own, char **cause)
{
	*own = sqlite3_get_autocommit(idx->db);
	return *own ? idx_exec_id(idx, ST_BEGIN_READ, cause) : 0;
}

void
idx_snapshot_end(struct idx *idx, int own)
{
	if (own && !sqlite3_get_autocommit(idx->db))
		idx_exec_id(idx, ST_COMMIT, NULL);
}

int
idx_get_head(struct idx *idx, char out[41], char **cause)
{
	sqlite3_stmt *st;
	int rc;

	out[0] = '\0';
	if ((st = idx_stmt(idx, ST_HEAD_GET, cause)) == NULL)
		return -1;
	rc = idx_step(idx, st, cause);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		copy_arr(out, 41, col_text(st, 0));
		idx_reset(st);
	}
	return 0;
}

int
idx_set_head(struct idx *idx, const char *commit, char **cause)
{
	sqlite3_stmt *st;
	size_t i, n;

	n = strlen(commit);
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)commit[i]))
			break;
	if ((n != 0 && n != 40) || i != n)
		return set_cause(cause, "index: bad commit id \"%.64s\"",
		    commit);
	if ((st = idx_stmt(idx, ST_HEAD_SET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":value", commit, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_meta_get(struct idx *idx, const char *key, char **value, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	if ((st = idx_stmt(idx, ST_META_GET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":key", key, cause) != 0)
		return -1;
	if ((rc = idx_step(idx, st, cause)) < 0)
		return -1;
	if (rc == 1) {
		*value = xstrdup(col_text(st, 0));
		idx_reset(st);
	}
	return rc;
}

int
idx_meta_set(struct idx *idx, const char *key, const char *value,
    char **cause)
{
	sqlite3_stmt *st;

	if ((st = idx_stmt(idx, ST_META_SET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":key", key, cause) != 0 ||
	    idx_bind_text(idx, st, ":value", value, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_file_has(struct idx *idx, const char *blob)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = idx_stmt(idx, ST_FILE_HAS, NULL)) == NULL ||
	    idx_bind_text(idx, st, ":blob", blob, NULL) != 0)
		return -1;
	rc = idx_step(idx, st, NULL);
	if (rc == 1)
		idx_reset(st);
	return rc;
}

/* The id of a certificate, stored now unless its fingerprint is known. */
static int
idx_cert_put(struct idx *idx, const struct certrec *r, int64_t *id,
    char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (r->sha256[0] != '\0') {
		if ((st = idx_stmt(idx, ST_CERT_FIND, cause)) == NULL ||
		    idx_bind_text(idx, st, ":sha256", r->sha256, cause) != 0 ||
		    (rc = idx_step(idx, st, cause)) < 0)
			return -1;
		if (rc == 1) {
			*id = sqlite3_column_int64(st, 0);
			idx_reset(st);
			return 0;
		}
	}
	if ((st = idx_stmt(idx, ST_CERT_PUT, cause)) == NULL ||
	    idx_bind_certrec(idx, st, 1, r, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(idx->db);
	return 0;
}

/*
 * Replace whatever was cached for blob. Outside a transaction this is a
 * transaction of its own: all or nothing.
 *
 * Inside the caller's there is no savepoint: a savepoint copies each page
 * it touches to a sub-journal, which made a bulk reindex of 100,000 files
 * take half as long again (3.1 s instead of 2.1 s). Instead the files row, through which every read finds a
 * file, is deleted first and written last, so a put that fails half-way
 * leaves the blob not cached (idx_file_has 0), never half there, and the
 * caller's transaction can go on (or roll back, as it likes). The expiry
 * the blob's entries copy is set with it each time.
 */
int
idx_file_put(struct idx *idx, const char *blob, const struct certfile *cf,
    char **cause)
{
	/* The entries' copies follow the files row, gone and back. */
	static const enum idx_stmt_id del[] = { ST_FILE_DEL, ST_CHAIN_DEL,
	    ST_ENTRY_EXPIRY_SET };
	sqlite3_stmt *st;
	int64_t id;
	size_t i;
	int own, ok = 0;

	if (blob == NULL || *blob == '\0')
		return set_cause(cause, "index: file without a blob id");
	if (cf->n != 0 && cf->certs == NULL)
		return set_cause(cause, "index: file without certificates");
	if (idx_atomic_begin(idx, &own, cause) != 0)
		return -1;

	for (i = 0; i < nitems(del); i++) {
		if ((st = idx_stmt(idx, del[i], cause)) == NULL ||
		    idx_bind_text(idx, st, ":blob", blob, cause) != 0 ||
		    idx_step(idx, st, cause) < 0)
			goto out;
	}
	for (i = 0; i < cf->n; i++) {
		if (idx_cert_put(idx, &cf->certs[i], &id, cause) != 0)
			goto out;
		if ((st = idx_stmt(idx, ST_CHAIN_PUT, cause)) == NULL ||
		    idx_bind_text(idx, st, ":blob", blob, cause) != 0 ||
		    idx_bind_int64(idx, st, ":pos", (int64_t)i, cause) != 0 ||
		    idx_bind_int64(idx, st, ":cert", id, cause) != 0 ||
		    idx_step(idx, st, cause) < 0)
			goto out;
	}
	if ((st = idx_stmt(idx, ST_FILE_PUT, cause)) == NULL ||
	    idx_bind_text(idx, st, ":blob", blob, cause) != 0 ||
	    idx_bind_int64(idx, st, ":ncerts", (int64_t)cf->n, cause) != 0 ||
	    idx_bind_text(idx, st, ":eff_from", cf->eff_from, cause) != 0 ||
	    idx_bind_int64(idx, st, ":unsigned_at", (int64_t)cf->unsigned_at,
	    cause) != 0)
		goto out;
	if (cf->n != 0 && idx_bind_int64(idx, st, ":eff_not_after",
	    cf->eff_not_after, cause) != 0)
		goto out;
	if (idx_step(idx, st, cause) < 0)
		goto out;
	/* Entries of the blob (none for a new file: one probe of an index)
	   get its expiry. */
	if ((st = idx_stmt(idx, ST_ENTRY_EXPIRY_SET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":blob", blob, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		goto out;
	ok = 1;
out:
	return idx_atomic_end(idx, own, ok, cause);
}

int
idx_file_get(struct idx *idx, const char *blob, struct certfile *out,
    char **cause)
{
	sqlite3_stmt *st;
	int64_t ncerts;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if ((st = idx_stmt(idx, ST_FILE_GET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":blob", blob, cause) != 0)
		return -1;
	if ((rc = idx_step(idx, st, cause)) <= 0)
		return rc;

	ncerts = sqlite3_column_int64(st, 0);
	if (ncerts < 0 || (uint64_t)ncerts > SIZE_MAX / sizeof *out->certs) {
		idx_reset(st);
		return set_cause(cause, "index: bad certificate count for %s",
		    blob);
	}
	if (ncerts != 0) {
		out->eff_not_after = sqlite3_column_int64(st, 1);
		out->certs = xcalloc((size_t)ncerts, sizeof *out->certs);
	}
	if (col_text(st, 2) != NULL)
		out->eff_from = xstrdup(col_text(st, 2));
	out->unsigned_at = (size_t)sqlite3_column_int64(st, 5 + NCERTCOLS);

	/* Rows come in pos order; with no certs, one row of NULLs. */
	do {
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue;
		if ((int64_t)n >= ncerts ||
		    sqlite3_column_int64(st, 3) != (int64_t)n ||
		    sqlite3_column_type(st, 4) == SQLITE_NULL) {
			idx_reset(st);
			out->n = n;
			certfile_free(out);
			return set_cause(cause, "index: certificates of %s"
			    " do not match their count", blob);
		}
		idx_row_certrec(st, 5, &out->certs[n++], 1);
	} while ((rc = idx_step(idx, st, cause)) == 1);
	out->n = n;
	if (rc < 0 || (int64_t)n != ncerts) {
		if (rc == 0)
			set_cause(cause, "index: certificates of %s do not"
			    " match their count", blob);
		certfile_free(out);
		return -1;
	}
	return 1;
}

/*
 * The names from a statement whose first column is a name, sorted and
 * each once. Sorted here, not by an ORDER BY: a look-up finds no row or
 * one nearly always, and SQLite opens a sorter for every run of such a
 * statement all the same (a 4 KiB allocation that consolidates the heap
 * each time): two thirds of an import's planning at 10,000 files.
 */
static int
idx_names(struct idx *idx, sqlite3_stmt *st, struct strv *names,
    char **cause)
{
	int rc;

	while ((rc = idx_step(idx, st, cause)) == 1)
		strv_add(names, col_text(st, 0));
	if (rc < 0) {
		strv_free(names);
		return -1;
	}
	strv_sort(names);
	strv_uniq(names);
	return 0;
}

int
idx_find_fingerprint(struct idx *idx, const char *sha256, int leaf_only,
    struct strv *names, char **cause)
{
	sqlite3_stmt *st;
	char fp[65];
	size_t n = 0;

	strv_init(names);
	/* Accept what people paste: upper case, colons. */
	for (; *sha256 != '\0'; sha256++) {
		if (*sha256 == ':')
			continue;
		if (n == sizeof fp - 1)
			return 0;		/* too long: no such certificate */
		fp[n++] = (char)tolower((unsigned char)*sha256);
	}
	fp[n] = '\0';
	if ((st = idx_stmt(idx, leaf_only ? ST_FIND_FP_LEAF : ST_FIND_FP,
	    cause)) == NULL ||
	    idx_bind_text(idx, st, ":sha256", fp, cause) != 0)
		return -1;
	return idx_names(idx, st, names, cause);
}

int
idx_find_subject(struct idx *idx, const char *subject, const char *sans,
    struct strv *names, char **cause)
{
	sqlite3_stmt *st;

	strv_init(names);
	if ((st = idx_stmt(idx, ST_FIND_SUBJECT, cause)) == NULL ||
	    idx_bind_text(idx, st, ":subject", subject, cause) != 0 ||
	    idx_bind_text(idx, st, ":sans", sans, cause) != 0)
		return -1;
	return idx_names(idx, st, names, cause);
}

/* Store an entry with statement id (ENTRY_PUT or AT_PUT). */
static int
idx_entry_put_id(struct idx *idx, enum idx_stmt_id id,
    const struct idx_entry *e, char **cause)
{
	sqlite3_stmt *st;

	if (e->name == NULL || *e->name == '\0')
		return set_cause(cause, "index: entry without a name");
	if (strnlen(e->cert_blob, sizeof e->cert_blob) == sizeof e->cert_blob ||
	    strnlen(e->entry_blob, sizeof e->entry_blob) ==
	    sizeof e->entry_blob)
		return set_cause(cause, "index: bad blob id for %s", e->name);
	if ((st = idx_stmt(idx, id, cause)) == NULL ||
	    idx_bind_text(idx, st, ":name", e->name, cause) != 0 ||
	    idx_bind_text(idx, st, ":cert_blob", e->cert_blob, cause) != 0 ||
	    idx_bind_text(idx, st, ":entry_blob", e->entry_blob, cause) != 0 ||
	    idx_bind_text(idx, st, ":owner", e->owner, cause) != 0 ||
	    idx_bind_text(idx, st, ":tags", e->tags, cause) != 0 ||
	    idx_bind_text(idx, st, ":endpoints", e->endpoints, cause) != 0 ||
	    idx_bind_text(idx, st, ":profile", e->profile, cause) != 0 ||
	    idx_bind_text(idx, st, ":meta", e->meta, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_entry_put(struct idx *idx, const struct idx_entry *e, char **cause)
{
	return idx_entry_put_id(idx, ST_ENTRY_PUT, e, cause);
}

/*
 * The snapshot for `list --at` is a TEMP table: private to this
 * connection, never written to the index file, gone at close.
 */
int
idx_at_begin(struct idx *idx, char **cause)
{
	if (idx_exec_id(idx, ST_AT_CREATE, cause) != 0 ||
	    idx_exec_id(idx, ST_AT_CLEAR, cause) != 0)
		return -1;
	idx->at_ready = 1;
	return 0;
}

int
idx_at_put(struct idx *idx, const struct idx_entry *e, char **cause)
{
	if (!idx->at_ready)
		return set_cause(cause, "index: idx_at_put before idx_at_begin");
	return idx_entry_put_id(idx, ST_AT_PUT, e, cause);
}

int
idx_at_copy(struct idx *idx, char **cause)
{
	if (!idx->at_ready)
		return set_cause(cause, "index: idx_at_copy before idx_at_begin");
	return idx_exec_id(idx, ST_AT_COPY, cause);
}

int
idx_at_del(struct idx *idx, const char *name, char **cause)
{
	sqlite3_stmt *st;

	if ((st = idx_stmt(idx, ST_AT_DEL, cause)) == NULL ||
	    idx_bind_text(idx, st, ":name", name, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

/* Deleting a name that is not there is not an error. */
int
idx_entry_del(struct idx *idx, const char *name, char **cause)
{
	sqlite3_stmt *st;

	if ((st = idx_stmt(idx, ST_ENTRY_DEL, cause)) == NULL ||
	    idx_bind_text(idx, st, ":name", name, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_entry_clear(struct idx *idx, char **cause)
{
	return idx_exec_id(idx, ST_ENTRY_CLEAR, cause);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Fill e from columns first.. (name, cert_blob, ... meta) of a row. */
static void
idx_row_entry(sqlite3_stmt *st, int first, struct idx_entry *e, int copy)
{
	char **strs[] = { &e->name, &e->owner, &e->tags, &e->endpoints,
	    &e->profile, &e->meta };
	int cols[] = { LC_NAME, LC_OWNER, LC_TAGS, LC_ENDPOINTS, LC_PROFILE,
	    LC_META };
	const char *s;
	size_t i;

	for (i = 0; i < nitems(strs); i++) {
		s = col_text(st, first + cols[i]);
		*strs[i] = copy ? dup_or_null(s) : (char *)s;
	}
	copy_arr(e->cert_blob, sizeof e->cert_blob,
	    col_text(st, first + LC_CERT_BLOB));
	copy_arr(e->entry_blob, sizeof e->entry_blob,
	    col_text(st, first + LC_ENTRY_BLOB));
}

int
idx_entry_get(struct idx *idx, const char *name, struct idx_entry *out,
    char **cause)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if ((st = idx_stmt(idx, ST_ENTRY_GET, cause)) == NULL ||
	    idx_bind_text(idx, st, ":name", name, cause) != 0)
		return -1;
	if ((rc = idx_step(idx, st, cause)) != 1)
		return rc;
	idx_row_entry(st, 0, out, 1);
	idx_reset(st);
	return 1;
}

void
idx_entry_free(struct idx_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->owner);
	free(e->tags);
	free(e->endpoints);
	free(e->profile);
	free(e->meta);
	memset(e, 0, sizeof *e);
}

/* The count a bound statement returns, into *n. */
static int
idx_count(struct idx *idx, sqlite3_stmt *st, size_t *n, char **cause)
{
	int rc;

	*n = 0;
	if ((rc = idx_step(idx, st, cause)) < 0)
		return -1;
	if (rc == 1) {
		*n = (size_t)sqlite3_column_int64(st, 0);
		idx_reset(st);
	}
	return 0;
}

/* The same for a cached statement without parameters. */
static int
idx_count_id(struct idx *idx, enum idx_stmt_id id, size_t *n, char **cause)
{
	sqlite3_stmt *st;

	*n = 0;
	if ((st = idx_stmt(idx, id, cause)) == NULL)
		return -1;
	return idx_count(idx, st, n, cause);
}

int
idx_entry_count(struct idx *idx, size_t *n, char **cause)
{
	return idx_count_id(idx, ST_ENTRY_COUNT, n, cause);
}

int
idx_count_expiring(struct idx *idx, int64_t before, int64_t when, int part,
    size_t *n, char **cause)
{
	sqlite3_stmt *st;

	*n = 0;
	if (part < 0)
		return set_cause(cause, "index: bad lifetime part %d", part);
	if ((st = idx_stmt(idx, ST_COUNT_EXPIRING, cause)) == NULL ||
	    idx_bind_int64(idx, st, ":before", before, cause) != 0 ||
	    idx_bind_int64(idx, st, ":when", when, cause) != 0 ||
	    idx_bind_int64(idx, st, ":part", part, cause) != 0)
		return -1;
	return idx_count(idx, st, n, cause);
}

int
idx_count_no_cert(struct idx *idx, size_t *n, char **cause)
{
	return idx_count_id(idx, ST_COUNT_NO_CERT, n, cause);
}

int
idx_entry_stale(struct idx *idx, size_t *n, char **cause)
{
	return idx_count_id(idx, ST_ENTRY_STALE, n, cause);
}

/* Sort keys per enum idx_sort; the name always breaks ties. The expiry
   is the entry's copy, which entries_expiry orders. */
static const char *const idx_sort_key[IDX_SORT_COUNT] = {
	[IDX_SORT_EXPIRY]	= "e.eff_not_after",
	[IDX_SORT_NAME]		= NULL,
	[IDX_SORT_SUBJECT]	= "c.subject_cn COLLATE NOCASE",
	[IDX_SORT_ISSUER]	= "c.issuer_cn COLLATE NOCASE",
	[IDX_SORT_OWNER]	= "e.owner COLLATE NOCASE",
};

/* Fields the filter looks in (as a substring, ASCII case-insensitively). */
static const char *const idx_filter_cols[] = {
	"e.name", "c.subject", "c.sans", "c.issuer", "e.owner", "e.tags",
};

static char *
idx_list_sql(struct idx *idx, const struct idx_query *q, int filter)
{
	const char *dir = q->reverse ? " DESC" : "";
	const char *and = " WHERE ";
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_printf(&b, "SELECT e.name, e.cert_blob, e.entry_blob, e.owner,"
	    " e.tags, e.endpoints, e.profile, e.meta,"
	    " f.ncerts, e.eff_not_after, f.eff_from, c.id, %s"
	    " FROM %s e"
	    " LEFT JOIN files f ON f.blob = e.cert_blob"
	    " LEFT JOIN chain h ON h.blob = f.blob AND h.pos = 0"
	    " LEFT JOIN certs c ON c.id = h.cert", idx->ccols,
	    q->at ? "temp.at_entries" : "main.entries");
	if (q->name != NULL) {
		buf_printf(&b, "%se.name = :name", and);
		and = " AND ";
	}
	if (q->not_after_max != 0) {
		buf_printf(&b, "%se.eff_not_after <= :not_after_max", and);
		and = " AND ";
	}
	if (filter) {
		buf_printf(&b, "%s(", and);
		for (i = 0; i < nitems(idx_filter_cols); i++)
			buf_printf(&b, "%s%s LIKE :filter ESCAPE '\\'",
			    i ? " OR " : "", idx_filter_cols[i]);
		buf_adds(&b, ")");
	}
	/* Rows without the key (no certificate, no owner) go last either way. */
	buf_adds(&b, " ORDER BY ");
	if (idx_sort_key[q->sort] != NULL)
		buf_printf(&b, "%s%s NULLS LAST, ", idx_sort_key[q->sort], dir);
	buf_printf(&b, "e.name%s", dir);
	return buf_steal(&b);
}

/* "%" + filter with %, _ and \ escaped + "%", for LIKE ... ESCAPE '\'. */
static char *
idx_like_pattern(const char *filter)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '%');
	for (; *filter != '\0'; filter++) {
		if (*filter == '%' || *filter == '_' || *filter == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *filter);
	}
	buf_addc(&b, '%');
	return buf_steal(&b);
}

/*
 * The callback returns 0 to go on; anything else stops the listing and is
 * returned as is (so -1 with *cause set by the callback passes through).
 */
int
idx_list(struct idx *idx, const struct idx_query *query, idx_row_cb cb,
    void *arg, char **cause)
{
	static const struct idx_query all = { .sort = IDX_SORT_EXPIRY };
	const struct idx_query *q = query != NULL ? query : &all;
	sqlite3_stmt *st, *own = NULL;
	struct idx_entry e;
	struct certrec leaf;
	struct idx_row row;
	char *sql, *pattern = NULL;
	int filter, key, rc;

	if ((unsigned)q->sort >= IDX_SORT_COUNT)
		return set_cause(cause, "index: unknown sort %d", (int)q->sort);
	if (q->at && !idx->at_ready)
		return set_cause(cause, "index: no snapshot (idx_at_begin)");
	filter = q->filter != NULL && *q->filter != '\0';
	key = (((((((int)q->sort * 2 + (q->reverse != 0)) * 2 + filter) * 2 +
	    (q->not_after_max != 0)) * 2) + (q->name != NULL)) * 2) +
	    (q->at != 0);

	st = idx->list_st[key];
	if (st == NULL || sqlite3_stmt_busy(st)) {
		/* First use, or a callback listing again from inside one. */
		sql = idx_list_sql(idx, q, filter);
		rc = idx_prepare(idx, sql, st == NULL, &own, cause);
		free(sql);
		if (rc != 0)
			return -1;
		if (st == NULL) {
			idx->list_st[key] = own;
			own = NULL;
		}
		st = own != NULL ? own : idx->list_st[key];
	}

	rc = 0;
	if (q->name != NULL)
		rc = idx_bind_text(idx, st, ":name", q->name, cause);
	if (rc == 0 && q->not_after_max != 0)
		rc = idx_bind_int64(idx, st, ":not_after_max",
		    q->not_after_max, cause);
	if (rc == 0 && filter) {
		pattern = idx_like_pattern(q->filter);
		rc = idx_bind_text(idx, st, ":filter", pattern, cause);
	}
	if (rc != 0)
		goto out;

	/* One stack entry and leaf for every row, pointing into the row. */
	while ((rc = idx_step(idx, st, cause)) == 1) {
		memset(&row, 0, sizeof row);
		idx_row_entry(st, 0, &e, 0);
		row.entry = &e;
		if (sqlite3_column_type(st, LC_NCERTS) != SQLITE_NULL) {
			row.chain_len = (size_t)sqlite3_column_int64(st,
			    LC_NCERTS);
			row.eff_not_after = sqlite3_column_int64(st,
			    LC_EFF_NOT_AFTER);
			row.eff_from = col_text(st, LC_EFF_FROM);
		}
		if (sqlite3_column_type(st, LC_LEAF_ID) != SQLITE_NULL) {
			idx_row_certrec(st, LC_LEAF, &leaf, 0);
			row.leaf = &leaf;
		}
		if ((rc = cb(arg, &row)) != 0) {
			idx_reset(st);
			break;
		}
	}
	/* rc: 0 done, -1 step error, else what the callback returned. */
out:
	free(pattern);
	if (own != NULL)
		sqlite3_finalize(own);
	return rc;
}

int
idx_list_plan(struct idx *idx, const struct idx_query *q, char **plan,
    char **cause)
{
	sqlite3_stmt *st;
	struct buf b;
	char *sql, *eqp;
	int rc;

	*plan = NULL;
	sql = idx_list_sql(idx, q, q->filter != NULL && *q->filter != '\0');
	eqp = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	free(sql);
	rc = idx_prepare(idx, eqp, 0, &st, cause);
	free(eqp);
	if (rc != 0)
		return -1;
	buf_init(&b);
	while ((rc = idx_step(idx, st, cause)) == 1)
		buf_printf(&b, "%s\n", col_text(st, 3));
	sqlite3_finalize(st);
	if (rc < 0) {
		buf_free(&b);
		return -1;
	}
	*plan = buf_steal(&b);
	return 0;
}

/*
 * Run a read-only statement returning one integer: its first column of its
 * first row (0 if NULL). No row is an error.
 */
int
idx_scalar(struct idx *idx, const char *sql, int64_t *out, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (idx_prepare(idx, sql, 0, &st, cause) != 0)
		return -1;
	if (!sqlite3_stmt_readonly(st)) {
		sqlite3_finalize(st);
		return set_cause(cause, "index: not a read-only query");
	}
	rc = idx_step(idx, st, cause);
	if (rc == 1)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == 0)
		set_cause(cause, "index: query returned no row");
	sqlite3_finalize(st);
	return rc == 1 ? 0 : -1;
}

int
idx_quick_check(struct idx *idx, char **what, char **cause)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	char *p;
	int rc;

	*what = NULL;
	rc = idx_prepare(idx, "PRAGMA quick_check(1)", 0, &st, cause);
	if (rc == 0 && (rc = idx_step(idx, st, cause)) == 1) {
		t = col_text(st, 0);
		if (t == NULL || strcmp(t, "ok") != 0)
			*what = xstrdup(t != NULL ? t : "damaged");
	} else if (rc < 0 && ((idx->err & 0xff) == SQLITE_CORRUPT ||
	    (idx->err & 0xff) == SQLITE_NOTADB))
		*what = xstrdup(sqlite3_errmsg(idx->db));
	sqlite3_finalize(st);
	if (*what == NULL)
		return rc < 0 ? -1 : 0;
	if (cause != NULL) {		/* said in *what */
		free(*cause);
		*cause = NULL;
	}
	for (p = *what; *p != '\0'; p++)	/* one line */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return 1;
}

int
idx_probe_put(struct idx *idx, const struct idx_probe *p, char **cause)
{
	sqlite3_stmt *st;

	if (p->endpoint == NULL || p->kind == NULL)
		return set_cause(cause, "index: probe without endpoint or kind");
	if ((st = idx_stmt(idx, ST_PROBE_PUT, cause)) == NULL ||
	    idx_bind_text(idx, st, ":endpoint", p->endpoint, cause) != 0 ||
	    idx_bind_text(idx, st, ":entry", p->entry, cause) != 0 ||
	    idx_bind_int64(idx, st, ":time", p->time, cause) != 0 ||
	    idx_bind_int64(idx, st, ":ok", p->ok != 0, cause) != 0 ||
	    idx_bind_text(idx, st, ":kind", p->kind, cause) != 0 ||
	    idx_bind_text(idx, st, ":detail", p->detail, cause) != 0 ||
	    idx_bind_text(idx, st, ":leaf_sha256", p->leaf_sha256,
	    cause) != 0 ||
	    idx_bind_text(idx, st, ":json", p->json, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_probe_last(struct idx *idx, const char *endpoint, int ok_only,
    struct idx_probe *out, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if ((st = idx_stmt(idx, ok_only ? ST_PROBE_LAST_OK : ST_PROBE_LAST,
	    cause)) == NULL ||
	    idx_bind_text(idx, st, ":endpoint", endpoint, cause) != 0)
		return -1;
	if ((rc = idx_step(idx, st, cause)) != 1)
		return rc;
	out->endpoint = dup_or_null(col_text(st, 0));
	out->entry = dup_or_null(col_text(st, 1));
	out->time = sqlite3_column_int64(st, 2);
	out->ok = sqlite3_column_int(st, 3);
	out->kind = dup_or_null(col_text(st, 4));
	out->detail = dup_or_null(col_text(st, 5));
	out->leaf_sha256 = dup_or_null(col_text(st, 6));
	out->json = dup_or_null(col_text(st, 7));
	idx_reset(st);
	return 1;
}

void
idx_probe_free(struct idx_probe *p)
{
	if (p == NULL)
		return;
	free(p->endpoint);
	free(p->entry);
	free(p->kind);
	free(p->detail);
	free(p->leaf_sha256);
	free(p->json);
	memset(p, 0, sizeof *p);
}

/*
 * idx_audit_walk: one statement over entries in primary key order, each
 * joined with its file's chain, so SQLite walks the index once without a
 * sort. A row's text lives until the next step, so the certificates of a
 * file are copied; a chain certificate shared by many files (the usual
 * intermediates) is copied once into a small cache by id and pointed to
 * while it stays there.
 */
#define AUDIT_CACHE	16
struct audit_cache {
	int64_t		 id;
	size_t		 used;		/* the entry number that points to it */
	struct certrec	 rec;
};

/* Where a row's certificate is: own[i] (the entry's copy) or cache[i]. */
struct audit_ref {
	int	 cached;
	size_t	 i;
};

int
idx_audit_walk(struct idx *idx, idx_audit_cb cb, void *arg, char **cause)
{
	struct idx_audit_row row;
	struct idx_entry e;
	const struct certrec **ptrs = NULL;
	struct certrec *own = NULL;
	struct audit_ref *refs = NULL;
	struct audit_cache cache[AUDIT_CACHE];
	sqlite3_stmt *st;
	struct buf b;
	size_t n = 0, nown = 0, cap = 0, i, slot, entryno = 0;
	int64_t id;
	int rc, have = 0, pos_col = LC_LEAF + NCERTCOLS;
	char *sql;

	memset(cache, 0, sizeof cache);
	for (i = 0; i < AUDIT_CACHE; i++) {
		cache[i].id = -1;
		cache[i].rec.path_len = -1;
	}
	memset(&e, 0, sizeof e);
	memset(&row, 0, sizeof row);
	buf_init(&b);
	buf_printf(&b, "SELECT e.name, e.cert_blob, e.entry_blob, e.owner,"
	    " e.tags, e.endpoints, e.profile, e.meta,"
	    " f.ncerts, f.eff_not_after, f.eff_from, c.id, %s, h.pos,"
	    " f.unsigned_at FROM main.entries e"
	    " LEFT JOIN files f ON f.blob = e.cert_blob"
	    " LEFT JOIN chain h ON h.blob = f.blob"
	    " LEFT JOIN certs c ON c.id = h.cert"
	    " ORDER BY e.name, h.pos", idx->ccols);
	sql = buf_steal(&b);
	rc = idx_prepare(idx, sql, 0, &st, cause);
	free(sql);
	if (rc != 0)
		return -1;

	for (;;) {
		const char *name;

		rc = idx_step(idx, st, cause);
		name = rc == 1 ? col_text(st, LC_NAME) : NULL;
		if (have && (rc != 1 || strcmp(name, e.name) != 0)) {
			int r;

			for (i = 0; i < n; i++)
				ptrs[i] = refs[i].cached ?
				    &cache[refs[i].i].rec : &own[refs[i].i];
			row.certs = n ? ptrs : NULL;
			row.n = n;
			r = cb(arg, &row);
			for (i = 0; i < nown; i++)
				certrec_free(&own[i]);
			n = nown = 0;
			idx_entry_free(&e);
			have = 0;
			if (r != 0) {
				if (rc == 1)
					idx_reset(st);
				rc = r;
				break;
			}
		}
		if (rc != 1)
			break;
		if (!have) {
			idx_row_entry(st, 0, &e, 1);
			memset(&row, 0, sizeof row);
			row.entry = &e;
			row.eff_not_after = sqlite3_column_int64(st,
			    LC_EFF_NOT_AFTER);
			row.unsigned_at = (size_t)sqlite3_column_int64(st,
			    pos_col + 1);
			have = 1;
			entryno++;
		}
		if (sqlite3_column_type(st, LC_LEAF_ID) == SQLITE_NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			ptrs = xreallocarray(ptrs, cap, sizeof *ptrs);
			own = xreallocarray(own, cap, sizeof *own);
			refs = xreallocarray(refs, cap, sizeof *refs);
		}
		id = sqlite3_column_int64(st, LC_LEAF_ID);
		slot = (size_t)id % AUDIT_CACHE;
		/* A chain certificate through the cache, unless its slot holds
		   another one this entry points to; a leaf is rarely shared. */
		if (sqlite3_column_int64(st, pos_col) != 0 &&
		    (cache[slot].id == id || cache[slot].used != entryno)) {
			if (cache[slot].id != id) {
				certrec_free(&cache[slot].rec);
				idx_row_certrec(st, LC_LEAF, &cache[slot].rec,
				    1);
				cache[slot].id = id;
			}
			cache[slot].used = entryno;
			refs[n].cached = 1;
			refs[n++].i = slot;
			continue;
		}
		memset(&own[nown], 0, sizeof own[nown]);
		idx_row_certrec(st, LC_LEAF, &own[nown], 1);
		refs[n].cached = 0;
		refs[n++].i = nown++;
	}
	for (i = 0; i < nown; i++)
		certrec_free(&own[i]);
	free(own);
	free(ptrs);
	free(refs);
	idx_entry_free(&e);
	for (i = 0; i < AUDIT_CACHE; i++)
		certrec_free(&cache[i].rec);
	sqlite3_finalize(st);
	return rc;
}

int
idx_probe_latest(struct idx *idx, const char *const *paths, size_t npaths,
    idx_probe_cb cb, void *arg, char **cause)
{
	struct idx_probe p;
	sqlite3_stmt *st;
	const char **vals;
	struct buf b;
	char *sql, *prev_entry = NULL, *prev_ep = NULL;
	size_t i;
	int rc;

	/* Newest first within each pair; the first row of a pair is kept. */
	buf_init(&b);
	buf_adds(&b, "SELECT endpoint, entry, time, ok, kind, detail,"
	    " leaf_sha256, json");
	for (i = 0; i < npaths; i++)
		buf_printf(&b, ", json_extract(json, :p%zu)", i);
	buf_adds(&b, " FROM probes WHERE entry IS NOT NULL"
	    " ORDER BY entry, endpoint, time DESC, id DESC");
	sql = buf_steal(&b);
	rc = idx_prepare(idx, sql, 0, &st, cause);
	free(sql);
	if (rc != 0)
		return -1;
	for (i = 0; i < npaths; i++)
		if (sqlite3_bind_text(st, (int)i + 1, paths[i], -1,
		    SQLITE_STATIC) != SQLITE_OK) {
			idx_error(idx, cause, NULL);
			sqlite3_finalize(st);
			return -1;
		}
	vals = xcalloc(npaths + 1, sizeof *vals);
	while ((rc = idx_step(idx, st, cause)) == 1) {
		memset(&p, 0, sizeof p);
		p.endpoint = (char *)col_text(st, 0);
		p.entry = (char *)col_text(st, 1);
		if (p.endpoint == NULL || p.entry == NULL)
			continue;
		if (prev_entry != NULL && strcmp(prev_entry, p.entry) == 0 &&
		    strcmp(prev_ep, p.endpoint) == 0)
			continue;
		free(prev_entry);
		free(prev_ep);
		prev_entry = xstrdup(p.entry);
		prev_ep = xstrdup(p.endpoint);
		p.time = sqlite3_column_int64(st, 2);
		p.ok = sqlite3_column_int(st, 3);
		p.kind = (char *)col_text(st, 4);
		p.detail = (char *)col_text(st, 5);
		p.leaf_sha256 = (char *)col_text(st, 6);
		p.json = (char *)col_text(st, 7);
		for (i = 0; i < npaths; i++)
			vals[i] = col_text(st, 8 + (int)i);
		if ((rc = cb(arg, &p, vals)) != 0) {
			idx_reset(st);
			break;
		}
	}
	free(prev_entry);
	free(prev_ep);
	free(vals);
	sqlite3_finalize(st);
	return rc;
}

int
idx_jobs_failing(struct idx *idx, const char *kind, idx_jobfail_cb cb,
    void *arg, char **cause)
{
	static const char sql[] =
	    "SELECT j.entry, count(*), max(j.ended) FROM jobs j"
	    " WHERE j.kind = :kind AND j.ok = 0 AND j.entry IS NOT NULL"
	    " AND j.started > coalesce((SELECT max(k.started) FROM jobs k"
	    " WHERE k.entry = j.entry AND k.kind = :kind AND k.ok = 1), -1)"
	    " GROUP BY j.entry ORDER BY j.entry";
	sqlite3_stmt *st;
	int rc;

	if (idx_prepare(idx, sql, 0, &st, cause) != 0)
		return -1;
	if (idx_bind_text(idx, st, ":kind", kind, cause) != 0) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = idx_step(idx, st, cause)) == 1)
		if ((rc = cb(arg, col_text(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2))) != 0) {
			idx_reset(st);
			break;
		}
	sqlite3_finalize(st);
	return rc;
}

int
idx_probe_seen(struct idx *idx, const char *entry, const char *sha256,
    int64_t since, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = idx_stmt(idx, ST_PROBE_SEEN, cause)) == NULL ||
	    idx_bind_text(idx, st, ":entry", entry, cause) != 0 ||
	    idx_bind_text(idx, st, ":sha256", sha256, cause) != 0 ||
	    idx_bind_int64(idx, st, ":since", since, cause) != 0)
		return -1;
	rc = idx_step(idx, st, cause);
	if (rc == 1)
		idx_reset(st);
	return rc;
}

int
idx_job_put(struct idx *idx, const struct idx_job *j, char **cause)
{
	sqlite3_stmt *st;

	if ((st = idx_stmt(idx, ST_JOB_PUT, cause)) == NULL ||
	    idx_bind_text(idx, st, ":entry", j->entry, cause) != 0 ||
	    idx_bind_text(idx, st, ":kind", j->kind, cause) != 0 ||
	    idx_bind_int64(idx, st, ":started", j->started, cause) != 0 ||
	    idx_bind_int64(idx, st, ":ended", j->ended, cause) != 0 ||
	    idx_bind_int64(idx, st, ":ok", j->ok != 0, cause) != 0 ||
	    idx_bind_text(idx, st, ":output", j->output, cause) != 0 ||
	    idx_step(idx, st, cause) < 0)
		return -1;
	return 0;
}

int
idx_job_recent(struct idx *idx, const char *entry, const char *kind,
    struct idx_job *out, size_t max, size_t *n, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = idx_stmt(idx, ST_JOB_RECENT, cause)) == NULL ||
	    idx_bind_text(idx, st, ":entry", entry, cause) != 0 ||
	    idx_bind_text(idx, st, ":kind", kind, cause) != 0 ||
	    idx_bind_int64(idx, st, ":n", (int64_t)max, cause) != 0)
		return -1;
	while ((rc = idx_step(idx, st, cause)) == 1) {
		struct idx_job *j = &out[(*n)++];

		j->entry = dup_or_null(col_text(st, 0));
		j->kind = dup_or_null(col_text(st, 1));
		j->started = sqlite3_column_int64(st, 2);
		j->ended = sqlite3_column_int64(st, 3);
		j->ok = sqlite3_column_int(st, 4);
		j->output = dup_or_null(col_text(st, 5));
	}
	return rc < 0 ? -1 : 0;
}

void
idx_job_free(struct idx_job *j)
{
	free(j->entry);
	free(j->kind);
	free(j->output);
	memset(j, 0, sizeof *j);
}

int
idx_job_entries(struct idx *idx, const char *kind, struct strv *names,
    char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = idx_stmt(idx, ST_JOB_ENTRIES, cause)) == NULL ||
	    idx_bind_text(idx, st, ":kind", kind, cause) != 0)
		return -1;
	while ((rc = idx_step(idx, st, cause)) == 1)
		if (col_text(st, 0) != NULL)
			strv_add(names, col_text(st, 0));
	return rc < 0 ? -1 : 0;
}
