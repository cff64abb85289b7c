/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu-scope: the module's debugfs files (c/debugfs.c). Their
 * file_operations have .owner = THIS_MODULE, so an open file holds a
 * reference on the module: rmmod fails with "in use" until it is closed.
 *
 * Owns: struct iommu_scope_file, the callbacks a file calls into Rust.
 * Must not: keep state of its own.
 */
#ifndef _IOMMU_SCOPE_DEBUGFS_H
#define _IOMMU_SCOPE_DEBUGFS_H

#include <linux/types.h>

struct dentry;
struct seq_file;

/* What a stream's fill did (see struct iommu_scope_file). */
enum iommu_scope_fill {
	IOMMU_SCOPE_FILL_WROTE = 0,	/* appended text; more may follow */
	IOMMU_SCOPE_FILL_END = 1,	/* appended nothing: the text is over */
	IOMMU_SCOPE_FILL_NO_ROOM = 2,	/* appended nothing: next piece too big */
};

/*
 * One file: @show formats it (into a seq_file, process context), @write
 * takes what the user wrote (returns bytes taken or -errno); either may be
 * NULL. @ctx is passed back to both. The struct must stay valid until the
 * file is removed.
 *
 * A streamed file (read-only, for text of any length) sets the three
 * @stream_ callbacks instead of @show: @stream_open makes the state of
 * one open file from @ctx (NULL: out of memory); @stream_fill appends to
 * the seq_file whole pieces of text that fit, resuming where the last
 * call stopped (from the start if @rewind), without ever overflowing it;
 * @stream_release frees the state. Fill and release never use @ctx: an
 * open file may outlive this struct.
 */
struct iommu_scope_file {
	int (*show)(struct seq_file *m, void *ctx);
	ssize_t (*write)(void *ctx, const char __user *buf, size_t len);
	void *(*stream_open)(void *ctx);
	int (*stream_fill)(struct seq_file *m, void *state, bool rewind);
	void (*stream_release)(void *state);
	void *ctx;
};

/* A directory; NULL parent: the debugfs root. ERR_PTR on failure. */
struct dentry *iommu_scope_debugfs_dir(const char *name, struct dentry *parent);
/* A file of @mode under @parent backed by @f. ERR_PTR on failure. */
struct dentry *iommu_scope_debugfs_file(const char *name, umode_t mode,
					struct dentry *parent,
					struct iommu_scope_file *f);
/*
 * Remove a file or directory (and what is under it); waits until no
 * operation on it runs. Open files then fail with -EIO.
 */
void iommu_scope_debugfs_remove(struct dentry *d);
/* Append @len bytes to a seq_file; -1 when its buffer is full. */
int iommu_scope_seq_write(struct seq_file *m, const char *s, size_t len);
/*
 * Append @len bytes to a seq_file if they fit; false (and the seq_file
 * unchanged, not marked overflowed) if not.
 */
bool iommu_scope_seq_try_write(struct seq_file *m, const char *s, size_t len);

#endif /* _IOMMU_SCOPE_DEBUGFS_H */
