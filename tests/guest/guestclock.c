/* guestclock - run a VMM, pass its output through, and measure it.
 *
 *   guestclock [-m MARKER] [-o COPY] [-t SECONDS] PROGRAM [ARGS...]
 *
 * Runs PROGRAM with its stdout and stderr on a pipe, copies every byte to
 * our stdout (and, with -o, to the file COPY as well, so that a script
 * running beside the guest can wait for what it prints), and notes the
 * time (CLOCK_MONOTONIC, from just before the fork) at which a line
 * starting with MARKER (default "KVMEM-GUEST-INIT", printed by the guest's
 * /init) first appears.  When PROGRAM exits it prints one line on stdout:
 *
 *   guestclock: init_ms=N exit=S maxrss_kb=K timed_out=T
 *
 * init_ms is -1 if the marker never appeared; exit is the exit status, or
 * 128+signal; maxrss_kb is the child's peak resident set (wait4's rusage).
 * With -t, PROGRAM is killed (SIGKILL) once it has run SECONDS, and
 * timed_out is 1: the VMM itself dies, instead of being orphaned as it
 * would be if an outer `timeout` killed guestclock.  PROGRAM runs in a
 * process group of its own and the whole group is killed: a script as
 * the VMM (tests/guest/libvirt-vmm.sh) leaves no child behind that holds
 * the pipe open.  Whatever still holds it 5 s later (a daemon that left
 * the group) is given up on: guestclock stops reading and reports.
 * The guest harness and bench/boot use it in the same way for kvmem and
 * for QEMU, so both are measured by the same clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static volatile pid_t child;
static volatile sig_atomic_t timed_out, give_up;

/* Seconds guestclock still reads after the kill, for output in flight. */
#define DRAIN_S 5

static void on_alarm(int sig)
{
	(void)sig;
	if (timed_out) {
		give_up = 1;
		return;
	}
	timed_out = 1;
	if (child > 0) {
		kill(-child, SIGKILL);
		kill(child, SIGKILL);
	}
	alarm(DRAIN_S);
}

int main(int argc, char **argv)
{
	const char *marker = "KVMEM-GUEST-INIT";
	char line[512];
	size_t line_len = 0;
	int argi = 1, pipefd[2], status, copy_fd = -1;
	unsigned limit_s = 0;
	double start, init_ms = -1;
	struct rusage ru;
	pid_t pid;

	while (argi + 1 < argc && argv[argi][0] == '-') {
		if (strcmp(argv[argi], "-m") == 0) {
			marker = argv[argi + 1];
		} else if (strcmp(argv[argi], "-t") == 0) {
			limit_s = (unsigned)strtoul(argv[argi + 1], NULL, 10);
		} else if (strcmp(argv[argi], "-o") == 0) {
			copy_fd =
			    open(argv[argi + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (copy_fd < 0) {
				perror("guestclock: -o");
				return 2;
			}
		} else {
			break;
		}
		argi += 2;
	}
	if (argi >= argc) {
		fprintf(stderr,
			"usage: guestclock [-m MARKER] [-o COPY] [-t SECONDS] PROGRAM [ARGS...]\n");
		return 2;
	}
	if (pipe(pipefd) < 0) {
		perror("guestclock: pipe");
		return 2;
	}
	start = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("guestclock: fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "guestclock: cannot run %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	setpgid(pid, pid); /* also here: the alarm may come before the child's own call */
	child = pid;
	if (limit_s) {
		struct sigaction sa = {.sa_handler = on_alarm};
		sigaction(SIGALRM, &sa, NULL);
		alarm(limit_s);
	}

	for (;;) {
		char buf[4096];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (give_up)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		write_all(STDOUT_FILENO, buf, (size_t)n);
		if (copy_fd >= 0)
			write_all(copy_fd, buf, (size_t)n);
		if (init_ms >= 0)
			continue;
		/* Look for the marker at the start of a line; keep only the
		 * line's first bytes, which is all the comparison needs. */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				line_len = 0;
				continue;
			}
			if (line_len < sizeof(line) - 1)
				line[line_len++] = buf[i];
			line[line_len] = '\0';
			if (init_ms < 0 && line_len == strlen(marker) && strcmp(line, marker) == 0)
				init_ms = now_ms() - start;
		}
	}
	close(pipefd[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("guestclock: wait4");
			return 2;
		}
	}
	alarm(0);
	if (timed_out)
		printf("\nguestclock: %s ran for %u s and was killed\n", argv[argi], limit_s);
	printf("\nguestclock: init_ms=%.0f exit=%d maxrss_kb=%ld timed_out=%d\n", init_ms,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss,
	       (int)timed_out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
