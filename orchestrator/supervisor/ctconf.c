#include "supervisor/ctconf.h"
#include "supervisor/files.h"
#include "spec/names.h"
#include "util/env.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sup_project_run_dir(const struct st_paths *paths, const struct spec_stack *stack)
{
	return xasprintf("%s/%s", paths->run, stack->name);
}

char *sup_secrets_dir(const char *project_run_dir, const char *id)
{
	return xasprintf("%s/%s.secrets", project_run_dir, id);
}

void sup_ctconf_remove_host_files(struct sup_ctconf *c)
{
	if (c->secrets_dir)
		fs_remove_tree(c->secrets_dir, NULL);
}

/* Set KEY=VALUE in a "K=V" vector, replacing an earlier KEY: later sources
 * (image, then service, then the command line) win, as in docker. */
static void env_set(struct strv *env, const char *key, size_t klen, const char *value)
{
	char *entry = xasprintf("%.*s=%s", (int)klen, key, value);
	ssize_t i = st_env_index((const char *const *)env->v, key, klen);
	if (i < 0) {
		strv_push_take(env, entry);
		return;
	}
	free(env->v[i]);
	env->v[i] = entry;
}

static void env_set_kv(struct strv *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq) {
		env_set(env, kv, (size_t)(eq - kv), eq + 1);
		return;
	}
	/* `-e NAME` alone passes our own value through; unset means unset. */
	const char *v = getenv(kv);
	if (v)
		env_set(env, kv, strlen(kv), v);
}

static void build_env(const struct spec_service *svc, const struct sup_image_defaults *img,
		      const struct sup_overrides *ov, struct strv *env)
{
	if (img)
		for (size_t i = 0; i < img->env.n; i++)
			env_set_kv(env, img->env.v[i]);
	for (size_t i = 0; i < svc->environment.n; i++) {
		const struct spec_kv *kv = &svc->environment.v[i];
		if (kv->value)
			env_set(env, kv->key, strlen(kv->key), kv->value);
	}
	if (ov && ov->env)
		for (size_t i = 0; i < ov->env->n; i++)
			env_set_kv(env, ov->env->v[i]);
}

/* Docker's rule: the entrypoint comes from the run, the service or the
 * image, in that order; a service or run that sets the entrypoint drops the
 * image's CMD, so the old default arguments never reach a new program. */
static int build_argv(const struct spec_service *svc, const struct sup_image_defaults *img,
		      const struct sup_overrides *ov, struct strv *argv, st_error_t *err)
{
	const struct strv *entry = NULL, *cmd = NULL;
	bool entry_overridden = false;
	if (ov && ov->entrypoint) {
		entry = ov->entrypoint;
		entry_overridden = true;
	} else if (svc->entrypoint_set) {
		entry = &svc->entrypoint;
		entry_overridden = true;
	} else if (img) {
		entry = &img->entrypoint;
	}
	if (ov && ov->command && ov->command->n > 0)
		cmd = ov->command;
	else if (svc->command_set)
		cmd = &svc->command;
	else if (img && !entry_overridden)
		cmd = &img->cmd;
	if (entry)
		strv_copy(argv, entry);
	if (cmd)
		strv_copy(argv, cmd);
	if (argv->n == 0)
		return st_error(err, 0, "service `%s` has no command to run: set `command:` or `entrypoint:` "
					"in the stack file, or give one after the service name", svc->name);
	return 0;
}

static struct rt_mount *add_mount(struct sup_ctconf *c)
{
	c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
	struct rt_mount *m = &c->mounts[c->n_mounts++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* Keep a string alive as long as the config. */
static const char *keep(struct sup_ctconf *c, char *s)
{
	strv_push_take(&c->scratch, s);
	return s;
}

/* A directory for a volume, made with MODE whatever the caller's umask
 * (under umask 077 it would be 0700, closed to a non-root service user);
 * one that exists is the user's, or an earlier start's, and keeps its
 * mode. */
static int make_volume_dir(const char *path, mode_t mode, st_error_t *err)
{
	if (access(path, F_OK) == 0)
		return 0;
	if (fs_mkdir_p(path, mode, err) < 0)
		return -1;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, mode) < 0)
		return st_error(err, errno, "chmod %o `%s`", (unsigned)mode, path);
	return 0;
}

