/* chardev.c - -chardev, -mon and -add-fd; see chardev.h.
 *
 * Messages are QEMU 7.2's where it has one for the same mistake ("chardev:
 * no id specified", "chardev "x" not found", "fd is not valid or already
 * in use", ...); what kvmem does not have is refused naming the reason.
 */
#include "config/chardev.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/kv.h"

static const char *const backend_names[] = {
    [CHR_SOCKET] = "socket", [CHR_FILE] = "file",   [CHR_PTY] = "pty",
    [CHR_NULL] = "null",     [CHR_STDIO] = "stdio",
};

static int onoff(const char *opt, const char *arg, const struct kv *kv, bool *out,
		 struct kverr *err)
{
	const char *v = kv->val ? kv->val : "on"; /* QemuOpts' bare "server" */

	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "y"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "n"))
		*out = false;
	else
		return kverr_set(err, EINVAL, "%s %s: Parameter '%s' expects 'on' or 'off'", opt,
				 arg, kv->key);
	return 0;
}

static int dup_str(char **dst, const char *s, struct kverr *err)
{
	char *c = strdup(s);

	if (!c)
		return kverr_set(err, ENOMEM, "out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

static bool id_ok(const char *id)
{
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *c = id + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-._", *c))
			return false;
	return true;
}

struct config_chardev *config_chardev_find(const struct config *cfg, const char *id)
{
	for (unsigned i = 0; id && i < cfg->chardevs.nr; i++)
		if (!strcmp(cfg->chardevs.chr[i].id, id))
			return (struct config_chardev *)&cfg->chardevs.chr[i];
	return NULL;
}

static void chardev_free(struct config_chardev *c)
{
	free(c->id);
	free(c->path);
	free(c->host);
	free(c->port);
}

/* One key of a -chardev list; the backend is known. */
static int chardev_key(struct config_chardev *c, const struct kv *kv, struct kverr *err)
{
	const char *k = kv->key, *arg = c->arg;
	bool sock = c->backend == CHR_SOCKET, file = c->backend == CHR_FILE;
	uint64_t n;

	if (!strcmp(k, "id")) {
		if (!kv->val || !id_ok(kv->val))
			return kverr_set(err, EINVAL,
					 "-chardev %s: Parameter 'id' expects an identifier", arg);
		return dup_str(&c->id, kv->val, err);
	}
	/* QEMU's common options: logfile= would need a second output */
	if (!strcmp(k, "logappend") || !strcmp(k, "mux"))
		return kverr_set(err, EINVAL, "-chardev %s: '%s' is not supported by kvmem", arg,
				 k);
	if ((sock || file) && !strcmp(k, "path")) {
		if (!kv->val || !*kv->val)
			return kverr_set(err, EINVAL, "-chardev %s: Parameter 'path' needs a value",
					 arg);
		return dup_str(&c->path, kv->val, err);
	}
	if (file && !strcmp(k, "append"))
		return onoff("-chardev", arg, kv, &c->append, err);
	if (sock && !strcmp(k, "server"))
		return onoff("-chardev", arg, kv, &c->server, err);
	if (sock && !strcmp(k, "wait"))
		return onoff("-chardev", arg, kv, &c->wait, err);
	if (sock && !strcmp(k, "nowait") && !kv->val) {
		c->wait = false;
		return 0;
	}
	if (sock && !strcmp(k, "fd")) {
		if (!kv->val || parse_number(kv->val, &n) || n > 65535)
			return kverr_set(err, EINVAL,
					 "-chardev %s: Parameter 'fd' expects a number", arg);
		c->fd = (int)n;
		return 0;
	}
	if (sock && (!strcmp(k, "host") || !strcmp(k, "port"))) {
		if (!kv->val)
			return kverr_set(err, EINVAL, "-chardev %s: Parameter '%s' needs a value",
					 arg, k);
		return dup_str(!strcmp(k, "host") ? &c->host : &c->port, kv->val, err);
	}
	return kverr_set(err, EINVAL, "-chardev %s: Invalid parameter '%s'", arg, k);
}

int config_chardev_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_chardevs *cs = &cfg->chardevs;
	struct config_chardev c = {.arg = arg, .fd = -1, .wait = true};
	struct kv_iter it;
	struct kv kv;
	char *buf;
	int ret = 0;
	bool typed = false;

	if (cs->nr == CONFIG_MAX_CHARDEVS)
		return kverr_set(err, EINVAL, "-chardev %s: more than %d chardevs", arg,
				 CONFIG_MAX_CHARDEVS);
	buf = malloc(strlen(arg) + 1);
	if (!buf)
		return kverr_set(err, ENOMEM, "-chardev: out of memory");
	it = (struct kv_iter){.p = arg, .out = buf, .implied = "backend", .first = *arg != '\0'};
	while (!ret && kv_next(&it, &kv)) {
		if (!typed) {
			size_t b;

			typed = true;
			if (strcmp(kv.key, "backend") || !kv.val) {
				ret = kverr_set(err, EINVAL, "-chardev %s: chardev: \"%s\" missing",
						arg, "backend");
				break;
			}
			for (b = 0; b < sizeof(backend_names) / sizeof(backend_names[0]); b++)
				if (!strcmp(kv.val, backend_names[b]))
					break;
			if (b == sizeof(backend_names) / sizeof(backend_names[0])) {
				ret = kverr_set(err, EINVAL,
						"-chardev %s: '%s' is not a valid char driver name "
						"(kvmem has socket, file, pty, null and stdio)",
						arg, kv.val);
				break;
			}
			c.backend = (enum chardev_backend)b;
			continue;
		}
		ret = chardev_key(&c, &kv, err);
	}
	free(buf);
	if (!ret && !c.id)
		ret = kverr_set(err, EINVAL, "-chardev %s: chardev: no id specified", arg);
	if (!ret && c.backend == CHR_FILE && !c.path)
		ret = kverr_set(err, EINVAL, "-chardev %s: chardev: file: no filename given", arg);
	if (!ret && c.backend == CHR_SOCKET) {
		int ways = !!c.path + !!(c.host || c.port) + (c.fd >= 0);

		if (ways != 1)
			ret = kverr_set(err, EINVAL,
					"-chardev %s: chardev: socket: give exactly one of path=, "
					"host=/port= or fd=",
					arg);
		else if ((c.host || c.port) && !c.port)
			ret = kverr_set(err, EINVAL, "-chardev %s: chardev: socket: no port given",
					arg);
		else if (!c.server)
			ret = kverr_set(
			    err, EINVAL,
			    "-chardev %s: kvmem only listens for clients; add server=on", arg);
	}
	if (!ret && config_chardev_find(cfg, c.id))
		ret = kverr_set(err, EINVAL, "-chardev %s: attempt to add duplicate property '%s'",
				arg, c.id);
	if (ret) {
		chardev_free(&c);
		return ret;
	}
	cs->chr[cs->nr++] = c;
	return 0;
}

int config_mon_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_chardevs *cs = &cfg->chardevs;

	if (cs->nr_mon == CONFIG_MAX_CHARDEVS)
		return kverr_set(err, EINVAL, "-mon %s: more than %d monitors", arg,
				 CONFIG_MAX_CHARDEVS);
	cs->mon[cs->nr_mon++] = arg;
	return 0;
}

