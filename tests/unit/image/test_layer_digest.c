/* Layer ids that mean something: an import's id is the sha256 of the
 * layer's canonical tar, whatever order, owner names or PAX records the
 * source had; the export writes exactly the bytes of that digest (as
 * sha256sum sees them) with numeric owners; OCI whiteouts become overlay
 * ones on import and come back on export; an overlay upper dir commits to
 * the layer its export names; hostile archives are still refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The output of a shell command. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += got;
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
	free(cmd);
	return buf;
}

static int setup(void **state)
{
	store_fixture_open(state, "/tmp/stack-digest-test-XXXXXX");
	return 0;
}

/* Import DIR/name. */
static char *import_ok(struct fixture *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	char *digest = store_import_ok(f, path);
	free(path);
	return digest;
}

/* Export a layer to DIR/name; the digest it reports is its id. */
static void export_ok(struct fixture *f, const char *id, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	char digest[IMG_DIGEST_LEN];
	st_error_t err = NULL;
	if (img_layer_export(&f->store, id, fd, digest, &err) < 0) {
		char *t = st_error_text(err);
		fprintf(stderr, "export %s: %s\n", id, t);
		free(t);
	}
	assert_null(err);
	close(fd);
	assert_string_equal(digest, id);
	free(path);
}

/* One tree written as a tar by python's tarfile: the same content in a
 * given entry order, with given owner names and format. */
static void make_tar(struct fixture *f, const char *name, const char *order, const char *uname, const char *format,
		     const char *extra)
{
	sh("cd %s && python3 - <<'EOF'\n"
	   "import io, tarfile\n"
	   "def reg(n, data, mode=0o644, uid=0, gid=0):\n"
	   "    t = tarfile.TarInfo(n); t.size = len(data); t.mode = mode; t.uid = uid; t.gid = gid\n"
	   "    t.mtime = 1700000000; t.uname = '%s' if uid else 'root'; t.gname = '%s' if gid else 'root'\n"
	   "    return (t, data)\n"
	   "def d(n, mode=0o755):\n"
	   "    t = tarfile.TarInfo(n); t.type = tarfile.DIRTYPE; t.mode = mode; t.mtime = 1700000000\n"
	   "    t.uname = 'root'; t.gname = 'root'; return (t, None)\n"
	   "def sym(n, target):\n"
	   "    t = tarfile.TarInfo(n); t.type = tarfile.SYMTYPE; t.linkname = target; t.mtime = 1700000000\n"
	   "    t.mode = 0o777; return (t, None)\n"
	   "def hard(n, target):\n"
	   "    t = tarfile.TarInfo(n); t.type = tarfile.LNKTYPE; t.linkname = target; t.mtime = 1700000000\n"
	   "    t.mode = 0o750; return (t, None)\n"
	   "E = {'bin': d('bin'), 'etc': d('etc'), 'tmp': d('tmp', 0o1777),\n"
	   "     'tool': reg('bin/tool', b'hello', 0o750), 'alias': sym('bin/alias', 'tool'),\n"
	   "     'hard': hard('bin/hard', 'bin/tool'), 'passwd': reg('etc/passwd', b'root:x:0:0::/root:/bin/sh\\n'),\n"
	   "     'owned': reg('etc/owned', b'x', 0o600, 1000, 1000)}\n"
	   "%s\n"
	   "fmt = {'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT, 'ustar': tarfile.USTAR_FORMAT}['%s']\n"
	   "with tarfile.open('%s', 'w', format=fmt) as tf:\n"
	   "    for k in '%s'.split():\n"
	   "        t, data = E[k]\n"
	   "        if fmt == tarfile.PAX_FORMAT:\n"
	   "            t.pax_headers = {'atime': '1600000000.5', 'ctime': '1650000000.25', 'comment': 'noise'}\n"
	   "        tf.addfile(t, io.BytesIO(data) if data is not None else None)\n"
	   "EOF",
	   f->dir, uname, uname, extra ? extra : "", format, name, order);
}

#define ALL_IN_ORDER "bin etc tmp tool alias hard passwd owned"

