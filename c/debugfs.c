// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the file_operations of the module's debugfs files. The
 * kernel crate's debugfs files have no owner, so an open file does not pin
 * the module and closing it after rmmod jumps into freed memory; these do
 * (.owner = THIS_MODULE: debugfs's proxy takes a module reference at open).
 *
 * Streamed files (the page-table dumps) use seq_file's iterator: one
 * record per read's worth of whole pieces of text, produced from the open
 * file's own cursor, so the seq_file buffer stays one page whatever the
 * text's length, and each read resumes the walk instead of redoing it.
 *
 * Owns: open/read/write/release of the module's files. Must not: format
 * or parse (the Rust callbacks of struct iommu_scope_file do).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "iommu_scope_debugfs.h"

static int scope_show(struct seq_file *m, void *unused)
{
	struct iommu_scope_file *f = m->private;

	return f->show ? f->show(m, f->ctx) : 0;
}

/*
 * The seq_file private data of an open streamed file. @next is the index
 * of the record the next show produces: show only ever appends whole
 * pieces that fit, and a record seq_read drops (it did not fit after
 * others) left the state untouched, so start(@next) always resumes at the
 * right place. Record 0 again means a rewind (lseek, pread at 0).
 */
struct scope_stream {
	int (*fill)(struct seq_file *m, void *state, bool rewind);
	void (*release)(void *state);
	void *state;
	loff_t next;
	bool rewind;
	bool eof;
};

static void *stream_start(struct seq_file *m, loff_t *pos)
{
	struct scope_stream *s = m->private;

	if (*pos == 0 && s->next != 0) {
		s->rewind = true;
		s->eof = false;
		s->next = 0;
	}
	/* Never: seq_file asks for the record after the last one or for 0. */
	if (WARN_ON_ONCE(*pos != s->next))
		return ERR_PTR(-ESPIPE);
	return s->eof ? NULL : s;
}

static void *stream_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct scope_stream *s = m->private;

	s->next = ++*pos;
	return s->eof ? NULL : s;
}

static void stream_stop(struct seq_file *m, void *v)
{
}

static int stream_show(struct seq_file *m, void *v)
{
	struct scope_stream *s = v;
	bool rewind = s->rewind;
	int r;

	/*
	 * Between two reads' worth of a long dump (one fill is bounded by the
	 * walk's own read limit, as a whole dump was before).
	 */
	cond_resched();
	s->rewind = false;
	r = s->fill(m, s->state, rewind);
	switch (r) {
	case IOMMU_SCOPE_FILL_WROTE:
		break;
	case IOMMU_SCOPE_FILL_END:
		s->eof = true;
		break;
	case IOMMU_SCOPE_FILL_NO_ROOM:
		/* Overflow: seq_read drops this record and asks again later. */
		m->count = m->size;
		break;
	default:
		WARN_ON_ONCE(1);
		s->eof = true;
		return -EIO;
	}
	return 0;
}

static const struct seq_operations stream_ops = {
	.start = stream_start,
	.next = stream_next,
	.stop = stream_stop,
	.show = stream_show,
};

static int scope_open(struct inode *inode, struct file *file)
{
	struct iommu_scope_file *f = inode->i_private;
	struct scope_stream *s;
	void *state;

	if (!f->stream_open)
		return single_open(file, scope_show, f);
	state = f->stream_open(f->ctx);
	if (!state)
		return -ENOMEM;
	s = __seq_open_private(file, &stream_ops, sizeof(*s));
	if (!s) {
		f->stream_release(state);
		return -ENOMEM;
	}
	s->fill = f->stream_fill;
	s->release = f->stream_release;
	s->state = state;
	return 0;
}

static int scope_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct scope_stream *s;

	if (m->op != &stream_ops)
		return single_release(inode, file);
	s = m->private;
	s->release(s->state);
	return seq_release_private(inode, file);
}

static ssize_t scope_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct iommu_scope_file *f;

	if (m->op == &stream_ops)
		return -EPERM;
	f = m->private;
	if (!f->write)
		return -EPERM;
	return f->write(f->ctx, buf, len);
}

static const struct file_operations scope_fops = {
	.owner = THIS_MODULE,
	.open = scope_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = scope_write,
	.release = scope_release,
};

struct dentry *iommu_scope_debugfs_dir(const char *name, struct dentry *parent)
{
	return debugfs_create_dir(name, parent);
}

struct dentry *iommu_scope_debugfs_file(const char *name, umode_t mode,
					struct dentry *parent,
					struct iommu_scope_file *f)
{
	return debugfs_create_file(name, mode, parent, f, &scope_fops);
}

void iommu_scope_debugfs_remove(struct dentry *d)
{
	debugfs_remove(d);
}

int iommu_scope_seq_write(struct seq_file *m, const char *s, size_t len)
{
	return seq_write(m, s, len);
}

bool iommu_scope_seq_try_write(struct seq_file *m, const char *s, size_t len)
{
	/* seq_write's own test: it takes @len only if count + len < size. */
	if (m->count >= m->size || len >= m->size - m->count)
		return false;
	seq_write(m, s, len);
	return true;
}
