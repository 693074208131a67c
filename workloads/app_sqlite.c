/* app_sqlite.c: an OLTP mix on a SQLite database in the run's volume, modelled on sysbench's
 * oltp_read_write (point and range selects, updates, a delete and an insert per transaction). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ROWS, P_TRANSACTIONS };

#define C_LEN        120 /* sbtest.c */
#define PAD_LEN      60  /* sbtest.pad */
#define POINT_SELECT 10  /* point selects per transaction */
#define RANGE        100 /* rows a range select covers */
/* Bytes a row takes on disk with its share of the index on k (measured: 217
 * on 4 KiB pages), twice over: the fill's WAL holds the whole table until the
 * checkpoint; then some MiB for the run's WAL (1000 pages between checkpoints). */
#define ROW_BYTES 512
#define WAL_BYTES (16ull << 20)

/* The prepared statements, made once in setup and reused by every transaction. */
enum {
	S_BEGIN,
	S_COMMIT,
	S_POINT,
	S_SUM_RANGE,
	S_ORDER_RANGE,
	S_UPDATE_K,
	S_UPDATE_C,
	S_DELETE,
	S_INSERT,
	S_COUNT
};

static const char *const sql_text[S_COUNT] = {
        [S_BEGIN] = "BEGIN",
        [S_COMMIT] = "COMMIT",
        [S_POINT] = "SELECT c FROM sbtest WHERE id = ?1",
        [S_SUM_RANGE] = "SELECT SUM(k) FROM sbtest WHERE id BETWEEN ?1 AND ?2",
        [S_ORDER_RANGE] = "SELECT c FROM sbtest WHERE id BETWEEN ?1 AND ?2 ORDER BY c",
        [S_UPDATE_K] = "UPDATE sbtest SET k = k + 1 WHERE id = ?1",
        [S_UPDATE_C] = "UPDATE sbtest SET c = ?2 WHERE id = ?1",
        [S_DELETE] = "DELETE FROM sbtest WHERE id = ?1",
        [S_INSERT] = "INSERT INTO sbtest (id, k, c, pad) VALUES (?1, ?2, ?3, ?4)",
};

struct oltp {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char path[4096];
	struct vmb_rng rng;
	char c[C_LEN + 1], pad[PAD_LEN + 1];
};

/* The error of the last call on db, naming what was being done. */
static int sql_fail(struct vmb_error *err, sqlite3 *db, const char *what)
{
	return vmb_error_set(err, VMB_ERR_FAIL, "sqlite-oltp: %s: %s", what,
	                     db ? sqlite3_errmsg(db) : "out of memory");
}

