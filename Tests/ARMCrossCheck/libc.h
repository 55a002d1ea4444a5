// The C library functions the kernels and the cross-check call, declared for Embedded Swift
// (which has no Glibc module); resolved by aarch64 glibc at link time.
#include <stddef.h>
int posix_memalign(void **memptr, size_t alignment, size_t size);
void free(void *ptr);
float expf(float x);
void exit(int status);
