#include "runtime/config.h"

#include <signal.h>
#include <string.h>

void rt_config_init(struct rt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->net = RT_NET_NONE;
	cfg->net_join_fd = -1;
	cfg->seccomp = RT_SECCOMP_DEFAULT;
	cfg->process.stdio = RT_STDIO_INHERIT;
	cfg->process.fds[0] = cfg->process.fds[1] = cfg->process.fds[2] = -1;
	cfg->init = true;
	cfg->stop_signal = SIGTERM;
	cfg->start_timeout_ms = RT_START_TIMEOUT_MS_DEFAULT;
}
