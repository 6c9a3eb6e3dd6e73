/* A full disk under the supervisor's log and events files
 * (supervisor/logfile.h), read back by `stack logs` and `stack events`
 * (cli/log_reader.h, cli/event_reader.h): a write cut short by the disk
 * filling up in the middle of a record leaves that record's head in the
 * file; once there is room again the next record must start on a line of
 * its own (not glued to the cut head, which would lose it too), every
 * whole record parses, and what was lost is counted.  A 64 KiB tmpfs is
 * the disk (root only: skipped otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/event_reader.h"
#include "cli/log_reader.h"
#include "supervisor/event_rec.h"
#include "supervisor/logfile.h"
#include "util/fs.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir, *disk;

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_logfile_full.XXXXXX";
	tmpdir = xstrdup(mkdtemp(tmpl));
	disk = xasprintf("%s/disk", tmpdir);
	assert_int_equal(mkdir(disk, 0700), 0);
	if (mount("tmpfs", disk, "tmpfs", 0, "size=64k") < 0) {
		fprintf(stderr, "skipped: mount tmpfs: %s (needs root)\n", strerror(errno));
		skip();
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	umount2(disk, MNT_DETACH);
	fs_remove_tree(tmpdir, NULL);
	free(tmpdir);
	free(disk);
	return 0;
}

/* Fill the disk, then give back `room` bytes (whole pages). */
static void fill_leaving(const char *filler, off_t room)
{
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	char page[4096];
	memset(page, 'f', sizeof(page));
	off_t size = 0;
	ssize_t w;
	while ((w = write(fd, page, sizeof(page))) > 0)
		size += w;
	assert_int_equal(errno, ENOSPC);
	assert_true(size > room);
	assert_int_equal(ftruncate(fd, size - room), 0);
	close(fd);
}

/* The file's lines: none may hold two records (a record's head glued to
 * the next one); *cut counts the lines that are not whole records. */
static size_t check_lines(const char *path, const char *first_key, size_t *cut)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0, whole = 0;
	ssize_t n;
	*cut = 0;
	_cleanup_free_ char *key = xasprintf("{\"%s\":", first_key);
	while ((n = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[n - 1], '\n'); /* the file ends with a whole line */
		char *at = strstr(line, key);
		assert_non_null(at);
		assert_ptr_equal(at, line);
		assert_null(strstr(at + 1, key)); /* one record to a line */
		json_t *o = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, NULL);
		if (o)
			whole++;
		else
			(*cut)++;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return whole;
}

#define N_BEFORE 12 /* records written while the disk fills */
#define N_AFTER 5   /* and once there is room again */

static void test_service_log(void **state)
{
	(void)state;
	_cleanup_free_ char *filler = xasprintf("%s/filler", disk);
	_cleanup_free_ char *path = xasprintf("%s/s.log", disk);
	fill_leaving(filler, 2 * 4096);
	struct sup_logfile lf;
	assert_int_equal(sup_logfile_open(&lf, path, 1 << 20, 1, NULL), 0);
	char ts[40] = "2026-12-02T05:00:00.000000000Z";
	char text[1000];
	/* about 1 KiB records, one write each (the log pipe flushes after
	 * every read): the 9th crosses the last page and is cut */
	for (int i = 0; i < N_BEFORE + N_AFTER; i++) {
		if (i == N_BEFORE)
			assert_int_equal(unlink(filler), 0);
		int n = snprintf(text, sizeof(text), "line-%02d-", i);
		memset(text + n, 'x', sizeof(text) - (size_t)n);
		snprintf(ts + 20, sizeof(ts) - 20, "%09dZ", i);
		sup_logfile_write(&lf, ts, "stdout", text, sizeof(text));
		sup_logfile_flush(&lf);
	}
	uint64_t dropped = lf.dropped;
	sup_logfile_close(&lf);
	assert_true(dropped >= 1 && dropped < N_BEFORE);

	size_t cut;
	size_t whole = check_lines(path, "time", &cut);
	assert_int_equal(cut, 1); /* the record the disk filled in */
	assert_int_equal(whole, N_BEFORE + N_AFTER - dropped);

	/* stack logs shows every whole record, the ones after the gap too */
	char *out = NULL;
	size_t out_len = 0;
	FILE *mem = open_memstream(&out, &out_len);
	struct strv names = {0};
	strv_push(&names, "s");
	struct cli_log_view v;
	cli_log_view_init(&v, disk, &names);
	v.prefix = false;
	v.out = mem;
	cli_log_view_dump(&v, -1);
	cli_log_view_free(&v);
	strv_free(&names);
	fclose(mem);
	size_t shown = 0;
	for (char *p = out; (p = strchr(p, '\n')); p++)
		shown++;
	assert_int_equal(shown, whole);
	for (int i = N_BEFORE; i < N_BEFORE + N_AFTER; i++) {
		char want[16];
		snprintf(want, sizeof(want), "line-%02d-", i);
		assert_non_null(strstr(out, want));
	}
	free(out);
}

static void on_event(const struct sup_event_rec *r, void *ctx)
{
	(void)r;
	(*(size_t *)ctx)++;
}

static void test_events(void **state)
{
	(void)state;
	_cleanup_free_ char *filler = xasprintf("%s/filler", disk);
	_cleanup_free_ char *path = xasprintf("%s/p.jsonl", disk);
	fill_leaving(filler, 4096);
	struct sup_logfile lf;
	assert_int_equal(sup_logfile_open(&lf, path, 1 << 20, 2, NULL), 0);
	/* records of ~300 bytes: the page fills in the middle of one */
	json_t *attrs = json_pack("{s:s}", "pad", "................................................................"
					      "................................................................"
					      "................................................................");
	for (int i = 0; i < 30; i++) {
		if (i == 20)
			assert_int_equal(unlink(filler), 0);
		char ts[40];
		snprintf(ts, sizeof(ts), "2026-12-02T05:00:%02dZ", i);
		char *text = sup_event_encode(ts, "start", "s", "p-s-1", attrs);
		size_t n = strlen(text);
		text[n++] = '\n';
		sup_logfile_write_record(&lf, text, n);
		free(text);
	}
	json_decref(attrs);
	uint64_t dropped = lf.dropped;
	sup_logfile_close(&lf);
	assert_true(dropped >= 1 && dropped < 20);

	size_t cut;
	size_t whole = check_lines(path, "time", &cut);
	assert_int_equal(cut, 1);
	assert_int_equal(whole, 30 - dropped);

	/* stack events: every whole record, the cut line skipped */
	size_t seen = 0;
	struct cli_event_reader r;
	cli_event_reader_init(&r, path, on_event, &seen);
	cli_event_reader_history(&r);
	assert_int_equal(seen, whole);
	assert_int_equal(r.skipped, 1);
	cli_event_reader_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_service_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
