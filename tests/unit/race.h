/* Race many threads through a first use: every thread waits at one barrier
 * and then calls fn(slot) at once, each with a slot of its own for what it
 * saw.  The caller checks the slots after the join.  Under ThreadSanitizer
 * (-DSTACK_TSAN=ON) an unsynchronised first use is reported even when the
 * results happen to agree. */
#ifndef STACK_TESTS_RACE_H
#define STACK_TESTS_RACE_H

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#define RACE_THREADS 16

struct race_arg {
	pthread_barrier_t *go;
	void (*fn)(void *slot);
	void *slot;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	pthread_barrier_wait(a->go);
	a->fn(a->slot);
	return NULL;
}

/* slots: RACE_THREADS elements of slot_size bytes.  Returns 0, or -1 when a
 * thread could not be started. */
static inline int race_run(void *slots, size_t slot_size, void (*fn)(void *slot))
{
	pthread_barrier_t go;
	pthread_t t[RACE_THREADS];
	struct race_arg a[RACE_THREADS];
	if (pthread_barrier_init(&go, NULL, RACE_THREADS) != 0)
		return -1;
	for (size_t i = 0; i < RACE_THREADS; i++) {
		a[i] = (struct race_arg){&go, fn, (char *)slots + i * slot_size};
		if (pthread_create(&t[i], NULL, race_thread, &a[i]) != 0)
			abort(); /* the others wait at the barrier for good */
	}
	for (size_t i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	return 0;
}

#endif
