/* The typed model of a stack file, after interpolation, merging of -f files,
 * validation and normalization.  Everything here is owned by the spec_stack
 * and freed by spec_stack_free().  The runtime never sees this type: the CLI
 * and supervisor translate a spec_service into a runtime config. */
#ifndef STACK_SPEC_MODEL_H
#define STACK_SPEC_MODEL_H

#include "util/strv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a value came from, for errors found after loading (plan, build). */
struct spec_pos {
	const char *file; /* interned in spec_stack.file_names; never freed separately */
	int line, col;
};

struct spec_kv {
	char *key;
	char *value; /* NULL: key without value (e.g. an ARG or env with no default) */
	bool secret; /* never printed by `stack config` (env_file values marked secret) */
};

struct spec_kvlist {
	struct spec_kv *v;
	size_t n, cap;
};

/* ---- bases: where external images come from ---- */
enum spec_base_kind {
	SPEC_BASE_PULL,        /* pull: REF (registry) */
	SPEC_BASE_ROOTFS,      /* rootfs: PATH (dir or tar[.gz|.zst]) */
	SPEC_BASE_OCI,         /* oci: PATH (OCI layout dir or archive) */
	SPEC_BASE_DEBOOTSTRAP, /* debootstrap: {suite, variant, mirror, include} */
};

struct spec_base {
	char *name; /* as named in FROM lines: "debian:bookworm" */
	enum spec_base_kind kind;
	char *ref;  /* PULL: normalized reference (docker.io/library/ubuntu:focal) */
	char *path; /* ROOTFS, OCI: absolute path */
	struct {
		char *suite, *variant, *mirror;
		struct strv include;
	} debootstrap;
	bool insecure; /* PULL: `insecure: true`, plain HTTP / unchecked TLS allowed */
	bool implicit; /* not in the file: a FROM or image: naming a registry image */
	struct spec_pos pos;
};

/* ---- images: built from Dockerfiles, in the order their FROMs imply ---- */
struct spec_image {
	char *name;
	char *context;           /* absolute */
	char *dockerfile;        /* absolute; NULL when dockerfile_inline is set */
	char *dockerfile_inline; /* Dockerfile text given in the stack file */
	struct spec_kvlist args;
	char *target;
	struct spec_kvlist labels;
	bool network_none; /* network: none (RUN steps get only a loopback); default host */
	bool host_apt;     /* RUN steps see the host's apt sources, proxy and auth read-only (builder/host_apt.h) */
	char *service; /* set when created by a service's `build:` (name PROJECT-SERVICE) */
	struct spec_pos pos;
};

/* ---- networks: bridges in the stack's own network namespace ---- */
struct spec_network {
	char *name;   /* a path component: STACK_RUN/PROJECT/netns/NAME */
	char *subnet; /* ipam.config[0].subnet, normalized "A.B.C.D/N"; NULL: chosen at setup */
	bool implicit; /* `default`, made for services without `networks:` */
	struct spec_pos pos;
};

/* ---- secrets ---- */
struct spec_secret {
	char *name;
	char *file;        /* absolute; or NULL */
	char *environment; /* variable name; or NULL */
	/* environment's value where the stack file was loaded (the loader's
	 * environment, then .env), NULL if unset: a `stack up` on a running
	 * stack brings its own, not the supervisor's.  Never dumped. */
	char *value;
	struct spec_pos pos;
};

/* ---- services ---- */
enum spec_proto { SPEC_PROTO_TCP, SPEC_PROTO_UDP };

struct spec_port {       /* ranges are expanded into one entry per port */
	char *host_ip;       /* NULL: all addresses */
	uint16_t published;  /* 0: ephemeral host port */
	uint16_t target;
	enum spec_proto protocol;
};

enum spec_mount_type { SPEC_MOUNT_BIND, SPEC_MOUNT_VOLUME, SPEC_MOUNT_TMPFS };

struct spec_mount {
	enum spec_mount_type type;
	char *source; /* BIND: absolute host path; VOLUME: volume name; TMPFS: NULL */
	char *target; /* absolute path in the container */
	bool read_only;
	uint64_t tmpfs_size; /* bytes, 0 = kernel default */
	uint32_t tmpfs_mode; /* 0 = 01777 */
	bool create_host_path; /* short syntax: docker creates a missing dir */
};