/* One -mon, once every -chardev is known. */
static int mon_finish(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_monitor mon = {.mode = MONITOR_HMP, .spec = arg, .fd = -1};
	struct config_chardev *c = NULL;
	char *buf = malloc(strlen(arg) + 1);
	struct kv_iter it = {.p = arg, .out = buf, .implied = "chardev", .first = *arg != '\0'};
	struct kv kv;
	int ret = 0;

	if (!buf)
		return kverr_set(err, ENOMEM, "-mon: out of memory");
	while (!ret && kv_next(&it, &kv)) {
		bool pretty;

		if (!kv.val && strcmp(kv.key, "pretty")) {
			ret = kverr_set(err, EINVAL, "-mon %s: Parameter '%s' needs a value", arg,
					kv.key);
		} else if (!strcmp(kv.key, "chardev")) {
			c = config_chardev_find(cfg, kv.val);
			if (!c)
				ret = kverr_set(err, EINVAL, "-mon %s: chardev \"%s\" not found",
						arg, kv.val);
		} else if (!strcmp(kv.key, "mode")) {
			if (!strcmp(kv.val, "control"))
				mon.mode = MONITOR_QMP;
			else if (!strcmp(kv.val, "readline"))
				mon.mode = MONITOR_HMP;
			else
				ret = kverr_set(err, EINVAL,
						"-mon %s: Parameter 'mode' does not accept value "
						"'%s'",
						arg, kv.val);
		} else if (!strcmp(kv.key, "id")) {
			/* names the monitor; kvmem's monitors have no QOM object */
		} else if (!strcmp(kv.key, "pretty")) {
			/* QEMU indents its answers with pretty=on; kvmem's are one
			 * line each, which every client reads, so only off is taken */
			ret = onoff("-mon", arg, &kv, &pretty, err);
			if (!ret && pretty)
				ret = kverr_set(err, EINVAL,
						"-mon %s: pretty=on is not supported: kvmem "
						"answers one line per message",
						arg);
		} else {
			ret =
			    kverr_set(err, EINVAL, "-mon %s: Invalid parameter '%s'", arg, kv.key);
		}
	}
	free(buf);
	if (ret)
		return ret;
	if (!c)
		return kverr_set(err, EINVAL, "-mon %s: Parameter 'chardev' is missing", arg);
	if (c->user)
		return kverr_set(err, EINVAL,
				 "-mon %s: Device '%s' is in use (kvmem has no mux chardev)", arg,
				 c->id);
	switch (c->backend) {
	case CHR_STDIO:
		mon.kind = CHARDEV_STDIO;
		break;
	case CHR_SOCKET:
		mon.wait = c->wait;
		if (c->fd >= 0) {
			mon.kind = CHARDEV_FD;
			mon.fd = c->fd;
		} else if (c->path) {
			mon.kind = CHARDEV_UNIX;
			mon.path = strdup(c->path);
		} else {
			mon.kind = CHARDEV_TCP;
			mon.host = strdup(c->host ? c->host : "");
			mon.port = strdup(c->port);
		}
		if ((c->path && !mon.path) ||
		    (mon.kind == CHARDEV_TCP && (!mon.host || !mon.port))) {
			free(mon.path);
			free(mon.host);
			free(mon.port);
			return kverr_set(err, ENOMEM, "-mon: out of memory");
		}
		break;
	default:
		return kverr_set(err, EINVAL,
				 "-mon %s: kvmem's monitors listen on a socket chardev or use "
				 "stdio, not %s",
				 arg, backend_names[c->backend]);
	}
	if (cfg->nr_monitors == CONFIG_MAX_MONITORS) {
		free(mon.path);
		free(mon.host);
		free(mon.port);
		return kverr_set(err, EINVAL, "-mon %s: more than %d monitors", arg,
				 CONFIG_MAX_MONITORS);
	}
	c->user = "-mon";
	cfg->monitor[cfg->nr_monitors++] = mon;
	return 0;
}

