// SPDX-License-Identifier: GPL-2.0
/*
 * bench_read: reads a file to its end in 64 KiB read()s and prints
 * "bytes=<n> ns=<wall time of the reads> mem_kb=<largest growth of the
 * kernel's VmallocUsed + Slab while the file was open, in KiB>". Used by
 * make bench (scripts/bench) to time the page-table dumps and to see the
 * kernel memory a reader holds. Test VMs only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long kernel_kb(void)
{
	char line[256];
	long long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %lld", &v) == 1 ||
		    sscanf(line, "Slab: %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	long long base, peak = 0, bytes = 0, next = 0, t0, spent = 0, t;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_read FILE\n");
		return 2;
	}
	base = kernel_kb();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	t0 = now_ns();
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		bytes += n;
		if (bytes >= next) {
			/* Sample the kernel's memory (not timed). */
			t = now_ns();
			if (kernel_kb() - base > peak)
				peak = kernel_kb() - base;
			spent += now_ns() - t;
			next = bytes + (4 << 20);
		}
	}
	t = now_ns() - t0 - spent;
	if (n < 0) {
		perror("read");
		return 1;
	}
	close(fd);
	printf("bytes=%lld ns=%lld mem_kb=%lld\n", bytes, t, peak);
	return 0;
}
