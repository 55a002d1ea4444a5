#define _GNU_SOURCE
#include "child_spawn.h"

int child_spawn_close_from_and_chdir(posix_spawn_file_actions_t *actions, int lowest, const char *directory) {
    int error = posix_spawn_file_actions_addclosefrom_np(actions, lowest);
    if (error == 0 && directory != NULL) error = posix_spawn_file_actions_addchdir_np(actions, directory);
    return error;
}
