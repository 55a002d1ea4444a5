#ifndef NASCTL_GUARDED_SPAWN_H
#define NASCTL_GUARDED_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group, its standard streams on
/// `in_fd`, `out_fd` and `err_fd`, under a guard process that kills the whole group (SIGKILL)
/// when the command exits (whatever it left behind), when the caller writes to or closes
/// `*control_fd`, or when the caller dies by any means (the pipe closes with it).
///
/// Returns the guard's pid; its exit status is the command's (a command killed by signal S
/// makes the guard die of S too). Returns -1 with errno set when a pipe or fork fails.
pid_t nasctl_guarded_spawn(const char *path, char *const argv[], char *const envp[],
                           int in_fd, int out_fd, int err_fd, int *control_fd);

#endif