static void test_same_content_same_id_whatever_the_tar(void **state)
{
	struct fixture *f = *state;
	/* Same files; different order (the hard link's roles swap too),
	 * owner names that this host maps to other uids (daemon is uid 1 in
	 * Debian's /etc/passwd), PAX atime/ctime/comment records. */
	make_tar(f, "a.tar", ALL_IN_ORDER, "earl", "gnu", NULL);
	make_tar(f, "b.tar", "owned passwd etc tmp bin alias tool hard", "daemon", "pax", NULL);
	make_tar(f, "c.tar", "tmp etc owned passwd bin hard tool alias", "nobody", "ustar",
		 "E['tool'] = hard('bin/tool', 'bin/hard'); E['hard'] = reg('bin/hard', b'hello', 0o750)");
	char *a = import_ok(f, "a.tar");
	char *b = import_ok(f, "b.tar");
	char *c = import_ok(f, "c.tar");
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	/* The owner is the image's uid, never the host's idea of its name. */
	char *layer = img_layer_path(&f->store, b);
	char *owned = xasprintf("%s/etc/owned", layer);
	struct stat st;
	assert_int_equal(lstat(owned, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	/* Stored once. */
	char *out = sh_out("ls %s/layers | wc -l", f->root);
	assert_string_equal(out, "1\n");
	/* And a change of content is a change of id. */
	make_tar(f, "d.tar", ALL_IN_ORDER, "earl", "gnu", "E['passwd'] = reg('etc/passwd', b'changed')");
	char *d = import_ok(f, "d.tar");
	assert_string_not_equal(a, d);
	free(d);
	free(out);
	free(owned);
	free(layer);
	free(a);
	free(b);
	free(c);
}

static void test_export_is_the_id(void **state)
{
	struct fixture *f = *state;
	make_tar(f, "a.tar", ALL_IN_ORDER, "daemon", "pax", NULL);
	char *id = import_ok(f, "a.tar");
	export_ok(f, id, "out.tar");
	/* sha256sum of the exported bytes is the id */
	char *sum = sh_out("sha256sum < %s/out.tar | cut -d' ' -f1", f->dir);
	char *want = xasprintf("%s\n", id + 7);
	assert_string_equal(sum, want);
	/* sorted by name bytes, depth first; numeric owners; no user names
	 * (GNU tar shows a number when the name field is empty) */
	char *list = sh_out("cd %s && tar -tvf out.tar --numeric-owner | "
			    "awk '{printf \"%%s %%s\", $1, $2; for (i = 6; i <= NF; i++) printf \" %%s\", $i; print \"\"}' && "
			    "tar -tvf out.tar | awk '{print $2}' | sort -u",
			    f->dir);
	assert_string_equal(list, "drwxr-xr-x 0/0 bin/\n"
				  "lrwxrwxrwx 0/0 bin/alias -> tool\n"
				  "-rwxr-x--- 0/0 bin/hard\n"
				  "hrwxr-x--- 0/0 bin/tool link to bin/hard\n"
				  "drwxr-xr-x 0/0 etc/\n"
				  "-rw------- 1000/1000 etc/owned\n"
				  "-rw-r--r-- 0/0 etc/passwd\n"
				  "drwxrwxrwt 0/0 tmp/\n"
				  "0/0\n"
				  "1000/1000\n");
	/* PAX only where ustar cannot say it: nowhere in this tree */
	char *pax = sh_out("python3 -c \"import tarfile; print(sum(bool(m.pax_headers) for m in "
			   "tarfile.open('%s/out.tar')))\"",
			   f->dir);
	assert_string_equal(pax, "0\n");
	free(pax);
	/* mtime as in the layer */
	char *mtime = sh_out("cd %s && tar -tvf out.tar --full-time --utc etc/passwd | awk '{print $4, $5}'", f->dir);
	assert_string_equal(mtime, "2023-11-14 22:13:20\n");
	/* import -> export -> import: the same id, and a second export of
	 * the same layer is the same bytes */
	char *again = import_ok(f, "out.tar");
	assert_string_equal(again, id);
	export_ok(f, id, "out2.tar");
	sh("cmp %s/out.tar %s/out2.tar", f->dir, f->dir);
	/* a layer whose files were changed in the store is not its id */
	char *layer = img_layer_path(&f->store, id);
	sh("printf tampered > %s/etc/passwd", layer);
	char digest[IMG_DIGEST_LEN];
	st_error_t err = NULL;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(img_layer_export(&f->store, id, fd, digest, &err), -1);
	close(fd);
	assert_string_not_equal(digest, id);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, "import its source again"));
	free(t);
	st_error_free(&err);
	free(layer);
	free(again);
	free(mtime);
	free(list);
	free(want);
	free(sum);
	free(id);
}

