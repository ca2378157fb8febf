/*
 * sysfs.h: small reads of sysfs-style text files, by path or through a
 * descriptor kept open (pread at offset 0 re-reads a sysfs attribute
 * without the open/close on every sample).
 */
#ifndef POWER_SYSFS_H
#define POWER_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole small file into buf (NUL-terminated, trailing newline and
 * NULs stripped). Returns 0 or -errno. */
int sysfs_read_text(const char *path, char *buf, size_t size);

/* The same, for a file another program rewrites in place: also gives its
 * modification time (wall-clock seconds), the moment the text was written.
 * -EAGAIN when the file was rewritten during the read (read it again). */
int sysfs_read_text_stamped(const char *path, char *buf, size_t size, double *mtime_s);

/* Read and parse a decimal counter. Returns 0, -errno, or -EINVAL when the
 * text is not a clean number (half-written, garbage). */
int sysfs_read_u64(const char *path, uint64_t *value);
int sysfs_pread_u64(int fd, uint64_t *value);

/* What the readers make of the len bytes read into buf (which has room for
 * one more): the text, cut at a NUL, without trailing newlines, blanks and
 * CRs; and a counter parsed from it (0 or -EINVAL). */
void sysfs_text_from_bytes(char *buf, size_t len);
int  sysfs_u64_from_bytes(char *buf, size_t len, uint64_t *value);

/* snprintf into buf; returns 0, or -ENAMETOOLONG when it did not fit. */
int path_join(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
