/* PLACEHOLDER */ typedef int stack_runtime_placeholder_t;