static bool is_whiteout(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *path)
{
	char v[4];
	return getxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static void test_whiteouts_both_ways(void **state)
{
	struct fixture *f = *state;
	/* An OCI layer: deletes /gone and /etc/old, replaces /etc/conf.d. */
	sh("set -e; cd %s; mkdir -p t/etc/conf.d; touch t/.wh.gone t/etc/.wh.old t/etc/conf.d/.wh..wh..opq;"
	   "printf new > t/etc/conf.d/new; mkdir -p t/etc/.wh..wh.plnk; tar -C t -cf wh.tar .",
	   f->dir);
	char *id = import_ok(f, "wh.tar");
	char *layer = img_layer_path(&f->store, id);
	char *p = xasprintf("%s/gone", layer);
	assert_true(is_whiteout(p));
	free(p);
	p = xasprintf("%s/etc/old", layer);
	assert_true(is_whiteout(p));
	free(p);
	p = xasprintf("%s/etc/conf.d", layer);
	assert_true(is_opaque(p));
	free(p);
	p = xasprintf("%s/etc", layer);
	assert_false(is_opaque(p));
	free(p);
	/* no OCI-form file is left in the layer (aufs metadata skipped too) */
	char *left = sh_out("cd %s && find . -name '.wh.*'", layer);
	assert_string_equal(left, "");
	/* exported: the .wh. files again, and nothing of the overlay form */
	export_ok(f, id, "out.tar");
	char *list = sh_out("tar -tvf %s/out.tar --numeric-owner | awk '{print substr($1, 1, 1), $NF}'", f->dir);
	assert_string_equal(list, "- .wh.gone\n"
				  "d etc/\n"
				  "- etc/.wh.old\n"
				  "d etc/conf.d/\n"
				  "- etc/conf.d/.wh..wh..opq\n"
				  "- etc/conf.d/new\n");
	char *again = import_ok(f, "out.tar");
	assert_string_equal(again, id);
	free(again);
	free(list);
	free(left);
	free(layer);
	free(id);
}

static void test_commit_upper_dir(void **state)
{
	struct fixture *f = *state;
	/* What a RUN step leaves in its overlay upper dir: a new file, a
	 * deleted one (0:0 char device), a replaced dir (opaque), and things a
	 * layer does not keep (a socket, a user xattr). */
	char *upper = xasprintf("%s/upper", f->dir);
	sh("set -e; cd %s; mkdir -p upper/etc/apt upper/usr/bin; printf tool > upper/usr/bin/tool;"
	   "chown 1000:50 upper/usr/bin/tool; chmod 4755 upper/usr/bin/tool; mknod upper/etc/motd c 0 0;"
	   "touch -d @1700000000 upper/usr/bin/tool",
	   f->dir);
	char *apt = xasprintf("%s/etc/apt", upper);
	assert_int_equal(setxattr(apt, "trusted.overlay.opaque", "y", 1, 0), 0);
	char *tool = xasprintf("%s/usr/bin/tool", upper);
	(void)setxattr(tool, "user.noise", "1", 1, 0); /* where the fs has user xattrs */
	/* file capabilities are kept (cap_net_raw+ep, VFS_CAP_REVISION_2) */
	static const unsigned char cap[20] = {1, 0, 0, 2, 0, 0x20, 0, 0};
	assert_int_equal(setxattr(tool, "security.capability", cap, sizeof(cap), 0), 0);
	char *sock = xasprintf("%s/usr/bin/sock", upper);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	char *before = sh_out("cd %s && find . -printf '%%p %%y %%m %%U %%T@\\n' | sort", upper);

	char *id = NULL;
	st_error_t err = NULL;
	if (img_layer_commit_dir(&f->store, upper, &id, &err) < 0) {
		char *t = st_error_text(err);
		fprintf(stderr, "commit: %s\n", t);
		free(t);
	}
	assert_null(err);
	assert_non_null(id);
	/* the layer is in overlay form, ready to be a lower dir */
	char *layer = img_layer_path(&f->store, id);
	char *p = xasprintf("%s/etc/motd", layer);
	assert_true(is_whiteout(p));
	free(p);
	p = xasprintf("%s/etc/apt", layer);
	assert_true(is_opaque(p));
	free(p);
	p = xasprintf("%s/usr/bin/tool", layer);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 50);
	assert_int_equal(st.st_mtim.tv_sec, 1700000000);
	char v[4];
	assert_int_equal(getxattr(p, "user.noise", v, sizeof(v)), -1);
	unsigned char got[32];
	assert_int_equal(getxattr(p, "security.capability", got, sizeof(got)), sizeof(cap));
	assert_memory_equal(got, cap, sizeof(cap));
	free(p);
	p = xasprintf("%s/usr/bin/sock", layer);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	/* its export is its id, in OCI form */
	export_ok(f, id, "out.tar");
	char *sum = sh_out("sha256sum < %s/out.tar | cut -d' ' -f1", f->dir);
	char *want = xasprintf("%s\n", id + 7);
	assert_string_equal(sum, want);
	char *list = sh_out("tar -tf %s/out.tar", f->dir);
	assert_string_equal(list, "etc/\netc/.wh.motd\netc/apt/\netc/apt/.wh..wh..opq\nusr/\nusr/bin/\nusr/bin/tool\n");
	/* the upper dir is left as it was; committing it again is the same
	 * layer; nothing is left in tmp/ */
	char *after = sh_out("cd %s && find . -printf '%%p %%y %%m %%U %%T@\\n' | sort", upper);
	assert_string_equal(before, after);
	char *id2 = NULL;
	assert_int_equal(img_layer_commit_dir(&f->store, upper, &id2, &err), 0);
	assert_string_equal(id, id2);
	/* the same upper dir imported as a directory rootfs is the same layer */
	char *id3 = NULL;
	if (img_import_rootfs(&f->store, upper, &id3, &err) < 0) {
		char *t = st_error_text(err);
		fprintf(stderr, "import: %s\n", t);
		free(t);
	}
	assert_null(err);
	assert_string_equal(id, id3);
	free(id3);
	char *tmp = sh_out("ls -A %s/tmp", f->root);
	assert_string_equal(tmp, "");
	/* not a directory: an error that names it */
	assert_int_equal(img_layer_commit_dir(&f->store, tool, &id2, &err), -1);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, tool));
	free(t);
	st_error_free(&err);
	free(tmp);
	free(id2);
	free(after);
	free(list);
	free(want);
	free(sum);
	free(layer);
	free(id);
	free(before);
	free(sock);
	free(tool);
	free(apt);
	free(upper);
}

