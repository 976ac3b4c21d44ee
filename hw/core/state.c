/* SPDX-License-Identifier: MIT */
/*
 * Device state files (hvmemu/state.h): the byte layout, its checksum, and
 * the walk over a context's devices. The per-device bodies belong to the
 * devices; this file only frames them and matches sections to devices.
 */
#define G_LOG_DOMAIN "state"
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "hvmemu/device.h"
#include "hvmemu/state.h"
#include "hw/core/core-internal.h"

#define STATE_SUM_LEN   32      /* SHA-256 */
#define STATE_NAME_MAX  256     /* device ids and class names */

/* ---- writing ---- */

void hv_state_put_bytes(hv_state_out *o, const void *p, size_t len)
{
    g_byte_array_append(o->buf, p, (guint)len);
}

void hv_state_put_u8(hv_state_out *o, uint8_t v)
{
    hv_state_put_bytes(o, &v, 1);
}

void hv_state_put_u16(hv_state_out *o, uint16_t v)
{
    uint16_t le = GUINT16_TO_LE(v);

    hv_state_put_bytes(o, &le, 2);
}

void hv_state_put_u32(hv_state_out *o, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);

    hv_state_put_bytes(o, &le, 4);
}

void hv_state_put_u64(hv_state_out *o, uint64_t v)
{
    uint64_t le = GUINT64_TO_LE(v);

    hv_state_put_bytes(o, &le, 8);
}

void hv_state_put_bool(hv_state_out *o, bool v)
{
    hv_state_put_u8(o, v ? 1 : 0);
}

void hv_state_put_str(hv_state_out *o, const char *s)
{
    size_t n = s ? MIN(strlen(s), 0xfffeu) : 0xffffu;

    hv_state_put_u16(o, (uint16_t)n);
    if (s) {
        hv_state_put_bytes(o, s, n);
    }
}

/* ---- reading ---- */

void hv_state_bytes(hv_state_in *in, void *p, size_t len)
{
    if (in->short_read || len > in->len - in->pos) {
        in->short_read = true;
        memset(p, 0, len);
        return;
    }
    memcpy(p, in->p + in->pos, len);
    in->pos += len;
}

uint8_t hv_state_u8(hv_state_in *in)
{
    uint8_t v;

    hv_state_bytes(in, &v, 1);
    return v;
}

uint16_t hv_state_u16(hv_state_in *in)
{
    uint16_t v;

    hv_state_bytes(in, &v, 2);
    return GUINT16_FROM_LE(v);
}

uint32_t hv_state_u32(hv_state_in *in)
{
    uint32_t v;

    hv_state_bytes(in, &v, 4);
    return GUINT32_FROM_LE(v);
}

uint64_t hv_state_u64(hv_state_in *in)
{
    uint64_t v;

    hv_state_bytes(in, &v, 8);
    return GUINT64_FROM_LE(v);
}

bool hv_state_bool(hv_state_in *in)
{
    uint8_t v = hv_state_u8(in);

    if (v > 1) {
        in->short_read = true;  /* not a bool: the body is not ours */
    }
    return v == 1;
}

char *hv_state_str(hv_state_in *in, size_t max)
{
    uint16_t n = hv_state_u16(in);
    char *s;

    if (n == 0xffff || in->short_read) {
        return NULL;
    }
    if (n > max || n > in->len - in->pos) {
        in->short_read = true;
        return NULL;
    }
    s = g_strndup((const char *)in->p + in->pos, n);
    in->pos += n;
    /* An embedded NUL, or not UTF-8 (it ends up in messages). */
    if (strlen(s) != n || !g_utf8_validate(s, n, NULL)) {
        in->short_read = true;
        g_free(s);
        return NULL;
    }
    return s;
}

bool hv_state_in_ok(const hv_state_in *in)
{
    return !in->short_read && in->pos == in->len;
}

bool hv_state_fail(hv_state_in *in, GError **err, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s: %s",
                in->what ? in->what : "state", msg);
    return false;
}

bool hv_state_check(hv_state_in *in, bool ok, GError **err,
                    const char *field)
{
    if (!ok) {
        return hv_state_fail(in, err, "bad value of %s in the state", field);
    }
    return true;
}

/* ---- the context ---- */

static bool saved(const hv_device *dev)
{
    return dev->cls->state_save != NULL;
}

