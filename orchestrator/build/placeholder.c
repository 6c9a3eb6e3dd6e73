/* PLACEHOLDER */ typedef int stack_build_placeholder_t;
