/* A service's config digest, as compose's com.docker.compose.config-hash:
 * `stack up` on a running stack recreates a service's container only when
 * this changes.  It covers the container config the runtime gets (image
 * layers, command, env, mounts, limits, security), minus what is named
 * after the container (its state dir, its secrets dir), and the service
 * keys that act outside the container (restart, grace period, logging). */
#include "supervisor/internal.h"
#include "util/mem.h"
#include "util/sha256.h"

#include <stdio.h>
#include <string.h>

static void add(struct st_sha256 *h, const char *tag, const char *v)
{
	st_sha256_update(h, tag, strlen(tag) + 1);
	if (v)
		st_sha256_update(h, v, strlen(v));
	st_sha256_update(h, v ? "\1" : "\0", 1);
}

static void add_int(struct st_sha256 *h, const char *tag, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	add(h, tag, buf);
}

static void add_list(struct st_sha256 *h, const char *tag, const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		add(h, tag, v[i]);
	add(h, tag, NULL);
}

/* A mount source in the container's own secrets dir names the container
 * (ID.secrets): hash the part below it. */
static const char *mount_source(const struct sup_ctconf *conf, const char *src)
{
	size_t n = conf->secrets_dir ? strlen(conf->secrets_dir) : 0;
	if (src && n && strncmp(src, conf->secrets_dir, n) == 0)
		return src + n;
	return src;
}

int sup_confhash(const struct spec_service *spec, const struct sup_ctconf *conf, char out[65], st_error_t *err)
{
	struct st_sha256 h = {0};
	if (st_sha256_begin(&h, err) < 0)
		return -1;
	const struct rt_config *c = &conf->cfg;
	add(&h, "v", "1");
	add_list(&h, "lower", c->lower_dirs);
	add_int(&h, "read_only", c->read_only);
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct rt_mount *m = &c->mounts[i];
		add_int(&h, "mount", m->type);
		add(&h, "src", mount_source(conf, m->source));
		add(&h, "dst", m->target);
		add_int(&h, "ro", m->read_only);
		add_int(&h, "size", (long long)m->tmpfs_size);
		add_int(&h, "mode", m->tmpfs_mode);
	}
	for (size_t i = 0; i < c->n_devices; i++) {
		add(&h, "dev", c->devices[i].source);
		add(&h, "devdst", c->devices[i].target);
		add_int(&h, "devacc", c->devices[i].access);
	}
	add(&h, "hostname", c->hostname);
	add_int(&h, "net", c->net);
	add_list(&h, "argv", c->process.argv);
	add_list(&h, "env", c->process.env);
	add(&h, "cwd", c->process.cwd);
	add(&h, "user", c->process.user);
	add_list(&h, "cap_add", c->cap_add);
	add_list(&h, "cap_drop", c->cap_drop);
	add_int(&h, "nnp", c->no_new_privileges);
	add_int(&h, "seccomp", c->seccomp);
	add(&h, "seccomp_profile", c->seccomp_profile);
	add_int(&h, "mem", c->limits.memory);
	add_int(&h, "memswap", c->limits.memory_swap);
	add_int(&h, "pids", c->limits.pids);
	add_int(&h, "cpu_shares", (long long)c->limits.cpu_shares);
	add_int(&h, "cpu_quota", c->limits.cpu_quota_us);
	add_int(&h, "cpu_period", c->limits.cpu_period_us);
	for (size_t i = 0; i < c->n_rlimits; i++) {
		add_int(&h, "rlimit", c->rlimits[i].resource);
		add_int(&h, "soft", (long long)c->rlimits[i].soft);
		add_int(&h, "hard", (long long)c->rlimits[i].hard);
	}
	add_int(&h, "init", c->init);
	add_int(&h, "stop_signal", c->stop_signal);
	add_int(&h, "restart", spec->restart);
	add_int(&h, "restart_max", spec->restart_max);
	add_int(&h, "grace", (long long)spec->stop_grace_period);
	add_int(&h, "log_size", (long long)spec->logging.max_size);
	add_int(&h, "log_files", spec->logging.max_file);
	st_sha256_end_hex(&h, out);
	return 0;
}