int config_chardevs_finish(struct config *cfg, struct kverr *err)
{
	for (unsigned i = 0; i < cfg->chardevs.nr_mon; i++) {
		int ret = mon_finish(cfg, cfg->chardevs.mon[i], err);

		if (ret)
			return ret;
	}
	return 0;
}

int config_add_fd_parse(struct config *cfg, const char *arg, struct kverr *err)
{
	struct config_chardevs *cs = &cfg->chardevs;
	struct config_fdset_fd f = {.set = -1, .fd = -1};
	char *buf = malloc(strlen(arg) + 1);
	struct kv_iter it = {.p = arg, .out = buf, .first = *arg != '\0'};
	struct kv kv;
	int ret = 0;

	if (!buf)
		return kverr_set(err, ENOMEM, "-add-fd: out of memory");
	while (!ret && kv_next(&it, &kv)) {
		uint64_t n;

		if (!strcmp(kv.key, "fd") || !strcmp(kv.key, "set")) {
			if (!kv.val || parse_number(kv.val, &n) || n > INT32_MAX) {
				ret = kverr_set(err, EINVAL,
						"-add-fd %s: Parameter '%s' expects a number", arg,
						kv.key);
				break;
			}
			*(!strcmp(kv.key, "fd") ? &f.fd : &f.set) = (int)n;
		} else if (!strcmp(kv.key, "opaque")) {
			ret = dup_str(&f.opaque, kv.val ? kv.val : "", err);
		} else {
			ret = kverr_set(err, EINVAL, "-add-fd %s: Invalid parameter '%s'", arg,
					kv.key);
		}
	}
	free(buf);
	if (!ret && f.fd < 0)
		ret = kverr_set(err, EINVAL,
				"-add-fd %s: fd option is required and must be "
				"non-negative",
				arg);
	else if (!ret && f.fd <= 2)
		ret = kverr_set(err, EINVAL, "-add-fd %s: fd cannot be a standard I/O stream", arg);
	else if (!ret && f.set < 0)
		ret = kverr_set(err, EINVAL,
				"-add-fd %s: set option is required and must be non-negative", arg);
	/* the one look at the process: the descriptor must be open */
	else if (!ret && fcntl(f.fd, F_GETFD) < 0)
		ret = kverr_set(err, EINVAL, "-add-fd %s: fd is not valid or already in use", arg);
	for (unsigned i = 0; !ret && i < cs->nr_fds; i++)
		if (cs->fdset[i].fd == f.fd)
			ret = kverr_set(err, EINVAL,
					"-add-fd %s: fd is not valid or already in use", arg);
	if (!ret && cs->nr_fds == CONFIG_MAX_FDSET_FDS)
		ret = kverr_set(err, EINVAL, "-add-fd %s: more than %d descriptors", arg,
				CONFIG_MAX_FDSET_FDS);
	if (ret) {
		free(f.opaque);
		return ret;
	}
	cs->fdset[cs->nr_fds++] = f;
	return 0;
}

int config_fdset_path(const char *path, int *set)
{
	uint64_t n;

	if (strncmp(path, "/dev/fdset/", 11))
		return 0;
	if (parse_number(path + 11, &n) || n > INT32_MAX)
		return -EINVAL;
	*set = (int)n;
	return 1;
}

int config_fdset_pick(const struct config *cfg, int set, int flags, int (*getfl)(int fd))
{
	for (unsigned i = 0; i < cfg->chardevs.nr_fds; i++) {
		const struct config_fdset_fd *f = &cfg->chardevs.fdset[i];
		int mode;

		if (f->set != set)
			continue;
		mode = getfl(f->fd);
		if (mode < 0)
			continue;
		mode &= O_ACCMODE;
		if (mode == O_RDWR || mode == (flags & O_ACCMODE))
			return f->fd;
	}
	return -1;
}

void config_chardevs_free(struct config *cfg)
{
	struct config_chardevs *cs = &cfg->chardevs;

	for (unsigned i = 0; i < cs->nr; i++)
		chardev_free(&cs->chr[i]);
	for (unsigned i = 0; i < cs->nr_fds; i++)
		free(cs->fdset[i].opaque);
	cs->nr = cs->nr_fds = cs->nr_mon = 0;
}
