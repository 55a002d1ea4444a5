#ifndef CHILD_SPAWN_H
#define CHILD_SPAWN_H

#include <spawn.h>

/// glibc's GNU extensions to posix_spawn file actions, which Swift does not import: descriptors
/// from `lowest` up are closed in the child, and the child starts in `directory` (unless NULL).
/// Returns 0 or an errno value.
int child_spawn_close_from_and_chdir(posix_spawn_file_actions_t *actions, int lowest, const char *directory);

#endif