/* A hostile archive is refused, nothing of it lands on the host, and no
 * layer or temp dir is left. */
static void refused(struct fixture *f, const char *name, const char *outside)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	char *digest = NULL;
	st_error_t err = NULL;
	int r = img_import_rootfs(&f->store, path, &digest, &err);
	if (r == 0)
		fprintf(stderr, "%s was imported as %s\n", name, digest);
	assert_int_equal(r, -1);
	char *t = st_error_text(err);
	assert_non_null(strstr(t, name));
	free(t);
	st_error_free(&err);
	if (outside)
		assert_int_equal(access(outside, F_OK), -1);
	char *left = sh_out("ls -A %s/layers %s/tmp | grep -v : | grep . || true", f->root, f->root);
	assert_string_equal(left, "");
	free(left);
	free(path);
}

static void test_hostile_archives_refused(void **state)
{
	struct fixture *f = *state;
	char *out = xasprintf("%s/outside", f->dir);
	assert_int_equal(mkdir(out, 0755), 0);
	sh("cd %s && python3 - <<'EOF'\n"
	   "import io, tarfile\n"
	   "def t(name, entries):\n"
	   "    with tarfile.open(name, 'w', format=tarfile.PAX_FORMAT) as tf:\n"
	   "        for n, kind, arg in entries:\n"
	   "            i = tarfile.TarInfo(n); i.mode = 0o644\n"
	   "            if kind == 'sym': i.type = tarfile.SYMTYPE; i.linkname = arg\n"
	   "            elif kind == 'hard': i.type = tarfile.LNKTYPE; i.linkname = arg\n"
	   "            elif kind == 'dir': i.type = tarfile.DIRTYPE; i.mode = 0o755\n"
	   "            data = arg.encode() if kind == 'reg' else b''; i.size = len(data)\n"
	   "            tf.addfile(i, io.BytesIO(data))\n"
	   "o = '%s'\n"
	   "t('dotdot.tar', [('a/../../escaped', 'reg', 'x')])\n"
	   "t('symlink-through.tar', [('l', 'sym', o), ('l/pwned', 'reg', 'x')])\n"
	   "t('hardlink-out.tar', [('h', 'hard', '../../etc/passwd')])\n"
	   "t('hardlink-abs.tar', [('h', 'hard', '/etc/passwd')])\n"
	   "t('wh-dotdot.tar', [('.wh...', 'reg', '')])\n"
	   "t('wh-empty.tar', [('d/.wh.', 'reg', '')])\n"
	   "t('wh-through.tar', [('l', 'sym', o), ('l/.wh.pwned', 'reg', '')])\n"
	   "t('opq-through.tar', [('l', 'sym', o), ('l/.wh..wh..opq', 'reg', '')])\n"
	   "t('opq-up.tar', [('d', 'dir', ''), ('d/../../.wh..wh..opq', 'reg', '')])\n"
	   "EOF",
	   f->dir, out);
	char *escaped = xasprintf("%s/escaped", f->root);
	refused(f, "dotdot.tar", escaped);
	char *pwned = xasprintf("%s/pwned", out);
	refused(f, "symlink-through.tar", pwned);
	refused(f, "hardlink-out.tar", NULL);
	refused(f, "hardlink-abs.tar", NULL);
	refused(f, "wh-dotdot.tar", NULL);
	refused(f, "wh-empty.tar", NULL);
	refused(f, "wh-through.tar", pwned);
	refused(f, "opq-through.tar", NULL);
	assert_false(is_opaque(out));
	refused(f, "opq-up.tar", NULL);
	assert_false(is_opaque(f->dir));
	assert_false(is_opaque(f->root));
	free(pwned);
	free(escaped);
	free(out);
}

