/* SPDX-License-Identifier: MIT */
/*
 * Replay driver: runs a fuzz target without libFuzzer (any compiler; in
 * CI under ASan+UBSan).
 *
 *   fuzz-X [--random M] [--seed S] [--max-len L] [--save I FILE] [PATH...]
 *
 * Every PATH (a file, or a directory whose files are read in name order)
 * is fed once: the committed seed corpus and any saved crash-* inputs,
 * which so stay regressions. Then M deterministic pseudo-random inputs:
 * a quarter raw random bytes, the rest mutations of the files (byte
 * flips, inserts, deletes, splices), so plain CI runs also get past the
 * first registers. An input running longer than 20 s is reported as a hang.
 * A failing random input is named by its index; --save I FILE writes
 * input I (same seed and paths) to FILE instead of running anything, to
 * minimise it or keep it in the corpus.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "tests/fuzz/fuzz.h"

#define HANG_SECONDS 20

typedef struct seed {
    char *name;
    GByteArray *data;
} seed;

static const char *current = "?";

/* ASan/UBSan call this before dying: say which input it was. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void on_death(void)
{
    fprintf(stderr, "*** fuzz: failing input: %s\n", current);
}

static void on_alarm(int sig)
{
    static const char msg[] = "\n*** fuzz: input hangs: ";

    (void)sig;
    /* Only async-signal-safe calls here. */
    if (write(2, msg, sizeof(msg) - 1) < 0 ||
        write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0) {
        _exit(3);
    }
    abort();
}

static void run_one(const char *name, const uint8_t *data, size_t len)
{
    current = name;
    fz_current_input = name;
    alarm(HANG_SECONDS);
    LLVMFuzzerTestOneInput(data, len);
    alarm(0);
}

/* splitmix64: small, seedable, the same sequence on every machine. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void add_file(GPtrArray *seeds, const char *path)
{
    gchar *data;
    gsize len;
    seed *s;

    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    s = g_new0(seed, 1);
    s->name = g_strdup(path);
    s->data = g_byte_array_new_take((guint8 *)data, len);
    g_ptr_array_add(seeds, s);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(GPtrArray *seeds, const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    GPtrArray *names;
    const char *n;

    if (!dir) {
        add_file(seeds, path);
        return;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((n = g_dir_read_name(dir))) {
        if (n[0] != '.') {
            g_ptr_array_add(names, g_build_filename(path, n, NULL));
        }
    }
    g_dir_close(dir);
    g_ptr_array_sort(names, cmp_str);
    for (guint i = 0; i < names->len; i++) {
        add_file(seeds, g_ptr_array_index(names, i));
    }
    g_ptr_array_free(names, TRUE);
}

static void insert_bytes(GByteArray *b, size_t pos, const uint8_t *p,
                         size_t n)
{
    size_t old = b->len;

    g_byte_array_set_size(b, (guint)(old + n));
    memmove(b->data + pos + n, b->data + pos, old - pos);
    memcpy(b->data + pos, p, n);
}

/* One random edit of @b (which stays at most @max bytes long). */
static void mutate_once(GByteArray *b, GPtrArray *seeds, size_t max,
                        uint64_t *st)
{
    size_t pos = b->len ? rnd(st) % b->len : 0;
    uint8_t byte = (uint8_t)rnd(st);

    switch (rnd(st) % 6) {
    case 0: /* flip a bit */
        if (b->len) {
            b->data[pos] ^= (uint8_t)(1u << (rnd(st) % 8));
        }
        break;
    case 1: /* overwrite a byte (interesting values weighted in) */
        if (b->len) {
            static const uint8_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x10 };
            b->data[pos] = (rnd(st) & 1) ? byte : vals[rnd(st) % 6];
        }
        break;
    case 2: /* insert a byte */
        if (b->len < max) {
            insert_bytes(b, pos, &byte, 1);
        }
        break;
    case 3: /* delete a run */
        if (b->len) {
            size_t n = 1 + rnd(st) % 8;
            g_byte_array_remove_range(b, (guint)pos,
                                      (guint)MIN(b->len - pos, n));
        }
        break;
    case 4: /* splice: append the tail of another seed */
        if (seeds->len) {
            seed *o = g_ptr_array_index(seeds, rnd(st) % seeds->len);
            size_t r = rnd(st);
            size_t from = o->data->len ? r % o->data->len : 0;
            size_t n = MIN(o->data->len - from, max - MIN(max, b->len));
            g_byte_array_append(b, o->data->data + from, n);
        }
        break;
    default: /* duplicate a chunk (repeats an operation) */
        if (b->len && b->len < max) {
            size_t n = MIN(MIN(b->len - pos, 32), max - b->len);
            g_autofree uint8_t *tmp = g_memdup2(b->data + pos, n);
            insert_bytes(b, pos, tmp, n);
        }
        break;
    }
}

static GByteArray *make_input(GPtrArray *seeds, size_t max, uint64_t *st)
{
    GByteArray *b = g_byte_array_new();

    if (!seeds->len || rnd(st) % 4 == 0) {
        size_t len = rnd(st) % (max + 1);
        for (size_t i = 0; i < len; i++) {
            uint8_t v = (uint8_t)rnd(st);
            g_byte_array_append(b, &v, 1);
        }
        return b;
    }
    seed *s = g_ptr_array_index(seeds, rnd(st) % seeds->len);
    g_byte_array_append(b, s->data->data, MIN(s->data->len, max));
    for (unsigned n = 1 + rnd(st) % 8; n > 0; n--) {
        mutate_once(b, seeds, max, st);
    }
    return b;
}

int main(int argc, char **argv)
{
    GPtrArray *seeds = g_ptr_array_new();
    unsigned long random_n = 0;
    uint64_t state = 1, max_len = 4096;
    long save_index = -1;
    const char *save_path = NULL;
    char name[64];

    signal(SIGALRM, on_alarm);
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(on_death);
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--random") && i + 1 < argc) {
            random_n = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            state = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--save") && i + 2 < argc) {
            save_index = strtol(argv[++i], NULL, 0);
            save_path = argv[++i];
            random_n = (unsigned long)save_index + 1;
        } else if (!strcmp(argv[i], "--max-len") && i + 1 < argc) {
            max_len = strtoull(argv[++i], NULL, 0);
        } else {
            add_path(seeds, argv[i]);
        }
    }
    for (guint i = 0; i < seeds->len && !save_path; i++) {
        seed *s = g_ptr_array_index(seeds, i);
        run_one(s->name, s->data->data, s->data->len);
    }
    for (unsigned long i = 0; i < random_n; i++) {
        GByteArray *b = make_input(seeds, max_len, &state);

        if (save_path) {
            if ((long)i == save_index &&
                !g_file_set_contents(save_path, (char *)b->data, b->len,
                                     NULL)) {
                fprintf(stderr, "cannot write %s\n", save_path);
                return 2;
            }
            g_byte_array_free(b, TRUE);
            continue;
        }
        /* The name tells how to regenerate it: same seed, same index. */
        snprintf(name, sizeof(name), "random input #%lu", i);
        run_one(name, b->data, b->len);
        g_byte_array_free(b, TRUE);
    }
    printf("%u files and %lu random inputs: no invariant violated\n",
           seeds->len, random_n);
    for (guint i = 0; i < seeds->len; i++) {
        seed *s = g_ptr_array_index(seeds, i);
        g_free(s->name);
        g_byte_array_free(s->data, TRUE);
        g_free(s);
    }
    g_ptr_array_free(seeds, TRUE);
    return 0;
}
