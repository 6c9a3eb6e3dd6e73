/* Where stack keeps its state: STACK_ROOT (images, layers, caches, volumes)
 * and STACK_RUN (per project: containers' state, supervisor socket).  Tests
 * point both at temp dirs. */
#ifndef STACK_UTIL_PATHS_H
#define STACK_UTIL_PATHS_H

const char *st_root_dir(void); /* $STACK_ROOT, else /var/lib/stack */
const char *st_run_dir(void);  /* $STACK_RUN, else /run/stack */

#endif
