/* SPDX-License-Identifier: MIT */
/*
 * xl disk-spec parser (xl-disk-configuration(5)): comma-separated
 * key=value pairs, bare flags and up to four positional parameters
 * (target, format, vdev, access) filled in order among those not given by
 * name; "target=" swallows the rest of the string, commas included.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "hw/block/blk_spec.h"
#include "hvmemu/device.h"

enum { POS_TARGET, POS_FORMAT, POS_VDEV, POS_ACCESS, POS_N };
static const char *const pos_name[POS_N] = {
    "target", "format", "vdev", "access",
};

typedef struct spec_parse {
    char *pos[POS_N];       /* NULL = not given; "" = given empty */
    char *devtype;
    bool prefix_raw;        /* a deprecated "phy:"-style prefix was used */
    GHashTable *seen;       /* keys given, to refuse duplicates */
} spec_parse;

static const char *const raw_prefixes[] = {
    "tap:aio:", "tap2:aio:", "phy:", "file:", "raw:", "aio:",
};
/* Deprecated format prefixes (xl-disk-configuration(5), "target") and
 * the format= they stand for. */
static const struct { const char *prefix, *format; } format_prefixes[] = {
    { "tap:qcow2:", "qcow2" }, { "tap:qcow:", "qcow" },
    { "tap:vhd:", "vhd" }, { "tap2:vhd:", "vhd" }, { "qcow2:", "qcow2" },
    { "qcow:", "qcow" }, { "vhd:", "vhd" }, { "qed:", "qed" },
};
/* xl's format= names that are not raw, served through qemu-nbd. */
static const struct { const char *xl, *format; } formats[] = {
    { "qcow2", "qcow2" }, { "qcow", "qcow" }, { "vhd", "vpc" },
    { "qed", "qed" },
};

G_GNUC_PRINTF(2, 3)
static bool spec_fail(GError **err, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(err, HV_ERROR, HV_ERROR_INVAL, msg);
    g_free(msg);
    return false;
}

static bool spec_format(blk_spec *s, const char *fmt, GError **err)
{
    if (!fmt || !*fmt || !strcmp(fmt, "raw")) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        if (!strcmp(fmt, formats[i].xl)) {
            s->format = g_strdup(formats[i].format);
            return true;
        }
    }
    return spec_fail(err, "disk format '%s' is not supported: give raw, "
                     "qcow2, qcow, vhd or qed (convert others with "
                     "'qemu-img convert -O qcow2')", fmt);
}

/* Strip a deprecated "phy:"/"file:"... prefix from a positional target. */
static bool spec_strip_prefix(spec_parse *p, GError **err)
{
    char *t = p->pos[POS_TARGET];

    for (size_t i = 0; i < G_N_ELEMENTS(format_prefixes); i++) {
        size_t n = strlen(format_prefixes[i].prefix);

        if (!strncmp(t, format_prefixes[i].prefix, n)) {
            if (p->pos[POS_FORMAT]) {
                return spec_fail(err, "disk spec: format given twice");
            }
            p->pos[POS_FORMAT] = g_strdup(format_prefixes[i].format);
            memmove(t, t + n, strlen(t + n) + 1);
            return true;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(raw_prefixes); i++) {
        size_t n = strlen(raw_prefixes[i]);

        if (!strncmp(t, raw_prefixes[i], n)) {
            memmove(t, t + n, strlen(t + n) + 1);
            p->prefix_raw = true;
            return true;
        }
    }
    return true;
}

static bool spec_positional(spec_parse *p, const char *word, GError **err)
{
    for (int i = 0; i < POS_N; i++) {
        if (p->pos[i]) {
            continue;
        }
        p->pos[i] = g_strdup(word);
        if (i == POS_TARGET && !spec_strip_prefix(p, err)) {
            return false;
        }
        if (i == POS_TARGET && p->prefix_raw && !p->pos[POS_FORMAT]) {
            p->pos[POS_FORMAT] = g_strdup("raw");
        }
        return true;
    }
    return spec_fail(err, "disk spec: too many positional parameters at "
                     "'%s'", word);
}

/* Decimal, or hex with 0x. */
static bool spec_number(const char *text, guint64 min, guint64 max,
                        guint64 *out)
{
    guint base = 10;

    if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
        text += 2;
        base = 16;
    }
    return g_ascii_string_to_unsigned(text, base, min, max, out, NULL);
}

