/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the xl disk-spec parser (hw/block/blk_spec.c,
 * blk_spec_parse) as --disk and hvmemu_disk=[...] hand it admin text. The
 * input is the spec, any bytes (cut at the first NUL, as a C string).
 * Invariants: it succeeds exactly when it sets no error, and a refusal
 * leaves nothing allocated in the spec; an accepted spec names a target
 * (an absolute path, /dev/NAME or a URI) unless it is an empty CD-ROM
 * drive, its format is NULL or a qemu-nbd name, an NBD URI carries no
 * format, a CD-ROM is the only way to go without a target; the parse is
 * a function of the text (a second parse gives the same spec); error
 * messages are valid UTF-8. ASan catches the rest (the parser copies and
 * splits strings).
 */
#include <string.h>

#include "hw/block/blk_spec.h"
#include "tests/fuzz/fuzz.h"

static const char *const formats[] = { "qcow2", "qcow", "vpc", "qed" };

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void check_accepted(const blk_spec *s, const char *text)
{
    bool known = !s->format;

    if (!s->target) {
        FZ_CHECK(s->cdrom, "no target, not a CD-ROM: '%s'", text);
    } else {
        FZ_CHECK(s->target[0] == '/' || strstr(s->target, "://"),
                 "target '%s' is neither a path nor a URI", s->target);
        FZ_CHECK(!s->format || !strstr(s->target, "://"),
                 "format=%s over NBD accepted", s->format);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(formats) && !known; i++) {
        known = !strcmp(s->format, formats[i]);
    }
    FZ_CHECK(known, "format '%s' is not one qemu-nbd knows", s->format);
    FZ_CHECK(!s->vdev || (*s->vdev && !strchr(s->vdev, ':')),
             "vdev '%s' kept a suffix or is empty", s->vdev);
    FZ_CHECK(s->wcache >= -1 && s->wcache <= 1, "wcache %d", s->wcache);
    FZ_CHECK(s->reconnect_s <= 86400, "reconnect %u", s->reconnect_s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    blk_spec a, b;
    GError *err = NULL;
    bool ok;

    fz_init_once();
    ok = blk_spec_parse(text, &a, &err);
    FZ_CHECK(ok == (err == NULL), "returned %d with error %s", ok,
             err ? err->message : "(none)");
    if (!ok) {
        FZ_CHECK(g_utf8_validate(err->message, -1, NULL) ||
                 !g_utf8_validate(text, -1, NULL),
                 "error message of valid UTF-8 input is not UTF-8");
        FZ_CHECK(!a.target && !a.vdev && !a.serial && !a.format,
                 "a refused spec kept allocations");
        g_error_free(err);
        return 0;
    }
    check_accepted(&a, text);
    FZ_CHECK(blk_spec_parse(text, &b, NULL), "second parse refused '%s'",
             text);
    FZ_CHECK(str_eq(a.target, b.target) && str_eq(a.format, b.format) &&
             str_eq(a.vdev, b.vdev) && str_eq(a.serial, b.serial) &&
             a.readonly == b.readonly && a.cdrom == b.cdrom &&
             a.direct == b.direct && a.discard == b.discard &&
             a.wcache == b.wcache && a.reconnect_s == b.reconnect_s &&
             !memcmp(&a.fault, &b.fault, sizeof(a.fault)),
             "two parses of '%s' differ", text);
    blk_spec_clear(&a);
    blk_spec_clear(&b);
    return 0;
}
