/* /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, written
 * by the parent into the state dir and bind-mounted by the child. */
#include "runtime/internal.h"
#include "util/fs.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *dir, const char *name, const char *data, st_error_t *err)
{
	/* A fresh file in a fresh directory nobody reads yet: no temp+rename
	 * or fsync needed (they would cost on every start). */
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return st_error(err, errno, "create `%s`", path);
	/* 0644 whatever the caller's umask: a non-root payload reads it. */
	if (fchmod(fd, 0644) < 0)
		return st_error(err, errno, "chmod `%s`", path);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		return st_error(err, errno ? errno : EIO, "write `%s`", path);
	return 0;
}

static char *join_lines(struct strv *lines)
{
	size_t len = 1;
	for (size_t i = 0; i < lines->n; i++)
		len += strlen(lines->v[i]) + 1;
	char *s = xmalloc(len), *p = s;
	*p = '\0';
	for (size_t i = 0; i < lines->n; i++)
		p += sprintf(p, "%s\n", lines->v[i]);
	strv_free(lines);
	return s;
}

static bool is_loopback_nameserver(const char *line)
{
	const char *p = line + strlen("nameserver");
	while (*p == ' ' || *p == '\t')
		p++;
	return strncmp(p, "127.", 4) == 0 || strncmp(p, "::1", 3) == 0;
}

/* The host's resolver config, minus loopback nameservers when the
 * container has its own netns (127.0.0.53 there is the container's lo,
 * where nothing listens); Docker's public fallbacks if none remain. */
static char *resolv_conf(const struct rt_config *cfg)
{
	char *host = NULL;
	st_error_t e = NULL;
	/* systemd-resolved hosts: the stub file lists only 127.0.0.53; the
	 * real upstream servers are here. */
	if (cfg->net == RT_NET_HOST || fs_read_file("/run/systemd/resolve/resolv.conf", 1 << 16, &host, NULL, &e) < 0) {
		st_error_free(&e);
		if (fs_read_file("/etc/resolv.conf", 1 << 16, &host, NULL, &e) < 0) {
			st_error_free(&e);
			host = xstrdup("");
		}
	}
	struct strv out = {0};
	bool have_ns = false;
	if (cfg->dns && cfg->dns[0]) {
		for (const char *const *d = cfg->dns; *d; d++)
			strv_pushf(&out, "nameserver %s", *d);
		have_ns = true;
	}
	char *save = NULL;
	for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "nameserver", 10) == 0) {
			if (cfg->dns && cfg->dns[0])
				continue;
			if (cfg->net != RT_NET_HOST && is_loopback_nameserver(line))
				continue;
			have_ns = true;
		}
		strv_push(&out, line);
	}
	free(host);
	if (!have_ns) {
		strv_push(&out, "nameserver 8.8.8.8");
		strv_push(&out, "nameserver 8.8.4.4");
	}
	return join_lines(&out);
}

static char *hosts_file(const struct rt_config *cfg, const char *hostname)
{
	if (cfg->net == RT_NET_HOST) {
		char *host = NULL;
		st_error_t e = NULL;
		if (fs_read_file("/etc/hosts", 1 << 20, &host, NULL, &e) == 0)
			return host;
		st_error_free(&e);
	}
	struct strv out = {0};
	/* No address of our own yet (the supervisor's veth comes later), so
	 * the hostname resolves to loopback, as with `--network none`... but
	 * resolvable, which many programs insist on at startup. */
	strv_pushf(&out, "127.0.0.1\tlocalhost %s", hostname);
	strv_push(&out, "::1\tlocalhost ip6-localhost ip6-loopback");
	strv_push(&out, "fe00::0\tip6-localnet");
	strv_push(&out, "ff00::0\tip6-mcastprefix");
	strv_push(&out, "ff02::1\tip6-allnodes");
	strv_push(&out, "ff02::2\tip6-allrouters");
	for (const char *const *h = cfg->extra_hosts; h && *h; h++) {
		const char *colon = strchr(*h, ':');
		if (colon)
			strv_pushf(&out, "%s\t%.*s", colon + 1, (int)(colon - *h), *h);
	}
	return join_lines(&out);
}

/* One word of a generated line: no space that would start another field,
 * no line break or other control byte that would start another line. */
static bool one_word(const char *s)
{
	if (!s || !*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '#')
			return false;
	return true;
}

/* An IPv4 or IPv6 address, as inet_pton reads it. */
static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The spec loader checks what it takes; a config from elsewhere must not
 * add lines to the container's /etc/hosts or resolv.conf either. */
static int check_etc_values(const struct rt_config *cfg, const char *hostname, st_error_t *err)
{
	if (!one_word(hostname))
		return st_error(err, EINVAL, "hostname is empty or has a space, `#` or control character");
	for (const char *const *d = cfg->dns; d && *d; d++)
		if (!is_ip(*d))
			return st_error(err, EINVAL, "a dns server is not an IP address");
	for (const char *const *h = cfg->extra_hosts; h && *h; h++) {
		const char *colon = strchr(*h, ':');
		_cleanup_free_ char *name = colon ? xstrndup(*h, (size_t)(colon - *h)) : NULL;
		if (!colon || !one_word(name) || !is_ip(colon + 1))
			return st_error(err, EINVAL, "an extra host is not NAME:IP-ADDRESS");
	}
	return 0;
}

int rt_etc_files_write(const struct rt_config *cfg, const char *hostname, const char *dir, st_error_t *err)
{
	if (check_etc_values(cfg, hostname, err) < 0)
		return -1;
	_cleanup_free_ char *hosts = hosts_file(cfg, hostname);
	_cleanup_free_ char *resolv = resolv_conf(cfg);
	_cleanup_free_ char *hn = xasprintf("%s\n", hostname);
	if (write_file(dir, "hosts", hosts, err) < 0 || write_file(dir, "hostname", hn, err) < 0 ||
	    write_file(dir, "resolv.conf", resolv, err) < 0)
		return -1;
	return 0;
}
