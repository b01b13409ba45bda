#!/usr/bin/env python3
"""A folder whose flushes are slow, like a USB stick's or a network drive's, to time downloads into.

Mounts a pass-through FUSE file system at MOUNTPOINT over BACKING (best on tmpfs, so only the
flush is slow): every `fsync`/`fdatasync` waits FLUSH_MS before it returns, the rest goes
straight through. Point the shared download bench's output at it:

    python3 benches/slow_disk.py /dev/shm/slow-backing /mnt/slow --flush-ms 10 &
    DL=/mnt/slow/dl PEERS="curl16 app16 app64" APP_BIN=target/release/magpie \\
        bash ../shared/bench/run_download.sh
    BENCH_TMP=/mnt/slow cargo bench --bench download      # or Magpie's own bench
    fusermount -u /mnt/slow

The pass-through itself is slow (Python, a round trip per operation): with `--flush-ms 0` it
caps a 500-file fetch at about 1.5 s whatever the concurrency, so compare against that floor.

Flushes on a real device overlap less perfectly than these sleeps do (the device still writes
one thing at a time, though the kernel merges flushes that wait together), so this shows how a
folder's flushes are scheduled, not how fast a particular stick is. FUSE has no `O_TMPFILE`, so
Magpie falls back to hidden `.part` files here.

needs: python3-fusepy (Debian) or `pip install fusepy`, libfuse2, /dev/fuse
"""

import argparse
import errno
import os
import time

try:
    from fusepy import FUSE, FuseOSError, Operations  # Debian's python3-fusepy
except ImportError:
    from fuse import FUSE, FuseOSError, Operations  # pip's fusepy

STAT_KEYS = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")
STATVFS_KEYS = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files",
                "f_flag", "f_frsize", "f_namemax")


class SlowFlush(Operations):
    def __init__(self, root, flush_s):
        self.root = root
        self.flush_s = flush_s

    def _p(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def getattr(self, path, fh=None):
        try:
            st = os.lstat(self._p(path))
        except OSError as e:
            raise FuseOSError(e.errno)
        return {k: getattr(st, k) for k in STAT_KEYS}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._p(path))

    def mkdir(self, path, mode):
        os.mkdir(self._p(path), mode)

    def rmdir(self, path):
        os.rmdir(self._p(path))

    def unlink(self, path):
        os.unlink(self._p(path))

    def rename(self, old, new):
        os.rename(self._p(old), self._p(new))

    def link(self, target, source):
        os.link(self._p(source), self._p(target))

    def chmod(self, path, mode):
        os.chmod(self._p(path), mode)

    def utimens(self, path, times=None):
        os.utime(self._p(path), times)

    def statfs(self, path):
        s = os.statvfs(self._p(path))
        return {k: getattr(s, k) for k in STATVFS_KEYS}

    def open(self, path, flags):
        return os.open(self._p(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._p(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        os.truncate(self._p(path), length)

    def flush(self, path, fh):
        return 0  # close(), not fsync: not slow

    def release(self, path, fh):
        os.close(fh)

    def fsync(self, path, datasync, fh):
        time.sleep(self.flush_s)
        return 0

    # No extended attributes, as on many USB sticks' file systems.
    def setxattr(self, path, name, value, options, position=0):
        raise FuseOSError(errno.ENOTSUP)

    def getxattr(self, path, name, position=0):
        raise FuseOSError(errno.ENODATA)

    def listxattr(self, path):
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("backing")
    ap.add_argument("mountpoint")
    ap.add_argument("--flush-ms", type=float, default=10.0)
    args = ap.parse_args()
    os.makedirs(args.backing, exist_ok=True)
    os.makedirs(args.mountpoint, exist_ok=True)
    # Several threads, so flushes from several writers overlap as they would on a device.
    FUSE(SlowFlush(args.backing, args.flush_ms / 1000), args.mountpoint, foreground=True, nothreads=False)


if __name__ == "__main__":
    main()