struct spec_secret_ref {
	char *source; /* name in top-level secrets */
	char *target; /* absolute; short form: /run/secrets/SOURCE */
	int64_t uid, gid; /* -1 = unset */
	uint32_t mode;    /* default 0444 */
};

/* devices: a host device passed through, compose's HOST:CONTAINER[:PERMS]. */
struct spec_device {
	char *source;      /* absolute host path; that it is a device node is checked at run time */
	char *target;      /* absolute path below /dev in the container */
	char *permissions; /* cgroup permissions: some of r, w, m in that order; default "rwm" */
};

struct spec_ulimit {
	char *name;   /* nofile, nproc, ... */
	int resource; /* RLIMIT_* */
	int64_t soft, hard; /* -1 = unlimited */
};

enum spec_health_kind {
	SPEC_HEALTH_INHERIT, /* no healthcheck key: use the image's HEALTHCHECK */
	SPEC_HEALTH_NONE,    /* test: NONE, or disable: true */
	SPEC_HEALTH_CMD,     /* exec form: argv in test */
	SPEC_HEALTH_SHELL,   /* CMD-SHELL or plain string: one string in test */
	SPEC_HEALTH_TCP,     /* native: connect to port */
	SPEC_HEALTH_HTTP,    /* native: GET path on port, expect status */
};

struct spec_health {
	enum spec_health_kind kind;
	struct strv test;
	uint16_t port;
	char *path;   /* HTTP, default "/" */
	int status;   /* HTTP, 0 = any 2xx/3xx */
	/* nanoseconds; Docker's defaults are filled in by the loader:
	 * interval 30s, timeout 30s, start_period 0, start_interval 5s, retries 3 */
	int64_t interval, timeout, start_period, start_interval;
	int retries;
};

enum spec_restart { SPEC_RESTART_NO, SPEC_RESTART_ALWAYS, SPEC_RESTART_ON_FAILURE, SPEC_RESTART_UNLESS_STOPPED };

enum spec_dep_condition {
	SPEC_DEP_STARTED,
	SPEC_DEP_HEALTHY,
	SPEC_DEP_COMPLETED,
};

struct spec_depends {
	char *service;
	enum spec_dep_condition condition;
	bool restart;
	bool required;
	struct spec_pos pos;
};

enum spec_seccomp { SPEC_SECCOMP_DEFAULT, SPEC_SECCOMP_UNCONFINED, SPEC_SECCOMP_PROFILE };

/* PRIVATE: the container's own network namespace, on the stack's networks
 * (networks[], or the `default` network); SERVICE: the namespace of
 * another service's container (network_mode: service:NAME). */
enum spec_network_mode { SPEC_NET_PRIVATE, SPEC_NET_NONE, SPEC_NET_HOST, SPEC_NET_SERVICE };

/* One entry of a service's `networks:`. */
struct spec_net_attach {
	char *network;       /* names a spec_network */
	struct strv aliases; /* host names other services find this one by, besides its name */
	struct spec_pos pos;
};

/* logging: the supervisor's JSON-lines files, rotated as Docker's
 * json-file/local drivers rotate (options max-size, max-file). */
#define SPEC_LOG_MAX_SIZE_DEFAULT (20 * 1024 * 1024LL)
#define SPEC_LOG_MAX_FILE_DEFAULT 5
struct spec_logging {
	char *driver;     /* as written (json-file, local), for `stack config`; NULL: not given */
	int64_t max_size; /* bytes per file; default 20 MiB */
	int max_file;     /* files kept, the current one included; default 5 */
	bool set;         /* `logging:` was given */
};

struct spec_service {
	char *name;
	struct spec_pos pos;

	char *image; /* the image to run: a stack image, a base, or a registry ref */
	bool has_build; /* `build:` given: image names the spec_image made for it */

