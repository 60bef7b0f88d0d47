// Runs a function in a forked child and reports whether it died by SIGABRT:
// how the tests see a debug assertion (double free) fire without dying
// themselves.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <csignal>
#include <cstdio>

template <class F>
bool aborts(F&& f) {
    std::fflush(nullptr);  // or the child would print the parent's buffered output again
    const pid_t pid = fork();
    if (pid == 0) {
        const rlimit no_core{0, 0};  // an expected abort should leave no core file
        setrlimit(RLIMIT_CORE, &no_core);
        // doctest's own SIGABRT handler would report a crashed test case.
        std::signal(SIGABRT, SIG_DFL);
        // Keep the assertion message out of the test log.
        const int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        f();
        _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}
