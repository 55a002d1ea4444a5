#define _GNU_SOURCE
#include "guarded_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

// Only async-signal-safe calls after fork: the caller is multithreaded.

/// fork without the pthread_atfork handlers: glibc's fork() runs the handlers that libraries
/// registered (OpenBLAS shuts its thread pool down in one), and in the
/// guard, itself forked from a multithreaded nasctl, a handler can wait on a lock or a thread
/// that did not come along, forever (a test run once left a guard asleep with no command,
/// minutes after its nasctl was killed: stuck before its command started, as such a wait
/// would). `_Fork` (glibc 2.34+) is the async-signal-safe fork; neither the guard nor the
/// command before its exec calls anything a handler would prepare.
static pid_t plain_fork(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return _Fork();
#else
    return fork();
#endif
}

static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    // Ignored dispositions survive exec: the command gets the defaults back.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

/// Closes every descriptor from 3 up except `keep`.
static void close_others(int keep) {
    if (keep > 3) close_range(3, (unsigned)keep - 1, 0);
    close_range((unsigned)(keep >= 3 ? keep + 1 : 3), ~0U, 0);
}

static void guard_loop(pid_t child, int control) __attribute__((noreturn));

static void guard_loop(pid_t child, int control) {
    int status = 0;
    for (;;) {
        struct pollfd watch = {.fd = control, .events = POLLIN, .revents = 0};
        int ready = poll(&watch, 1, 50);
        if (ready > 0) {
            // The caller asked for a stop, or died: the whole group goes.
            kill(-child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            _exit(137);
        }
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            kill(-child, SIGKILL);  // anything the command left running in its group
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                signal(sig, SIG_DFL);
                kill(getpid(), sig);
                _exit(128 + sig);
            }
            _exit(126);
        }
        if (done < 0 && errno != EINTR) _exit(126);
    }
}

pid_t nasctl_guarded_spawn(const char *path, char *const argv[], char *const envp[],
                           int in_fd, int out_fd, int err_fd, int *control_fd) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
    pid_t guard = plain_fork();
    if (guard < 0) {
        int saved = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        errno = saved;
        return -1;
    }
    if (guard == 0) {
        pid_t guard_pid = getpid();
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        reset_signals();
        signal(SIGINT, SIG_IGN);  // a terminal's Ctrl-C is nasctl's to handle, not the guard's
        signal(SIGQUIT, SIG_IGN);
        close(pipe_fds[1]);
        pid_t child = plain_fork();
        if (child < 0) _exit(126);
        if (child == 0) {
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != guard_pid) _exit(127);  // the guard is already gone
            reset_signals();
            if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
            close_others(-1);
            execve(path, argv, envp);
            _exit(127);
        }
        setpgid(child, child);  // also from this side, so the group exists before any kill
        close_others(pipe_fds[0]);
        // Let go of the caller's streams: a reader of nasctl's output sees its end when nasctl ends.
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            if (null_fd > 2 && null_fd != pipe_fds[0]) close(null_fd);
        }
        guard_loop(child, pipe_fds[0]);
    }
    close(pipe_fds[0]);
    *control_fd = pipe_fds[1];
    return guard;
}