/* Runs sql that returns no rows, or only rows to ignore. */
static int exec_sql(struct oltp *o, const char *sql, struct vmb_error *err)
{
	if (sqlite3_exec(o->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(err, o->db, sql);
	return 0;
}

/* The first column of the first row of a pragma, as text into buf. */
static int pragma_text(struct oltp *o, const char *sql, char *buf, size_t len,
                       struct vmb_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(o->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(err, o->db, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		snprintf(buf, len, "%s", text ? (const char *)text : "");
	} else if (rc == SQLITE_DONE)
		snprintf(buf, len, "%s", "");
	else
		sql_fail(err, o->db, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Steps statement s to its end (it returns no rows) and resets it. */
static int step_done(struct oltp *o, int s, struct vmb_error *err)
{
	sqlite3_stmt *st = o->st[s];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		sql_fail(err, o->db, sql_text[s]);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* len characters in sysbench's style: groups of 11 random digits, each
 * followed by a '-'. */
static void random_text(struct vmb_rng *rng, char *buf, size_t len)
{
	uint64_t v = 0;
	unsigned left = 0;

	for (size_t i = 0; i < len; i++) {
		if (i % 12 == 11) {
			buf[i] = '-';
			continue;
		}
		if (left == 0) {
			v = vmb_rng_next(rng);
			left = 19; /* decimal digits a 64-bit value surely has */
		}
		buf[i] = (char)('0' + v % 10);
		v /= 10;
		left--;
	}
	buf[len] = '\0';
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

/* Folds a text column into h: its length and its bytes, 8 at a time. */
static uint64_t mix_text(uint64_t h, const unsigned char *t, int len)
{
	int i = 0;

	h = mix(h, (uint64_t)len);
	for (; t && i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, t + i, 8);
		h = mix(h, w);
	}
	for (; t && i < len; i++)
		h = mix(h, t[i]);
	return h;
}

/* Binds a fresh row (k, c and pad from the generator) for id to the insert. */
static int bind_row(struct oltp *o, sqlite3_int64 id, uint64_t rows, struct vmb_error *err)
{
	sqlite3_stmt *st = o->st[S_INSERT];

	random_text(&o->rng, o->c, C_LEN);
	random_text(&o->rng, o->pad, PAD_LEN);
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)(vmb_rng_below(&o->rng, rows) + 1)) !=
	            SQLITE_OK ||
	    sqlite3_bind_text(st, 3, o->c, C_LEN, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, o->pad, PAD_LEN, SQLITE_STATIC) != SQLITE_OK)
		return sql_fail(err, o->db, sql_text[S_INSERT]);
	return 0;
}

static int prepare_all(struct oltp *o, struct vmb_error *err)
{
	for (int s = 0; s < S_COUNT; s++)
		if (!o->st[s] &&
		    sqlite3_prepare_v3(o->db, sql_text[s], -1, SQLITE_PREPARE_PERSISTENT, &o->st[s],
		                       NULL) != SQLITE_OK)
			return sql_fail(err, o->db, sql_text[s]);
	return 0;
}

static void unlink_db(const char *path)
{
	char side[4096 + 8];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* Records the settings the run had, as SQLite reports them. */
static int observe(struct vmb_workload_ctx *ctx, struct oltp *o, const char *journal,
                   struct vmb_error *err)
{
	char sync[32], page[32], cache[32];
	struct stat sb;

	if (pragma_text(o, "PRAGMA synchronous", sync, sizeof(sync), err) < 0 ||
	    pragma_text(o, "PRAGMA page_size", page, sizeof(page), err) < 0 ||
	    pragma_text(o, "PRAGMA cache_size", cache, sizeof(cache), err) < 0)
		return -1;
	json_decref(ctx->observations);
	ctx->observations = json_pack(
	        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "sqlite_version", sqlite3_libversion(),
	        "journal_mode", journal, "synchronous", strcmp(sync, "1") == 0 ? "NORMAL" : sync,
	        "dir", ctx->dir, "page_size", (json_int_t)atoll(page), "cache_size",
	        (json_int_t)atoll(cache), "db_bytes",
	        (json_int_t)(stat(o->path, &sb) == 0 ? sb.st_size : -1), "transaction",
	        "BEGIN; 10 point selects; SUM(k) and ORDER BY c over 100 ids; UPDATE k; "
	        "UPDATE c; DELETE and INSERT of one id; COMMIT");
	return 0;
}

/* Makes the database: the sbtest table filled in one transaction, the index
 * on k built after, the WAL checkpointed into the file; then prepares the
 * transaction's statements. */
static int app_sqlite_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t rows = ctx->param[P_ROWS];
	struct oltp *o = calloc(1, sizeof(*o));
	char journal[32];

	if (!o)
		return vmb_error_sys(err, ENOMEM, "sqlite-oltp: state");
	ctx->state = o;
	snprintf(o->path, sizeof(o->path), "%s/vmbench-sqlite-%d.db", ctx->dir, (int)getpid());
	unlink_db(o->path); /* a stale one from a killed run of this pid */
	if (sqlite3_open_v2(o->path, &o->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		return sql_fail(err, o->db, o->path);
	/* teardown removes the files: no checkpoint on close to wait for */
	sqlite3_db_config(o->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (pragma_text(o, "PRAGMA journal_mode=WAL", journal, sizeof(journal), err) < 0)
		return -1;
	if (strcmp(journal, "wal") != 0)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "sqlite-oltp: journal_mode=WAL refused on %s (it stays %s)",
		                     ctx->dir, journal);
	if (exec_sql(o, "PRAGMA synchronous=NORMAL", err) < 0 ||
	    exec_sql(o,
	             "CREATE TABLE sbtest (id INTEGER PRIMARY KEY, k INTEGER NOT NULL "
	             "DEFAULT 0, c TEXT NOT NULL DEFAULT '', pad TEXT NOT NULL DEFAULT '')",
	             err) < 0)
		return -1;
	if (sqlite3_prepare_v2(o->db, sql_text[S_INSERT], -1, &o->st[S_INSERT], NULL) != SQLITE_OK)
		return sql_fail(err, o->db, sql_text[S_INSERT]);
	vmb_rng_seed(&o->rng, ctx->seed);
	if (exec_sql(o, "BEGIN", err) < 0)
		return -1;
	for (uint64_t id = 1; id <= rows; id++)
		if (bind_row(o, (sqlite3_int64)id, rows, err) < 0 ||
		    step_done(o, S_INSERT, err) < 0)
			return -1;
	/* the insert was prepared before the index: made again after it */
	sqlite3_finalize(o->st[S_INSERT]);
	o->st[S_INSERT] = NULL;
	if (exec_sql(o, "COMMIT", err) < 0 || exec_sql(o, "CREATE INDEX k_1 ON sbtest(k)", err) < 0)
		return -1;
	if (sqlite3_wal_checkpoint_v2(o->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
	    SQLITE_OK)
		return sql_fail(err, o->db, "checkpoint");
	if (observe(ctx, o, journal, err) < 0)
		return -1;
	/* the transactions draw from their own stream, whatever setup drew */
	vmb_rng_seed(&o->rng, ctx->seed ^ 0x6f6c7470ULL);
	return prepare_all(o, err);
}

static void app_sqlite_teardown(struct vmb_workload_ctx *ctx)
{
	struct oltp *o = ctx->state;

	if (!o)
		return;
	for (int s = 0; s < S_COUNT; s++)
		sqlite3_finalize(o->st[s]);
	/* an open transaction (after a failure) is rolled back on close */
	sqlite3_close(o->db);
	if (o->path[0])
		unlink_db(o->path);
	free(o);
	ctx->state = NULL;
}

/* One transaction; its reads fold into *h. */
static int transaction(struct oltp *o, uint64_t rows, uint64_t *h, struct vmb_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (step_done(o, S_BEGIN, err) < 0)
		return -1;
	st = o->st[S_POINT];
	for (int i = 0; i < POINT_SELECT; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(vmb_rng_below(&o->rng, rows) + 1));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*h = mix_text(*h, sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0));
		else if (rc == SQLITE_DONE) /* every id from 1 to rows stays in the table */
			vmb_error_set(err, VMB_ERR_FAIL, "sqlite-oltp: %s: no row",
			              sql_text[S_POINT]);
		else
			sql_fail(err, o->db, sql_text[S_POINT]);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return -1;
	}

	sqlite3_int64 lo = (sqlite3_int64)(vmb_rng_below(&o->rng, rows - RANGE + 1) + 1);
	st = o->st[S_SUM_RANGE];
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, lo + RANGE - 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*h = mix(*h, (uint64_t)sqlite3_column_int64(st, 0));
	else
		sql_fail(err, o->db, sql_text[S_SUM_RANGE]);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return -1;

	lo = (sqlite3_int64)(vmb_rng_below(&o->rng, rows - RANGE + 1) + 1);
	st = o->st[S_ORDER_RANGE];
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, lo + RANGE - 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		uint64_t w = 0;
		if (t && sqlite3_column_bytes(st, 0) >= 8)
			memcpy(&w, t, 8); /* the order shows in the first bytes */
		*h = mix(*h, w);
	}
	if (rc != SQLITE_DONE)
		sql_fail(err, o->db, sql_text[S_ORDER_RANGE]);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;

	sqlite3_bind_int64(o->st[S_UPDATE_K], 1, (sqlite3_int64)(vmb_rng_below(&o->rng, rows) + 1));
	if (step_done(o, S_UPDATE_K, err) < 0)
		return -1;
	*h = mix(*h, (uint64_t)sqlite3_changes(o->db));

	random_text(&o->rng, o->c, C_LEN);
	sqlite3_bind_int64(o->st[S_UPDATE_C], 1, (sqlite3_int64)(vmb_rng_below(&o->rng, rows) + 1));
	sqlite3_bind_text(o->st[S_UPDATE_C], 2, o->c, C_LEN, SQLITE_STATIC);
	if (step_done(o, S_UPDATE_C, err) < 0)
		return -1;
	*h = mix(*h, (uint64_t)sqlite3_changes(o->db));

	sqlite3_int64 id = (sqlite3_int64)(vmb_rng_below(&o->rng, rows) + 1);
	sqlite3_bind_int64(o->st[S_DELETE], 1, id);
	if (step_done(o, S_DELETE, err) < 0)
		return -1;
	*h = mix(*h, (uint64_t)sqlite3_changes(o->db));
	if (bind_row(o, id, rows, err) < 0 || step_done(o, S_INSERT, err) < 0)
		return -1;
	return step_done(o, S_COMMIT, err);
}

/* "sqlite-oltp: transaction I of N: " before what failed. */
static int in_transaction(struct vmb_error *err, uint64_t i, uint64_t n)
{
	static const char name[] = "sqlite-oltp: ";
	char msg[sizeof(err->msg)];
	size_t skip = strncmp(err->msg, name, sizeof(name) - 1) == 0 ? sizeof(name) - 1 : 0;

	snprintf(msg, sizeof(msg), "%s", err->msg + skip);
	return vmb_error_set(err, VMB_ERR_FAIL, "%stransaction %llu of %llu: %s", name,
	                     (unsigned long long)i, (unsigned long long)n, msg);
}

static int app_sqlite_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct oltp *o = ctx->state;
	uint64_t rows = ctx->param[P_ROWS], n = ctx->param[P_TRANSACTIONS];
	struct vmb_hist *lat = vmb_dist(ctx, "txn_lat_ns", "ns");
	uint64_t h = 0;

	if (!lat)
		return vmb_error_sys(err, ENOMEM, "sqlite-oltp: latency histogram");
	ctx->ops_unit = "transaction";
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = vmb_now_ns();
		if (transaction(o, rows, &h, err) < 0)
			return in_transaction(err, i + 1, n);
		vmb_hist_add(lat, vmb_now_ns() - t0);
		ctx->ops++;
	}
	ctx->checksum = h;
	return 0;
}

static uint64_t app_sqlite_memory(const uint64_t *param)
{
	/* SQLite's own cache is 2 MiB; the database file and its WAL sit in the
	 * page cache, which the instance's memory must hold as well */
	return param[P_ROWS] * ROW_BYTES + WAL_BYTES + (16ull << 20);
}

static int app_sqlite_check(const uint64_t *param, const struct vmb_check_env *env,
                            struct vmb_error *err)
{
	uint64_t need = param[P_ROWS] * ROW_BYTES + WAL_BYTES;
	struct statvfs sv;

	if (!env->volume_dir || statvfs(env->volume_dir, &sv) != 0)
		return 0;
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "sqlite-oltp: %llu rows need about %llu MiB free on %s, which "
		                     "has %llu MiB",
		                     (unsigned long long)param[P_ROWS],
		                     (unsigned long long)(need >> 20), env->volume_dir,
		                     (unsigned long long)(avail >> 20));
	return 0;
}

