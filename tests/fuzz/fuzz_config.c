/* fuzz_config.c - libFuzzer target: arbitrary command lines through
 * kvmem's parser and plan, as "kvmem -print-layout ..." runs them.
 *
 * An input is a list of tokens separated by NUL bytes, read as argv after
 * "kvmem -print-layout": an option name, then its value when it takes one.
 * Values may hold any other byte (newlines, escapes, UTF-8).  The options
 * are the ones whose parsing and planning touch no file and no socket:
 * -m, -smp, -numa, -object, -machine/-M, -qmp, -monitor, -name, -S; an
 * input naming anything else (-kernel opens files) is skipped.
 *
 * Each accepted command line goes through config_parse() and
 * machine_plan(), the same calls main() makes, and its plan is printed as
 * -print-layout prints it (to /dev/null).  Besides crashes, leaks and
 * sanitizer reports, the target checks what a user relies on: a refused
 * line gets one non-empty line of message, with no control character in
 * it, however the value was spelled.
 *
 * Build: clang with -fsanitize=fuzzer (build-asan, tests/fuzz/meson.build);
 * run_fuzz.sh runs it for a bounded time in the test suite, from the seeds
 * in corpus/config with the words in config.dict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "machine.h"
#include "plan/print.h"

#define MAX_TOKENS 64

static const struct {
	const char *name;
	int has_value;
} allowed[] = {
    {"-m", 1}, {"-smp", 1}, {"-numa", 1},    {"-object", 1}, {"-machine", 1},
    {"-M", 1}, {"-qmp", 1}, {"-monitor", 1}, {"-name", 1},   {"-S", 0},
};

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/* What a user reads when kvmem refuses a line: one line of text. */
static void check_message(const struct kverr *err)
{
	if (!err->msg[0]) {
		fprintf(stderr, "fuzz_config: an error without a message\n");
		abort();
	}
	for (const unsigned char *c = (const unsigned char *)err->msg; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			fprintf(stderr, "fuzz_config: control character 0x%02x in '%s'\n", *c,
				err->msg);
			abort();
		}
	}
}

static int allowed_option(const char *name)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!strcmp(allowed[i].name, name))
			return (int)i;
	return -1;
}

/* Split data into argv.  Returns argc, or 0 to skip the input. */
static int make_argv(char *buf, size_t size, char **argv)
{
	int argc = 0;
	char *p = buf, *end = buf + size;

	argv[argc++] = (char *)"kvmem";
	argv[argc++] = (char *)"-print-layout";
	while (p < end) {
		int o = allowed_option(p);

		if (o < 0 || argc + 2 >= MAX_TOKENS)
			return 0;
		argv[argc++] = p;
		p += strlen(p) + 1;
		if (allowed[o].has_value) {
			if (p >= end) /* kvmem's "missing value" case, also worth a run */
				break;
			argv[argc++] = p;
			p += strlen(p) + 1;
		}
	}
	argv[argc] = NULL;
	return argc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_TOKENS + 1];
	struct kverr err = {{0}};
	struct config cfg;
	struct machine m;
	char *buf;
	int argc;

	/* a copy that ends in NUL, so the last token is a string too */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argc = make_argv(buf, size, argv);
	if (!argc) {
		free(buf);
		return 0;
	}
	if (config_parse(&cfg, argc, argv, &err) < 0) {
		check_message(&err);
	} else {
		if (machine_plan(&m, &cfg, &err) < 0) {
			check_message(&err);
		} else {
			struct plan_view view = machine_plan_view(&m);
			plan_print(devnull, &view);
		}
		machine_destroy(&m);
		config_free(&cfg);
	}
	free(buf);
	return 0;
}
