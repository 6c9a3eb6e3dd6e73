/* The services' containers on the stack's networks (network.h), as
 * `stack run` puts its one-off container there: the networks are made
 * (or adopted) when the supervisor starts and for every stack file a
 * later `up` brings, each container gets its service's stable address
 * and the /etc/hosts lines of its networks at start, and gives the
 * address back once it is gone, so the next container of the service
 * takes the same one and the other containers' /etc/hosts stay true.
 * `network_mode: service:NAME` joins the namespace of NAME's running
 * container.  The networks are torn down by `stack down` (cmd_down.c),
 * also when no supervisor is left to do it. */
#include "supervisor/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sup_nets_setup_current(struct sup *sup, st_error_t *err)
{
	size_t i = sup->n_stacks - 1;
	sup->nets = xrealloc(sup->nets, sup->n_stacks * sizeof(*sup->nets));
	if (sup_net_setup(sup->paths, sup->stacks[i], &sup->nets[i], err) < 0) {
		memset(&sup->nets[i], 0, sizeof(sup->nets[i]));
		return st_error_prefix(err, "networks of project `%s`", sup->project);
	}
	return 0;
}

static const struct sup_nets *nets_of(const struct sup_service *s)
{
	const struct sup *sup = s->sup;
	for (size_t i = 0; sup->nets && i < sup->n_stacks; i++)
		if (sup->stacks[i] == s->stack)
			return &sup->nets[i];
	return NULL;
}

int sup_service_net_prepare(struct sup_service *s, struct rt_config *cfg, int *join_fd, st_error_t *err)
{
	*join_fd = -1;
	const struct spec_service *spec = s->spec;
	if (spec->network_mode == SPEC_NET_SERVICE) {
		struct sup_service *t = sup_find(s->sup, spec->network_service);
		if (!t || !t->ct || t->reaping || t->pid <= 0)
			return st_error(err, ESRCH,
					"service `%s` shares the network namespace of service `%s` "
					"(`network_mode: service:%s`), which is not running; start `%s` first",
					s->name, spec->network_service, spec->network_service, spec->network_service);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t->pid);
		/* t's container is our unreaped child: the pid still names it. */
		*join_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*join_fd < 0)
			return st_error(err, errno, "open `%s` (the network namespace of `%s`)", path, t->id);
		cfg->net_join_fd = *join_fd;
		return 0;
	}
	if (spec->network_mode != SPEC_NET_PRIVATE)
		return 0;
	const struct sup_nets *nets = nets_of(s);
	if (!nets)
		return st_error(err, ENOENT, "service `%s`: the stack's networks were not set up", s->name);
	strv_free(&s->extra_hosts);
	if (sup_net_attach_prepare(s->sup->paths, s->stack, nets, spec, s->id, false, &s->net, &s->extra_hosts,
				   err) < 0)
		return -1;
	cfg->net_hook = sup_net_attach_hook;
	cfg->net_hook_data = &s->net;
	cfg->extra_hosts = (const char *const *)strv_argv(&s->extra_hosts);
	return 0;
}

void sup_service_net_release(struct sup_service *s)
{
	if (s->net.id) {
		st_error_t err = NULL;
		if (sup_net_release_container(s->sup->paths, s->stack, &s->net, &err) < 0) {
			st_error_prefix(&err, "container `%s`", s->id);
			st_error_print(&err, stderr);
		}
	}
	sup_net_attach_free(&s->net);
	strv_free(&s->extra_hosts);
}