static int add_service_mounts(const struct st_paths *paths, const struct spec_stack *stack,
			      const struct spec_service *svc, struct sup_ctconf *c, st_error_t *err)
{
	for (size_t i = 0; i < svc->n_mounts; i++) {
		const struct spec_mount *sm = &svc->mounts[i];
		const char *source = sm->source;
		if (sm->type == SPEC_MOUNT_BIND && sm->create_host_path) {
			/* docker's short syntax creates a missing source directory. */
			if (make_volume_dir(source, 0755, err) < 0)
				return st_error_prefix(err, "service `%s`: volume `%s`", svc->name, sm->target);
		}
		if (sm->type == SPEC_MOUNT_VOLUME) {
			if (!spec_name_valid(sm->source))
				return st_error(err, EINVAL, "service `%s`: invalid volume name `%s`", svc->name,
						sm->source);
			source = keep(c, sup_volume_dir(paths, stack->name, sm->source));
			if (make_volume_dir(source, 0755, err) < 0)
				return st_error_prefix(err, "service `%s`: named volume `%s`", svc->name, sm->source);
		}
		struct rt_mount *m = add_mount(c);
		m->type = sm->type == SPEC_MOUNT_TMPFS ? RT_MOUNT_TMPFS : RT_MOUNT_BIND;
		m->source = source;
		m->target = sm->target;
		m->read_only = sm->read_only;
		m->tmpfs_size = sm->tmpfs_size;
		m->tmpfs_mode = sm->tmpfs_mode;
	}
	return 0;
}

/* Secrets are read-only binds.  A file secret binds the user's file; an
 * environment secret is written to a private file first, since a bind
 * needs something on disk. */
static int add_secret_mounts(const struct st_paths *paths, const struct spec_stack *stack,
			     const struct spec_service *svc, struct sup_ctconf *c, st_error_t *err)
{
	for (size_t i = 0; i < svc->n_secrets; i++) {
		const struct spec_secret_ref *ref = &svc->secrets[i];
		const struct spec_secret *sec = spec_find_secret(stack, ref->source);
		if (!sec)
			return st_error(err, 0, "service `%s`: secret `%s` is not defined under `secrets:`",
					svc->name, ref->source);
		const char *source = sec->file;
		if (sec->environment) {
			const char *value = sec->value;
			if (!value)
				return st_error(err, 0, "secret `%s`: environment variable %s is not set: "
						     "export it before running the service", sec->name, sec->environment);
			/* The loader refuses such names; a model built by other code must
			 * not write outside the secrets dir either. */
			if (!spec_name_valid(sec->name))
				return st_error(err, EINVAL, "secret `%s`: invalid name", sec->name);
			if (!c->secrets_dir) {
				_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
				c->secrets_dir = sup_secrets_dir(run, c->id);
				if (fs_mkdir_p(c->secrets_dir, 0700, err) < 0)
					return -1;
			}
			char *path = xasprintf("%s/%s", c->secrets_dir, sec->name);
			keep(c, path);
			/* 0444, compose's default for a secret: the service's user
			 * may be anyone (on the host the dir is 0700). */
			if (fs_write_file_atomic(path, value, strlen(value), 0444, err) < 0)
				return -1;
			source = path;
		} else if (access(source, F_OK) < 0) {
			return st_error(err, errno, "secret `%s`: file `%s`", sec->name, source);
		}
		struct rt_mount *m = add_mount(c);
		m->type = RT_MOUNT_BIND;
		m->source = source;
		m->target = ref->target;
		m->read_only = true;
	}
	return 0;
}

/* devices: the runtime checks each host path is a device node when the
 * container starts (the machine it runs on decides, not the file). */
static void add_devices(const struct spec_service *svc, struct sup_ctconf *c)
{
	if (!svc->n_devices)
		return;
	c->devices = xcalloc(svc->n_devices, sizeof(*c->devices));
	for (size_t i = 0; i < svc->n_devices; i++) {
		const struct spec_device *sd = &svc->devices[i];
		unsigned access = 0;
		for (const char *p = sd->permissions; p && *p; p++)
			access |= *p == 'r' ? RT_DEV_READ : *p == 'w' ? RT_DEV_WRITE : *p == 'm' ? RT_DEV_MKNOD : 0;
		c->devices[i] = (struct rt_device){.source = sd->source, .target = sd->target, .access = access};
	}
}

static void set_limits(const struct spec_service *svc, struct rt_cgroup_limits *lim)
{
	lim->memory = svc->mem_limit;
	lim->memory_swap = svc->memswap_limit;
	lim->pids = svc->pids_limit;
	lim->cpu_shares = svc->cpu_shares;
	if (svc->nano_cpus > 0) {
		lim->cpu_period_us = 100000;
		lim->cpu_quota_us = svc->nano_cpus / 10000; /* ns of CPU per 100 ms period */
	}
}

static const char *const *strv_or_null(struct strv *sv)
{
	return sv->n ? (const char *const *)sv->v : NULL;
}

