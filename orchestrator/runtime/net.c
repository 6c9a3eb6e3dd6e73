/* Network namespace setup done by the container itself: lo up.  Without
 * this even 127.0.0.1 does not work in a fresh netns.  An ioctl rather
 * than netlink or `ip link`: two syscalls, no exec. */
#include "runtime/internal.h"
#include "util/mem.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int rt_net_lo_up(st_error_t *err)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return st_error(err, errno, "socket for `lo`");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return st_error(err, errno, "SIOCGIFFLAGS `lo`");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return st_error(err, errno, "SIOCSIFFLAGS `lo` up");
	return 0;
}
