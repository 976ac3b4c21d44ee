/* SPDX-License-Identifier: MIT */
/*
 * Image locks (hw/block/blk_lock.c), within hvmemu and against QEMU's own
 * tools: a writer excludes every other user, read-only users share, a
 * closed (or killed) holder leaves the image free; qemu-img convert
 * refuses an image hvmemu writes, and hvmemu refuses one qemu-io writes.
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvmemu/hvmemu.h"

typedef struct fixture {
    hv_loop *loop;
    char *path;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
    int fd = g_file_open_tmp("hvmemu-lock-XXXXXX", &f->path, NULL);

    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    f->loop = hv_loop_new();
}

static void teardown(fixture *f, gconstpointer data)
{
    unlink(f->path);
    g_free(f->path);
    hv_loop_free(f->loop);
}

/* Open @f's image (read-only if @ro); NULL with the error in *@err. */
static hv_blk *open_img(fixture *f, bool ro, GError **err)
{
    return hv_blk_open(f->loop, f->path, ro ? HV_BLK_RDONLY : 0, err);
}

static void assert_locked(fixture *f, bool ro)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(open_img(f, ro, &err));
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_assert_nonnull(strstr(err->message, "locked by another process"));
}

static void test_within(fixture *f, gconstpointer data)
{
    GError *err = NULL;
    hv_blk *w = open_img(f, false, &err), *r1, *r2;

    g_assert_no_error(err);
    assert_locked(f, false);        /* a second writer */
    assert_locked(f, true);         /* a reader next to a writer */
    hv_blk_close(w);
    r1 = open_img(f, true, &err);
    r2 = open_img(f, true, &err);   /* readers share */
    g_assert_no_error(err);
    assert_locked(f, false);        /* a writer next to readers */
    hv_blk_close(r1);
    assert_locked(f, false);        /* still one reader */
    hv_blk_close(r2);
    w = open_img(f, false, &err);   /* free again */
    g_assert_no_error(err);
    hv_blk_close(w);
}

/* qemu-img convert from an image hvmemu writes (it would copy a moving
 * target): QEMU's locking refuses it ("Failed to get shared "write"
 * lock"). (qemu-img info shares everything and is not refused.) */
static void test_qemu_img_refused(fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errout = NULL;
    g_autofree char *copy = g_strconcat(f->path, ".copy", NULL);
    const char *argv[] = { "qemu-img", "convert", "-f", "raw", "-O", "raw",
                           f->path, copy, NULL };
    hv_blk *w = open_img(f, false, &err);
    int status;

    g_assert_no_error(err);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, &errout, &status, NULL));
    g_test_message("qemu-img convert: %s", errout);
    g_assert_false(g_spawn_check_wait_status(status, NULL));
    g_assert_nonnull(strstr(errout, "lock"));
    hv_blk_close(w);
    /* Once hvmemu let go, qemu-img reads it. */
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    unlink(copy);
}

/* qemu-io holding the image open for writing (as a running QEMU would):
 * hvmemu refuses it, and takes it once qemu-io is killed (-9: the kernel
 * drops open-file-description locks with the last descriptor). */
static void test_qemu_writer_refused(fixture *f, gconstpointer data)
{
    const char *argv[] = { "qemu-io", "-f", "raw", "-c", "sleep 60000",
                           f->path, NULL };
    GError *err = NULL;
    GPid pid;
    hv_blk *b = NULL;

    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
    /* Until qemu-io has its locks, the open may still succeed. */
    for (int i = 0; i < 100; i++) {
        if (!(b = open_img(f, false, &err))) {
            break;
        }
        hv_blk_close(b);
        b = NULL;
        g_usleep(50000);
    }
    g_assert_null(b);
    g_assert_error(err, HV_ERROR, HV_ERROR_BUSY);
    g_test_message("with qemu-io writing: %s", err->message);
    g_clear_error(&err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    g_spawn_close_pid(pid);
    b = open_img(f, false, &err);
    g_assert_no_error(err);
    hv_blk_close(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/blk/lock/within", fixture, NULL, setup, test_within,
               teardown);
    g_test_add("/blk/lock/qemu-img-refused", fixture, NULL, setup,
               test_qemu_img_refused, teardown);
    g_test_add("/blk/lock/qemu-writer-refused", fixture, NULL, setup,
               test_qemu_writer_refused, teardown);
    return g_test_run();
}