static enum rt_net_mode net_mode(enum spec_network_mode m)
{
	switch (m) {
	case SPEC_NET_NONE:
		return RT_NET_NONE;
	case SPEC_NET_HOST:
		return RT_NET_HOST;
	case SPEC_NET_SERVICE:
		/* The starter sets cfg.net_join_fd to the target's namespace. */
		return RT_NET_JOIN;
	case SPEC_NET_PRIVATE:
		break;
	}
	return RT_NET_PRIVATE;
}

int sup_ctconf_build(const struct st_paths *paths, const struct spec_stack *stack, const struct spec_service *svc,
		     const char *id, const struct strv *lower_dirs, const struct sup_image_defaults *img,
		     const struct sup_overrides *ov, struct sup_ctconf *c, st_error_t *err)
{
	memset(c, 0, sizeof(*c));
	struct rt_config *cfg = &c->cfg;
	rt_config_init(cfg);

	_cleanup_free_ char *run = sup_project_run_dir(paths, stack);
	c->id = xstrdup(id);
	c->state_dir = xasprintf("%s/%s", run, id);
	c->seccomp_cache_dir = xasprintf("%s/cache/seccomp", paths->root);
	c->hostname = xstrdup(svc->hostname ? svc->hostname : svc->name);
	strv_copy(&c->lowers, lower_dirs);
	strv_copy(&c->cap_add, &svc->cap_add);
	strv_copy(&c->cap_drop, &svc->cap_drop);
	build_env(svc, img, ov, &c->env);
	if (build_argv(svc, img, ov, &c->argv, err) < 0)
		goto fail;
	if (add_service_mounts(paths, stack, svc, c, err) < 0 || add_secret_mounts(paths, stack, svc, c, err) < 0)
		goto fail;
	if (svc->n_ulimits) {
		c->rlimits = xcalloc(svc->n_ulimits, sizeof(*c->rlimits));
		for (size_t i = 0; i < svc->n_ulimits; i++)
			c->rlimits[i] = (struct rt_rlimit){
				.resource = svc->ulimits[i].resource,
				.soft = svc->ulimits[i].soft,
				.hard = svc->ulimits[i].hard,
			};
	}

	cfg->id = c->id;
	cfg->state_dir = c->state_dir;
	cfg->cgroup_parent = paths->cgroup_parent;
	cfg->lower_dirs = (const char *const *)strv_argv(&c->lowers);
	cfg->read_only = svc->read_only;
	cfg->mounts = c->mounts;
	cfg->n_mounts = c->n_mounts;
	add_devices(svc, c);
	cfg->devices = c->devices;
	cfg->n_devices = svc->n_devices;
	cfg->hostname = c->hostname;
	cfg->net = net_mode(svc->network_mode);
	cfg->process.argv = (const char *const *)strv_argv(&c->argv);
	cfg->process.env = (const char *const *)strv_argv(&c->env);
	cfg->process.cwd = ov && ov->working_dir ? ov->working_dir
			 : svc->working_dir	 ? svc->working_dir
			 : img			 ? img->working_dir
						 : NULL;
	cfg->process.user = ov && ov->user ? ov->user : svc->user ? svc->user : img ? img->user : NULL;
	cfg->cap_add = strv_or_null(&c->cap_add);
	cfg->cap_drop = strv_or_null(&c->cap_drop);
	cfg->no_new_privileges = svc->no_new_privileges;
	cfg->seccomp = svc->seccomp == SPEC_SECCOMP_UNCONFINED ? RT_SECCOMP_UNCONFINED
		     : svc->seccomp == SPEC_SECCOMP_PROFILE    ? RT_SECCOMP_PROFILE
							       : RT_SECCOMP_DEFAULT;
	cfg->seccomp_profile = svc->seccomp_profile;
	cfg->seccomp_cache_dir = c->seccomp_cache_dir;
	set_limits(svc, &cfg->limits);
	cfg->rlimits = c->rlimits;
	cfg->n_rlimits = svc->n_ulimits;
	cfg->init = svc->init;
	if (svc->stop_signal > 0)
		cfg->stop_signal = svc->stop_signal;
	return 0;
fail:
	sup_ctconf_remove_host_files(c);
	sup_ctconf_free(c);
	return -1;
}

void sup_ctconf_free(struct sup_ctconf *c)
{
	free(c->id);
	free(c->state_dir);
	free(c->seccomp_cache_dir);
	free(c->hostname);
	free(c->secrets_dir);
	strv_free(&c->argv);
	strv_free(&c->env);
	strv_free(&c->cap_add);
	strv_free(&c->cap_drop);
	strv_free(&c->lowers);
	strv_free(&c->scratch);
	free(c->mounts);
	free(c->devices);
	free(c->rlimits);
	memset(c, 0, sizeof(*c));
}
