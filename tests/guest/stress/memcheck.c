/* memcheck - a guest program that keeps a pattern in memory and checks it.
 *
 *   memcheck NAME MIB [PAUSE_MS]
 *
 * Maps MIB MiB of anonymous memory, writes into every 8-byte word a value
 * derived from its virtual address and NAME, then reads the whole area
 * back again and again (sleeping PAUSE_MS between passes, default 500).
 * Every pass prints one line:
 *
 *   memcheck NAME pass N ok
 *   memcheck NAME pass N BAD words=W pages=P first va=0x... pa=0x... want=0x... got=0x...
 *
 * pa is the guest physical address of the page (from /proc/self/pagemap,
 * root only; 0 if unknown), so a corrupted page can be placed in boot RAM
 * or in a hot-plugged range.  Up to 8 bad pages are listed, one line each
 * ("memcheck NAME badpage va=... pa=... words=..."); a bad word is
 * rewritten, so each corruption is reported once.
 * Linux may migrate the pages (memory offlining, compaction) at any time:
 * their contents must survive that, which is exactly what is checked.
 * Built static, it runs in the busybox guest of tests/guest/.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed;

static uint64_t pattern(uint64_t va)
{
	uint64_t x = va ^ seed;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x | 1; /* never zero: a discarded page reads as zeros */
}

static uint64_t phys_of(int pagemap, uint64_t va)
{
	uint64_t e;

	if (pagemap < 0 || pread(pagemap, &e, 8, (off_t)(va / 4096 * 8)) != 8)
		return 0;
	if (!(e >> 63 & 1))
		return 0;
	return (e & ((1ULL << 55) - 1)) * 4096 + va % 4096;
}

int main(int argc, char **argv)
{
	uint64_t size, words, *p;
	long pause_ms = argc > 3 ? atol(argv[3]) : 500;
	int pagemap;
	struct timespec ts;

	if (argc < 3) {
		fprintf(stderr, "usage: memcheck NAME MIB [PAUSE_MS]\n");
		return 2;
	}
	for (const char *c = argv[1]; *c; c++)
		seed = seed * 131 + (unsigned char)*c;
	size = (uint64_t)atol(argv[2]) << 20;
	words = size / 8;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("memcheck %s cannot map %s MiB\n", argv[1], argv[2]);
		return 1;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	for (uint64_t i = 0; i < words; i++)
		p[i] = pattern((uint64_t)(uintptr_t)&p[i]);
	printf("memcheck %s filled %s MiB\n", argv[1], argv[2]);
	fflush(stdout);
	for (unsigned long pass = 1;; pass++) {
		uint64_t bad = 0, badpages = 0, first = words;
		uint64_t want0 = 0, got0 = 0;

		for (uint64_t page = 0; page < words / 512; page++) {
			uint64_t n = 0, w0 = 0, g0 = 0, at = 0;

			for (uint64_t i = page * 512; i < page * 512 + 512; i++) {
				uint64_t want = pattern((uint64_t)(uintptr_t)&p[i]);
				uint64_t got = p[i];

				if (got == want)
					continue;
				if (!n)
					w0 = want, g0 = got, at = i;
				n++;
				p[i] = want;
			}
			if (!n)
				continue;
			if (first == words)
				first = at, want0 = w0, got0 = g0;
			bad += n;
			if (++badpages <= 8)
				printf(
				    "memcheck %s badpage va=0x%llx pa=0x%llx words=%llu "
				    "want=0x%llx "
				    "got=0x%llx\n",
				    argv[1], (unsigned long long)(uintptr_t)&p[page * 512],
				    (unsigned long long)phys_of(pagemap, (uintptr_t)&p[page * 512]),
				    (unsigned long long)n, (unsigned long long)w0,
				    (unsigned long long)g0);
		}
		if (!bad)
			printf("memcheck %s pass %lu ok\n", argv[1], pass);
		else
			printf("memcheck %s pass %lu BAD words=%llu pages=%llu first va=0x%llx "
			       "pa=0x%llx want=0x%llx got=0x%llx\n",
			       argv[1], pass, (unsigned long long)bad, (unsigned long long)badpages,
			       (unsigned long long)(uintptr_t)&p[first],
			       (unsigned long long)phys_of(pagemap, (uintptr_t)&p[first]),
			       (unsigned long long)want0, (unsigned long long)got0);
		fflush(stdout);
		ts.tv_sec = pause_ms / 1000;
		ts.tv_nsec = pause_ms % 1000 * 1000000;
		nanosleep(&ts, NULL);
	}
}