static bool spec_parse_fault(blk_spec *s, const char *key, const char *val,
                             GError **err)
{
    guint64 lba, cnt = 1;
    char **parts;
    bool ok;

    if (!strcmp(key, "x-inject-flush-eio")) {
        s->fault.flush_errno = EIO;
        return true;
    }
    if (!strcmp(key, "x-delay-ms")) {
        if (!g_ascii_string_to_unsigned(val, 10, 0, 60000, &cnt, NULL)) {
            return spec_fail(err, "disk spec: bad %s '%s'", key, val);
        }
        s->fault.delay_ns = cnt * 1000000ULL;
        return true;
    }
    /* "" splits into no parts at all: refuse it before reading parts[0]. */
    parts = g_strsplit(val, "+", 2);
    ok = parts[0] && *parts[0] &&
         spec_number(parts[0], 0, G_MAXUINT64 / 512, &lba) &&
         (!parts[1] || spec_number(parts[1], 1, G_MAXUINT32, &cnt));
    g_strfreev(parts);
    if (!ok) {
        return spec_fail(err, "disk spec: bad %s '%s' (want LBA[+COUNT])",
                         key, val);
    }
    s->fault.rw_off = lba * 512;
    s->fault.rw_len = cnt * 512;
    s->fault.rw_errno = EIO;
    return true;
}

