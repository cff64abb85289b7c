// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-scope: the file_operations of the module's debugfs files. The
 * kernel crate's debugfs files have no owner, so an open file does not pin
 * the module and closing it after rmmod jumps into freed memory; these do
 * (.owner = THIS_MODULE: debugfs's proxy takes a module reference at open).
 *
 * Owns: open/read/write/release of the module's files. Must not: format
 * or parse (the Rust callbacks of struct iommu_scope_file do).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "iommu_scope_debugfs.h"

static int scope_show(struct seq_file *m, void *unused)
{
	struct iommu_scope_file *f = m->private;

	return f->show ? f->show(m, f->ctx) : 0;
}

static int scope_open(struct inode *inode, struct file *file)
{
	return single_open(file, scope_show, inode->i_private);
}

static ssize_t scope_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct iommu_scope_file *f = m->private;

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
	.release = single_release,
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