static void test_implied_directories_are_fixed(void **state)
{
	struct fixture *f = *state;
	/* An archive that lists a file but not its directories: the
	 * directories made for it have one state, so two imports at two
	 * moments are one layer. */
	sh("cd %s && python3 - <<'EOF'\n"
	   "import io, tarfile\n"
	   "with tarfile.open('implied.tar', 'w') as tf:\n"
	   "    i = tarfile.TarInfo('usr/share/doc/x'); i.size = 1; i.mtime = 1700000000\n"
	   "    tf.addfile(i, io.BytesIO(b'x'))\n"
	   "EOF",
	   f->dir);
	char *a = import_ok(f, "implied.tar");
	/* a second import a second later, into another store */
	sleep(1);
	char *root2 = xasprintf("%s/root2", f->dir);
	struct img_store s2;
	st_error_t err = NULL;
	assert_int_equal(img_store_open(root2, &s2, &err), 0);
	char *path = xasprintf("%s/implied.tar", f->dir);
	char *b = NULL;
	assert_int_equal(img_import_rootfs(&s2, path, &b, &err), 0);
	assert_string_equal(a, b);
	char *layer = img_layer_path(&s2, b);
	char *doc = xasprintf("%s/usr/share", layer);
	struct stat st;
	assert_int_equal(lstat(doc, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_mtim.tv_sec, 0);
	free(doc);
	free(layer);
	img_store_close(&s2);
	free(path);
	free(root2);
	free(a);
	free(b);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root (owners, device nodes, trusted xattrs)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_content_same_id_whatever_the_tar, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_export_is_the_id, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_whiteouts_both_ways, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_upper_dir, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_archives_refused, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_implied_directories_are_fixed, setup, store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
