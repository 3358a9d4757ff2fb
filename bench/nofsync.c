/*
 * nofsync.c: an LD_PRELOAD shim that turns fsync and fdatasync into
 * no-ops. Only for one diagnostic line of bench/run ("import, fsync
 * disabled"), to show how much of an import is waiting for the disk; no
 * target is measured with it, and certdeck must never be run this way.
 *
 * Build: cc -O2 -shared -fPIC -o nofsync.so nofsync.c
 */
int	fsync(int);
int	fdatasync(int);

int
fsync(int fd)
{
	(void)fd;
	return 0;
}

int
fdatasync(int fd)
{
	(void)fd;
	return 0;
}