	struct strv command;    /* string form is split like a shell would, not run via sh -c */
	bool command_set;
	struct strv entrypoint;
	bool entrypoint_set;
	struct spec_kvlist environment; /* env_file entries first, then environment; later wins */
	struct strv env_file;           /* absolute paths, for `stack config` */
	char *working_dir;
	char *user;
	char *hostname;
	enum spec_network_mode network_mode;
	char *network_service; /* SPEC_NET_SERVICE: the service whose namespace it joins */
	struct spec_pos network_mode_pos;
	/* SPEC_NET_PRIVATE: the networks joined, in file order (at least one:
	 * `default` when the file gives none); empty otherwise. */
	struct spec_net_attach *networks;
	size_t n_networks;

	struct spec_port *ports;
	size_t n_ports;
	struct spec_mount *mounts; /* volumes and tmpfs, in file order */
	size_t n_mounts;
	struct spec_secret_ref *secrets;
	size_t n_secrets;
	struct spec_device *devices;
	size_t n_devices;
	bool read_only;

	struct strv cap_add;  /* upper-case, without CAP_ prefix; "ALL" allowed */
	struct strv cap_drop;

	int64_t pids_limit;    /* 0 = unset, -1 = unlimited */
	int64_t mem_limit;     /* bytes, 0 = unset */
	int64_t memswap_limit; /* bytes, 0 = unset, -1 = unlimited swap */
	uint64_t cpu_shares;   /* 0 = unset */
	int64_t nano_cpus;     /* cpus * 1e9, 0 = unset */

	bool no_new_privileges;          /* default true */
	enum spec_seccomp seccomp;
	char *seccomp_profile;           /* absolute path when SPEC_SECCOMP_PROFILE */

	struct spec_ulimit *ulimits;
	size_t n_ulimits;
	bool init;                 /* default true: our init as PID 1 */
	int stop_signal;           /* default SIGTERM */
	int64_t stop_grace_period; /* ns, default 10s */

	enum spec_restart restart;
	int restart_max; /* on-failure:N, 0 = unlimited */

	struct spec_depends *depends_on;
	size_t n_depends_on;
	struct spec_health health;
	struct spec_logging logging;
	struct spec_kvlist labels;
	struct strv profiles;
};

struct spec_stack {
	char *name;        /* project name */
	char *project_dir; /* absolute; relative paths in the file resolve here */
	struct strv files; /* absolute paths of the stack files, in -f order */
	struct strv file_names; /* the same files as the user named them (for messages) */
	struct strv volumes;    /* top-level named volumes, in file order */

	struct spec_base *bases;
	size_t n_bases;
	struct spec_image *images;
	size_t n_images;
	struct spec_secret *secrets;
	size_t n_secrets;
	struct spec_service *services;
	size_t n_services;
	struct spec_network *networks; /* those some service joins, and those declared */
	size_t n_networks;
};

/* Replace or append; returns the entry (its `secret` flag cleared). */
struct spec_kv *spec_kvlist_set(struct spec_kvlist *l, const char *key, const char *value);
const struct spec_kv *spec_kvlist_get(const struct spec_kvlist *l, const char *key);
void spec_kvlist_free(struct spec_kvlist *l);

const struct spec_base *spec_find_base(const struct spec_stack *s, const char *name);
const struct spec_image *spec_find_image(const struct spec_stack *s, const char *name);
const struct spec_secret *spec_find_secret(const struct spec_stack *s, const char *name);
const struct spec_service *spec_find_service(const struct spec_stack *s, const char *name);
const struct spec_network *spec_find_network(const struct spec_stack *s, const char *name);

/* The index of the base that already stands for registry image `ref`
 * (normalized; `name` as written): one of that name, one whose name
 * normalizes to ref, or an implicit base of ref; -1 if none.  The rule by
 * which two spellings are one image, for whoever adds implicit bases. */
ssize_t spec_find_pull_base(const struct spec_stack *s, const char *name, const char *ref);
/* Add an implicit `pull:` base (a FROM naming a registry image). */
struct spec_base *spec_add_implicit_base(struct spec_stack *s, const char *name, const char *ref);

/* Free what one image owns (the struct itself is an element of s->images). */
void spec_image_free(struct spec_image *im);
/* Free what one service owns (the struct itself is an element of s->services). */
void spec_service_free(struct spec_service *sv);
void spec_stack_free(struct spec_stack *s);

#endif