unsigned hv_ctx_state_busy(hv_ctx *ctx)
{
    unsigned n = 0;

    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);

        if (dev->cls->state_busy) {
            n += dev->cls->state_busy(dev);
        }
    }
    return n;
}

static void put_sum(GByteArray *b)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[STATE_SUM_LEN];
    gsize dlen = sizeof(digest);

    g_checksum_update(sum, b->data, b->len);
    g_checksum_get_digest(sum, digest, &dlen);
    g_byte_array_append(b, digest, STATE_SUM_LEN);
}

GBytes *hv_ctx_save_state(hv_ctx *ctx, GError **err)
{
    hv_state_out o = { .buf = g_byte_array_new() };
    unsigned busy = hv_ctx_state_busy(ctx), n = 0;

    if (busy) {
        g_set_error(err, HV_ERROR, HV_ERROR_BUSY, "%u backend request%s in "
                    "flight; the state is taken once they end (pause the "
                    "guest first)", busy, busy == 1 ? "" : "s");
        g_byte_array_unref(o.buf);
        return NULL;
    }
    for (guint i = 0; i < ctx->devices->len; i++) {
        n += saved(g_ptr_array_index(ctx->devices, i));
    }
    hv_state_put_bytes(&o, HV_STATE_MAGIC, 8);
    hv_state_put_u32(&o, HV_STATE_FORMAT);
    hv_state_put_u32(&o, n);
    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);
        guint len_at;
        uint32_t len;

        if (!saved(dev)) {
            continue;
        }
        hv_state_put_str(&o, dev->id);
        hv_state_put_str(&o, dev->cls->name);
        hv_state_put_u32(&o, dev->cls->state_version);
        len_at = o.buf->len;
        hv_state_put_u32(&o, 0);
        dev->cls->state_save(dev, &o);
        len = GUINT32_TO_LE(o.buf->len - len_at - 4);
        memcpy(o.buf->data + len_at, &len, 4);
    }
    put_sum(o.buf);
    return g_byte_array_free_to_bytes(o.buf);
}

/* One section of a file, pointing into its bytes. */
typedef struct state_section {
    char *id, *cls;
    uint32_t version;
    const uint8_t *body;
    uint32_t len;
} state_section;

static void section_clear(gpointer p)
{
    state_section *s = p;

    g_free(s->id);
    g_free(s->cls);
}

/* Check the frame and the checksum; the sections into @out. */
static bool parse_file(const void *data, size_t len, GArray *out,
                       GError **err)
{
    hv_state_in in = { .p = data, .len = len, .what = "state file" };
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[STATE_SUM_LEN];
    gsize dlen = sizeof(digest);
    char magic[8];
    uint32_t fmt, n;

    if (len < 16 + STATE_SUM_LEN || len > HV_STATE_MAX) {
        return hv_state_fail(&in, err, "%zu bytes: not an hvmemu device "
                             "state", len);
    }
    in.len = len - STATE_SUM_LEN;
    hv_state_bytes(&in, magic, 8);
    if (memcmp(magic, HV_STATE_MAGIC, 8) != 0) {
        return hv_state_fail(&in, err, "not an hvmemu device state (no "
                             "%s at its start)", HV_STATE_MAGIC);
    }
    /* Hashed only now: a file that is no state at all costs nothing
     * (fuzz-state feeds thousands a second; a state is ~130 KiB). */
    g_checksum_update(sum, data, len - STATE_SUM_LEN);
    g_checksum_get_digest(sum, digest, &dlen);
    if (memcmp(digest, (const uint8_t *)data + in.len, STATE_SUM_LEN)) {
        return hv_state_fail(&in, err, "checksum mismatch: the file is "
                             "damaged or truncated");
    }
    fmt = hv_state_u32(&in);
    if (fmt != HV_STATE_FORMAT) {
        return hv_state_fail(&in, err, "format %u; this hvmemu reads "
                             "format %u", fmt, HV_STATE_FORMAT);
    }
    n = hv_state_u32(&in);
    for (uint32_t i = 0; i < n && !in.short_read; i++) {
        state_section s = { 0 };

        s.id = hv_state_str(&in, STATE_NAME_MAX);
        s.cls = hv_state_str(&in, STATE_NAME_MAX);
        s.version = hv_state_u32(&in);
        s.len = hv_state_u32(&in);
        if (!s.id || !s.cls || in.short_read || s.len > in.len - in.pos) {
            section_clear(&s);
            in.short_read = true;
            break;
        }
        s.body = in.p + in.pos;
        in.pos += s.len;
        g_array_append_val(out, s);
    }
    if (!hv_state_in_ok(&in)) {
        return hv_state_fail(&in, err, "its sections do not add up to its "
                             "length");
    }
    return true;
}