/* transactions per second of the timed part */
static double m_tps(json_t *s)
{
	double txn = vmb_sample_num(s, "agent.ops"), ns = vmb_sample_num(s, "agent.wall_ns");

	return txn > 0 && ns > 0 ? txn * 1e9 / ns : NAN;
}

static const struct vmb_metric app_sqlite_metrics[] = {
        {"tps", "txn/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "transactions committed per second of the timed part", m_tps},
        VMB_DISTRIBUTION("txn_lat_ns", "ns", "one transaction's time, BEGIN to COMMIT"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param app_sqlite_params[] = {
        [P_ROWS] = {"rows", 100000, 1000, 100000000, false,
                    "rows of the sbtest table, made (untimed) in setup", .quick = 20000},
        [P_TRANSACTIONS] = {"transactions", 10000, 1, 1ULL << 32, true,
                            "transactions run, each BEGIN, 10 point selects, 2 range selects, 2 "
                            "updates, a delete and an insert, COMMIT",
                            .quick = 400},
};

const struct vmb_workload vmb_workload_app_sqlite = {
        .name = "sqlite-oltp",
        .suite = "app",
        .summary = "sysbench-like OLTP read/write transactions on a SQLite WAL database in the "
                   "volume",
        .params = app_sqlite_params,
        .nparams = VMB_ARRAY_SIZE(app_sqlite_params),
        .needs = VMB_NEED_DISK,
        .headline = "tps",
        .metrics = app_sqlite_metrics,
        .memory_need = app_sqlite_memory,
        .check = app_sqlite_check,
        .setup = app_sqlite_setup,
        .run = app_sqlite_run,
        .teardown = app_sqlite_teardown,
};
