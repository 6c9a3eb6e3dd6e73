#include "supervisor/restart.h"

bool sup_restart_wanted(enum spec_restart policy, int max_retries, int exit_code, int restarts)
{
	switch (policy) {
	case SPEC_RESTART_NO:
		return false;
	case SPEC_RESTART_ALWAYS:
	case SPEC_RESTART_UNLESS_STOPPED:
		return true;
	case SPEC_RESTART_ON_FAILURE:
		return exit_code != 0 && (max_retries == 0 || restarts < max_retries);
	}
	return false;
}

int64_t sup_restart_delay(int64_t prev_delay_ms, int64_t up_ms)
{
	if (prev_delay_ms <= 0 || up_ms >= SUP_BACKOFF_RESET_MS)
		return SUP_BACKOFF_FIRST_MS;
	int64_t d = prev_delay_ms * 2;
	return d > SUP_BACKOFF_MAX_MS ? SUP_BACKOFF_MAX_MS : d;
}

const char *sup_restart_policy_name(enum spec_restart policy)
{
	switch (policy) {
	case SPEC_RESTART_NO:
		return "no";
	case SPEC_RESTART_ALWAYS:
		return "always";
	case SPEC_RESTART_ON_FAILURE:
		return "on-failure";
	case SPEC_RESTART_UNLESS_STOPPED:
		return "unless-stopped";
	}
	return "no";
}