static hv_device *find_by_id(hv_ctx *ctx, const char *id)
{
    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);

        if (g_str_equal(dev->id, id)) {
            return dev;
        }
    }
    return NULL;
}

/* Same devices on both sides, same classes and body versions. */
static bool match_devices(hv_ctx *ctx, GArray *secs, GError **err)
{
    for (guint i = 0; i < secs->len; i++) {
        state_section *s = &g_array_index(secs, state_section, i);
        hv_device *dev = find_by_id(ctx, s->id);

        if (!dev || !saved(dev)) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "the state has "
                        "device %s (%s), this configuration does not",
                        s->id, s->cls);
            return false;
        }
        if (!g_str_equal(dev->cls->name, s->cls)) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s is a %s in the "
                        "state, a %s here", s->id, s->cls, dev->cls->name);
            return false;
        }
        if (s->version != dev->cls->state_version) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "%s: state version "
                        "%u; this hvmemu reads version %u", s->id,
                        s->version, dev->cls->state_version);
            return false;
        }
        for (guint j = 0; j < i; j++) {
            if (g_str_equal(g_array_index(secs, state_section, j).id,
                            s->id)) {
                g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "the state has "
                            "device %s twice", s->id);
                return false;
            }
        }
    }
    for (guint i = 0; i < ctx->devices->len; i++) {
        hv_device *dev = g_ptr_array_index(ctx->devices, i);
        bool found = false;

        for (guint j = 0; j < secs->len && !found; j++) {
            found = g_str_equal(g_array_index(secs, state_section, j).id,
                                dev->id);
        }
        if (saved(dev) && !found) {
            g_set_error(err, HV_ERROR, HV_ERROR_INVAL, "this configuration "
                        "has device %s (%s), the state does not", dev->id,
                        dev->cls->name);
            return false;
        }
    }
    return true;
}

bool hv_ctx_load_state(hv_ctx *ctx, const void *data, size_t len,
                       GError **err)
{
    g_autoptr(GArray) secs = g_array_new(FALSE, TRUE, sizeof(state_section));
    bool ok;

    g_array_set_clear_func(secs, section_clear);
    if (!parse_file(data, len, secs, err) ||
        !match_devices(ctx, secs, err)) {
        return false;
    }
    ok = true;
    for (guint i = 0; i < secs->len && ok; i++) {
        state_section *s = &g_array_index(secs, state_section, i);
        hv_device *dev = find_by_id(ctx, s->id);
        hv_state_in in = { .p = s->body, .len = s->len, .what = dev->id };

        ok = dev->cls->state_load(dev, &in, err);
        if (ok && !hv_state_in_ok(&in)) {
            ok = hv_state_fail(&in, err, "its state section is %s",
                               in.short_read ? "short or has a bad value"
                                             : "longer than it reads");
        }
    }
    return ok;
}

bool hv_ctx_load_state_file(hv_ctx *ctx, const char *path, GError **err)
{
    g_autofree char *data = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, err)) {
        return false;
    }
    if (!hv_ctx_load_state(ctx, data, len, err)) {
        g_prefix_error(err, "%s: ", path);
        return false;
    }
    return true;
}

char *hv_state_describe(const void *data, size_t len, GError **err)
{
    g_autoptr(GArray) secs = g_array_new(FALSE, TRUE, sizeof(state_section));
    GString *s;

    g_array_set_clear_func(secs, section_clear);
    if (!parse_file(data, len, secs, err)) {
        return NULL;
    }
    s = g_string_new(NULL);
    g_string_append_printf(s, "hvmemu device state, format %u, %zu bytes, "
                           "SHA-256 ok\n", HV_STATE_FORMAT, len);
    for (guint i = 0; i < secs->len; i++) {
        state_section *sec = &g_array_index(secs, state_section, i);

        g_string_append_printf(s, "  %-16s %-14s version %u, %u bytes\n",
                               sec->id, sec->cls, sec->version, sec->len);
    }
    return g_string_free(s, FALSE);
}