static bool spec_onoff(const char *key, const char *val, bool *out,
                       GError **err)
{
    if (!strcmp(val, "on") || !strcmp(val, "1") || !strcmp(val, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(val, "off") || !strcmp(val, "0") || !strcmp(val, "no")) {
        *out = false;
        return true;
    }
    return spec_fail(err, "disk spec: %s wants on/off, not '%s'", key, val);
}

static bool spec_keyval(spec_parse *p, blk_spec *s, const char *key,
                        const char *val, GError **err)
{
    bool b;

    for (int i = 0; i < POS_N; i++) {
        if (!strcmp(key, pos_name[i])) {
            p->pos[i] = g_strdup(val);
            return true;
        }
    }
    if (!strcmp(key, "devtype")) {
        g_free(p->devtype);
        p->devtype = g_strdup(val);
        return true;
    }
    if (!strcmp(key, "backendtype")) {
        if (*val && strcmp(val, "phy") && strcmp(val, "qdisk") &&
            strcmp(val, "tap")) {
            return spec_fail(err, "disk spec: unknown backendtype '%s'",
                             val);
        }
        return true;
    }
    if (!strcmp(key, "script")) {
        return spec_fail(err, "disk spec: block scripts are not run by "
                         "hvmemu; give the resulting device as target "
                         "(script=%s)", val);
    }
    if (!strcmp(key, "serial")) {
        g_free(s->serial);
        s->serial = g_strdup(val);
        return true;
    }
    if (!strcmp(key, "wcache")) {
        if (!spec_onoff(key, val, &b, err)) {
            return false;
        }
        s->wcache = b;
        return true;
    }
    if (!strcmp(key, "direct")) {
        return spec_onoff(key, val, &s->direct, err);
    }
    if (!strcmp(key, "discard")) {
        return spec_onoff(key, val, &s->discard, err);
    }
    if (!strcmp(key, "reconnect")) {
        guint64 n;

        if (!g_ascii_string_to_unsigned(val, 10, 1, 86400, &n, NULL)) {
            return spec_fail(err, "disk spec: reconnect wants seconds "
                             "(1-86400), not '%s'", val);
        }
        s->reconnect_s = (unsigned)n;
        return true;
    }
    if (g_str_has_prefix(key, "x-inject-") || !strcmp(key, "x-delay-ms")) {
        if (!strcmp(key, "x-inject-eio") || !strcmp(key, "x-delay-ms") ||
            !strcmp(key, "x-inject-flush-eio")) {
            return spec_parse_fault(s, key, val, err);
        }
    }
    return spec_fail(err, "disk spec: unknown key '%s'", key);
}

static bool spec_flag(spec_parse *p, blk_spec *s, const char *word)
{
    if (!strcmp(word, "cdrom")) {
        g_free(p->devtype);
        p->devtype = g_strdup("cdrom");
    } else if (!strcmp(word, "discard")) {
        s->discard = true;
    } else if (!strcmp(word, "no-discard")) {
        s->discard = false;
    } else if (!strcmp(word, "direct-io-safe")) {
        /* A hint for backends that copy; we never need the workaround. */
    } else if (!strcmp(word, "x-inject-flush-eio")) {
        s->fault.flush_errno = EIO;
    } else {
        return false;
    }
    return true;
}

static bool spec_note_key(spec_parse *p, const char *key, GError **err)
{
    if (g_hash_table_contains(p->seen, key)) {
        return spec_fail(err, "disk spec: '%s' given twice", key);
    }
    g_hash_table_add(p->seen, g_strdup(key));
    return true;
}

static bool spec_item(spec_parse *p, blk_spec *s, const char *item,
                      GError **err)
{
    const char *eq = strchr(item, '=');
    g_autofree char *key = NULL;

    if (!eq) {
        if (spec_flag(p, s, item)) {
            return true;
        }
        return spec_positional(p, item, err);
    }
    if (strstr(item, "://") && strstr(item, "://") < eq) {
        return spec_positional(p, item, err);   /* a URI's query */
    }
    key = g_strndup(item, (gsize)(eq - item));
    for (int i = 0; i < POS_N; i++) {
        if (!strcmp(key, pos_name[i]) && p->pos[i]) {
            return spec_fail(err, "disk spec: '%s' given twice", key);
        }
    }
    return spec_note_key(p, key, err) && spec_keyval(p, s, key, eq + 1, err);
}

static bool spec_split(spec_parse *p, blk_spec *s, const char *text,
                       GError **err)
{
    const char *cur = text;

    while (cur) {
        const char *comma;
        g_autofree char *item = NULL;

        while (*cur == ' ' || *cur == '\t') {
            cur++;
        }
        if (g_str_has_prefix(cur, "target=")) {
            /* xl: target= must be last and takes the rest verbatim. */
            if (p->pos[POS_TARGET]) {
                return spec_fail(err, "disk spec: 'target' given twice");
            }
            p->pos[POS_TARGET] = g_strdup(cur + 7);
            return true;
        }
        comma = strchr(cur, ',');
        item = comma ? g_strndup(cur, (gsize)(comma - cur)) : g_strdup(cur);
        g_strchomp(item);
        if (!spec_item(p, s, item, err)) {
            return false;
        }
        cur = comma ? comma + 1 : NULL;
    }
    return true;
}

static bool spec_access(blk_spec *s, const char *acc, GError **err)
{
    if (!acc || !*acc || !strcmp(acc, "rw") || !strcmp(acc, "w")) {
        s->readonly = false;
    } else if (!strcmp(acc, "ro") || !strcmp(acc, "r")) {
        s->readonly = true;
    } else {
        return spec_fail(err, "disk spec: access '%s' is not one of "
                         "rw, w, ro, r", acc);
    }
    return true;
}

static bool spec_finish(spec_parse *p, blk_spec *s, GError **err)
{
    char *vdev = p->pos[POS_VDEV];
    char *colon;

    if (!spec_format(s, p->pos[POS_FORMAT], err) ||
        !spec_access(s, p->pos[POS_ACCESS], err)) {
        return false;
    }
    if (vdev && (colon = strchr(vdev, ':'))) {
        if (strcmp(colon + 1, "cdrom")) {
            return spec_fail(err, "disk spec: bad vdev '%s'", vdev);
        }
        *colon = 0;
        g_free(p->devtype);
        p->devtype = g_strdup("cdrom");
    }
    if (p->devtype && *p->devtype && strcmp(p->devtype, "disk")) {
        if (strcmp(p->devtype, "cdrom")) {
            return spec_fail(err, "disk spec: unknown devtype '%s'",
                             p->devtype);
        }
        s->cdrom = true;
    }
    if ((!p->pos[POS_TARGET] || !*p->pos[POS_TARGET]) && s->cdrom) {
        /* target= left empty: a drive with no disc (insert one later). */
        s->vdev = vdev && *vdev ? g_strdup(vdev) : NULL;
        return true;
    }
    if (!p->pos[POS_TARGET] || !*p->pos[POS_TARGET]) {
        return spec_fail(err, "disk spec: no target (image file or block "
                         "device)");
    }
    s->target = p->pos[POS_TARGET][0] == '/' ||
                strstr(p->pos[POS_TARGET], "://") ?
        g_strdup(p->pos[POS_TARGET]) :
        g_strconcat("/dev/", p->pos[POS_TARGET], NULL);
    if (s->format && strstr(s->target, "://")) {
        /* A network disk is raw: the server or target opens the image. */
        bool iscsi = g_str_has_prefix(s->target, "iscsi://");

        return spec_fail(err, "disk spec: format=%s over %s: let the "
                         "%s open the image and give its raw %s", s->format,
                         iscsi ? "iSCSI" : g_str_has_prefix(s->target, "nbd")
                                         ? "NBD" : "a URI",
                         iscsi ? "target" : "server",
                         iscsi ? "LUN" : "export");
    }
    s->vdev = vdev && *vdev ? g_strdup(vdev) : NULL;
    return true;
}

bool blk_spec_parse(const char *text, blk_spec *s, GError **err)
{
    spec_parse p = { 0 };
    bool ok;

    memset(s, 0, sizeof(*s));
    s->wcache = -1;
    s->discard = true;
    p.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ok = spec_split(&p, s, text ? text : "", err) && spec_finish(&p, s, err);
    for (int i = 0; i < POS_N; i++) {
        g_free(p.pos[i]);
    }
    g_free(p.devtype);
    g_hash_table_destroy(p.seen);
    if (!ok) {
        blk_spec_clear(s);
    }
    return ok;
}

void blk_spec_clear(blk_spec *s)
{
    g_clear_pointer(&s->target, g_free);
    g_clear_pointer(&s->vdev, g_free);
    g_clear_pointer(&s->serial, g_free);
    g_clear_pointer(&s->format, g_free);
}
