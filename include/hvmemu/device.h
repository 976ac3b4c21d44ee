/* SPDX-License-Identifier: MIT */
/*
 * Device classes and their options.
 *
 * A device class is a static const descriptor; the built-in list is explicit
 * (hv_builtin_classes). Options come as "key=value" pairs, plus positional
 * words (key == NULL) for xl-style specs such as "file:/x.img,hda,w".
 * Every option a class does not consume is an error (hv_opts_check_used),
 * so a typo never silently does nothing.
 */
#ifndef HVMEMU_DEVICE_H
#define HVMEMU_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "hvmemu/ctx.h"
#include "hvmemu/state.h"

#define HV_ERROR hv_error_quark()
GQuark hv_error_quark(void);
typedef enum {
    HV_ERROR_INVAL,   /* bad option or value */
    HV_ERROR_BUSY,    /* overlap, resource in use */
    HV_ERROR_IO,      /* backend / system error */
    HV_ERROR_NOSYS,   /* not supported */
} hv_error_code;

typedef struct hv_opts hv_opts;

/* Parse "a=1,b=2,word" (commas; ",," escapes a literal comma). */
hv_opts *hv_opts_parse(const char *text, GError **err);
void hv_opts_free(hv_opts *o);
/* Lookups mark the option used. Missing → default, bad value → GError. */
const char *hv_opts_str(hv_opts *o, const char *key, const char *def);
bool hv_opts_u64(hv_opts *o, const char *key, uint64_t def, uint64_t min,
                 uint64_t max, uint64_t *out, GError **err);
bool hv_opts_bool(hv_opts *o, const char *key, bool def, bool *out,
                  GError **err);
/* Positional words, in order (n-th unused-by-key word); NULL past the end. */
const char *hv_opts_positional(hv_opts *o, unsigned n);
unsigned hv_opts_count_positional(const hv_opts *o);
/* Add a key=value programmatically (e.g. from --disk into piix-ide). */
void hv_opts_set(hv_opts *o, const char *key, const char *value);
/* Error naming the first option nobody consumed. */
bool hv_opts_check_used(hv_opts *o, const char *what, GError **err);

typedef struct hv_device_class hv_device_class;

/* Embedded first in every device struct. */
typedef struct hv_device {
    const hv_device_class *cls;
    hv_ctx *ctx;
    char *id;  /* "<class><n>" unless id= is given */
} hv_device;

struct hv_device_class {
    const char *name;
    const char *description;
    const char *options_help;  /* one line per option, for --help */
    hv_device *(*create)(hv_ctx *ctx, hv_opts *opts, GError **err);
    void (*destroy)(hv_device *dev);
    void (*reset)(hv_device *dev);  /* may be NULL */
    /* Device state (hvmemu/state.h); a class without state_save is not
     * saved. state_version: the body's layout, refused if it differs.
     * state_busy: backend requests in flight (a save waits for 0). */
    uint32_t state_version;
    unsigned (*state_busy)(hv_device *dev);
    void (*state_save)(hv_device *dev, hv_state_out *out);
    bool (*state_load)(hv_device *dev, hv_state_in *in, GError **err);
};

/* NULL-terminated explicit list of built-in classes. */
extern const hv_device_class *const hv_builtin_classes[];
const hv_device_class *hv_device_class_find(const char *name);

/*
 * Create a device from "class,key=value,...": looks up the class, creates,
 * checks every option was used, attaches it to @ctx.
 */
hv_device *hv_device_create(hv_ctx *ctx, const char *spec, GError **err);
/* Same, with options already parsed (ownership stays with the caller). */
hv_device *hv_device_create_opts(hv_ctx *ctx, const hv_device_class *cls,
                                 hv_opts *opts, GError **err);

#endif
